"""Demo data for assessment: consent documents per route, intakes, screenings, decisions and consents.

Synthetic and idempotent: a patient who already has an intake is left alone; consent documents are created only
if none exist for a route. The helpers below are also what the plans and scheduling tests use to bring a
patient to "ready for planning" through the same services as the pages.
"""

import datetime as dt

from django.db import transaction

from ketamine_clinic.accounts.models import Role
from ketamine_clinic.patients.models import Phase
from ketamine_clinic.plans.models import Route

from . import services
from .models import (
    PATIENT_ANSWERABLE,
    SCREENING_FIELDS,
    ConsentDocument,
    IntakeAssessment,
    PreviousTreatment,
    PreVisitQuestionnaire,
)

CONSENT_TEXT = {
    Route.IV: (
        "Consent to intravenous ketamine treatment",
        "Ketamine is an anaesthetic used off-label, at lower doses, to treat depression. You will receive an "
        "infusion into a vein over about 40 minutes, usually six times over two to three weeks, then booster "
        "infusions if it helps.\n\nCommon effects during and shortly after the infusion: feeling detached or "
        "dreamlike (dissociation), dizziness, nausea, a rise in blood pressure and heart rate. These usually pass "
        "within an hour or two. Your blood pressure, pulse and oxygen level are checked before, during and after "
        "each infusion.\n\nRisks: ketamine can be misused; it can affect the bladder and liver with frequent or "
        "long-term use; it can worsen psychosis. It may not help you. You must not drive until the next day and "
        "need someone to take you home.\n\nYou may stop treatment at any time. Ask us any question before you "
        "sign.",
    ),
    Route.INTRANASAL: (
        "Consent to esketamine nasal spray (SPRAVATO) treatment",
        "Esketamine nasal spray is approved, together with an oral antidepressant, for treatment-resistant "
        "depression. You use the spray yourself under supervision in the clinic, twice a week for four weeks, "
        "then weekly, then every one or two weeks.\n\nYou will stay in the clinic for at least two hours after each "
        "dose while we watch for sleepiness, dissociation and raised blood pressure. Do not drive until the next "
        "day after a restful sleep.\n\nRisks include sedation, dissociation, raised blood pressure, misuse, and "
        "bladder problems with long-term use. Tell us if you are or may become pregnant. You may stop at any time.",
    ),
    Route.IM: (
        "Consent to intramuscular ketamine treatment",
        "Ketamine given as an injection into a muscle, off-label, at doses the clinic sets. Effects, monitoring "
        "and risks are those of intravenous ketamine; effects start within minutes and you stay for at least two "
        "hours. You may stop at any time.",
    ),
    Route.ORAL: (
        "Consent to oral ketamine treatment",
        "Ketamine taken by mouth under supervision, off-label, at doses the clinic sets. Effects come on more "
        "slowly; you stay for at least two hours. Risks as for other ketamine treatment. You may stop at any time.",
    ),
    Route.SUBLINGUAL: (
        "Consent to sublingual ketamine treatment",
        "Ketamine held under the tongue under supervision, off-label, at doses the clinic sets. You stay for at "
        "least two hours. Risks as for other ketamine treatment. You may stop at any time.",
    ),
}


def ensure_consent_documents(user=None) -> dict[str, ConsentDocument]:
    """Version 1 of each route's consent document, unless one exists already."""
    documents = {}
    for route, (title, body) in CONSENT_TEXT.items():
        document = services.current_consent_document(route.value)
        if document is None:
            document = services.publish_consent_document(user, route=route.value, title=title, body=body)
        documents[route.value] = document
    return documents


def record_intake(actor, patient, *, when=None, **answers) -> IntakeAssessment:
    """An intake with every screening item answered "no" unless ``answers`` says otherwise; runs the screen."""
    values = {name: False for name in SCREENING_FIELDS}
    values.update({k: v for k, v in answers.items() if k in SCREENING_FIELDS})
    if values["hypertension"] is True and "hypertension_controlled" not in answers:
        values["hypertension_controlled"] = True
    if values["hypertension"] is not True:
        values["hypertension_controlled"] = None
    other = {k: v for k, v in answers.items() if k not in SCREENING_FIELDS}
    intake = IntakeAssessment(
        patient=patient,
        presenting_problem=other.pop("presenting_problem", "Depressive episode not responding to treatment."),
        current_medications=other.pop("current_medications", patient.current_medications),
        systolic_bp_mmhg=other.pop("systolic_bp_mmhg", 124),
        diastolic_bp_mmhg=other.pop("diastolic_bp_mmhg", 78),
        heart_rate_bpm=other.pop("heart_rate_bpm", 72),
        spo2_percent=other.pop("spo2_percent", 98),
        weight_kg=other.pop("weight_kg", patient.weight_kg),
        vitals_taken_at=when,
        created_by=getattr(actor, "user", actor),
        **values,
        **other,
    )
    intake.full_clean()
    services.save_intake(actor, intake, created=True)
    return intake


def approve(actor, patient, *, rationale="Meets criteria; benefits outweigh risks.", override_reason=None):
    """Record "proceed" on the latest screening (with an override reason when the screen lists cautions)."""
    screening = services.latest_screening(patient)
    if override_reason is None and screening.status == "eligible_with_cautions":
        override_reason = "Cautions reviewed with the patient; monitoring plan in place."
    return services.record_decision(
        actor,
        patient,
        screening=screening,
        decision="proceed",
        rationale=rationale,
        override_reason=override_reason or "",
    )


def consent(actor, patient, route: str):
    document = services.current_consent_document(route) or ensure_consent_documents(actor)[route]
    return services.acknowledge_consent(actor, patient, document=document, typed_name=patient.full_name)


def ready_for_planning(actor, patient, route: str = Route.IV, **answers) -> None:
    """Intake (all clear unless told), decision to proceed, and consent for ``route``."""
    ensure_consent_documents(actor)
    record_intake(actor, patient, **answers)
    approve(actor, patient)
    consent(actor, patient, route)


def _treatments(patient, user, rng):
    drugs = [
        ("sertraline", "150 mg daily"),
        ("escitalopram", "20 mg daily"),
        ("venlafaxine XR", "225 mg daily"),
        ("bupropion XL", "300 mg daily"),
        ("mirtazapine", "45 mg at night"),
    ]
    for name, dose in rng.sample(drugs, rng.randint(2, 3)):
        PreviousTreatment.objects.create(
            patient=patient,
            kind="antidepressant",
            name=name,
            dose=dose,
            duration_weeks=rng.choice([4, 8, 10, 12]),
            dose_adequate=rng.choice([True, True, False]),
            outcome=rng.choice(["no_response", "partial_response"]),
            current_episode=True,
            recorded_by=user,
        )
    PreviousTreatment.objects.create(
        patient=patient,
        kind="psychotherapy",
        name="CBT",
        dose="16 sessions",
        duration_weeks=16,
        outcome="partial_response",
        recorded_by=user,
    )


@transaction.atomic
def seed(clinic) -> None:
    prescriber = clinic.first(Role.PRESCRIBER)
    ensure_consent_documents(clinic.first(Role.DIRECTOR))
    for index, patient in enumerate(clinic.patients):
        if patient.intakes.exists():
            continue
        _treatments(patient, prescriber, clinic.rng)
        # The intake precedes treatment: the plans seed starts induction plans up to 16 days ago, maintenance
        # plans up to 90 and discharged patients' courses up to 300 (synthetic demo dates).
        low, high = {
            Phase.INDUCTION: (20, 60),
            Phase.MAINTENANCE: (100, 150),
            Phase.DISCHARGED: (310, 360),
        }.get(patient.phase, (30, 120))
        when = clinic.now - dt.timedelta(days=clinic.rng.randint(low, high))
        if patient.phase == Phase.SCREENING:
            PreVisitQuestionnaire.objects.create(
                patient=patient,
                reasons_for_seeking_treatment="Low mood for over a year; several medicines have not helped.",
                previous_treatments="Sertraline and venlafaxine for a few months each; CBT.",
                current_medications=patient.current_medications,
                alcohol_and_drug_use="A glass of wine at weekends.",
                goals="To get back to work and enjoy things again.",
                submitted_by=patient.user,
                **{name: False for name in PATIENT_ANSWERABLE},
            )
            # A spread of screening outcomes for the demo: clear, cautions, one absolute contraindication.
            answers = [
                {},
                {"breastfeeding": True},
                {"current_medications": "Clonazepam 0.5 mg twice daily"},
                {"hypertension": True},
                {"pregnant": True},
                {},
                {"bipolar_disorder": True},
                {},
            ][index % 8]
            record_intake(prescriber, patient, when=when, **answers)
            if index % 2 == 0 and services.latest_screening(patient).status != "not_eligible":
                approve(prescriber, patient)
            _backdate(patient, when)
            continue
        record_intake(prescriber, patient, when=when)
        approve(prescriber, patient)
        route = Route.INTRANASAL if index % 4 == 1 else Route.IV
        consent(prescriber, patient, route)
        _backdate(patient, when)


def _backdate(patient, when) -> None:
    """Date the demo assessment to when the patient was seen, not to when the demo was seeded (a discharged
    patient was not "screened today"). ``update()`` sets the creation timestamps, which saving would not."""
    patient.previsit_questionnaires.update(submitted_at=when - dt.timedelta(days=3))
    patient.previous_treatments.update(recorded_at=when)
    patient.intakes.update(created_at=when, updated_at=when)
    patient.eligibility_screenings.update(screened_at=when)
    patient.eligibility_decisions.update(decided_at=when + dt.timedelta(hours=2))
    patient.consents.update(acknowledged_at=when + dt.timedelta(days=1))
