"""The demo's assessments: consent documents per route, intakes, screenings, decisions and consents.

Synthetic and idempotent: a patient who already has an intake is left alone; consent documents are created only
if none exist for a route. The helpers below are also what the plans and scheduling tests use to bring a
patient to "ready for planning" through the same services as the pages.

Everything goes through the assessment services, so the demo keeps the clinic's rules: an intake starts from
what the chart's coded diagnoses imply (a patient coded F31.32 is screened as bipolar), the screen reads the
treatment history, the prescriber writes a reason for each caution proceeded over, and every clinical time
(vitals, screening, decision, consent) is the past time it happened - the services refuse a future one. Only
record-keeping timestamps the services do not take (when a row was typed in) are dated afterwards.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.models import Role
from ketamine_clinic.assessment import services
from ketamine_clinic.assessment.models import (
    PATIENT_ANSWERABLE,
    SCREENING_FIELDS,
    ConsentDocument,
    IntakeAssessment,
    PreviousTreatment,
    PreVisitQuestionnaire,
)
from ketamine_clinic.choices import Route
from ketamine_clinic.core.protocols.route_texts import consent_expectations
from ketamine_clinic.patients.models import Phase
from ketamine_clinic.plans import services as plans

# Each body's "what to expect at each visit" paragraph (fasting, minimum stay, maintenance intervals) is written
# from the route table (core.protocols.route_texts), so the consent says the numbers the gates enforce.
CONSENT_TEXT = {
    Route.IV: (
        "Consent to intravenous ketamine treatment",
        "Ketamine is an anaesthetic used off-label, at lower doses, to treat depression. You will receive an "
        "infusion into a vein over about 40 minutes, usually six times over two to three weeks, then booster "
        "infusions if it helps.\n\n"
        f"{consent_expectations(Route.IV)}\n\n"
        "Common effects during and shortly after the infusion: feeling detached or "
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
        "then weekly, then in a maintenance phase.\n\n"
        f"{consent_expectations(Route.INTRANASAL)} Do not drive until the next "
        "day after a restful sleep.\n\nRisks include sedation, dissociation, raised blood pressure, misuse, and "
        "bladder problems with long-term use. Tell us if you are or may become pregnant. You may stop at any time.",
    ),
    Route.IM: (
        "Consent to intramuscular ketamine treatment",
        "Ketamine given as an injection into a muscle, off-label, at doses the clinic sets. Effects, monitoring "
        "and risks are those of intravenous ketamine; effects start within minutes.\n\n"
        f"{consent_expectations(Route.IM)}\n\nYou may stop at any time.",
    ),
    Route.ORAL: (
        "Consent to oral ketamine treatment",
        "Ketamine taken by mouth under supervision, off-label, at doses the clinic sets. Effects come on more "
        f"slowly.\n\n{consent_expectations(Route.ORAL)}\n\nRisks as for other ketamine treatment. You may stop "
        "at any time.",
    ),
    Route.SUBLINGUAL: (
        "Consent to sublingual ketamine treatment",
        "Ketamine held under the tongue under supervision, off-label, at doses the clinic sets.\n\n"
        f"{consent_expectations(Route.SUBLINGUAL)}\n\nRisks as for other ketamine treatment. You may stop at "
        "any time.",
    ),
}


def ensure_consent_documents(user=None, published_at=None) -> dict[str, ConsentDocument]:
    """Version 1 of each route's consent document, unless one exists already."""
    documents = {}
    for route, (title, body) in CONSENT_TEXT.items():
        document = services.current_consent_document(route.value)
        if document is None:
            document = services.publish_consent_document(
                user, route=route.value, title=title, body=body, published_at=published_at
            )
        documents[route.value] = document
    return documents


def record_intake(actor, patient, *, when=None, **answers) -> IntakeAssessment:
    """An intake with every screening item answered "no", except what the chart's coded diagnoses imply (as the
    intake page pre-fills it) and what ``answers`` says; runs the screen, dated ``when`` (default now)."""
    values = {name: False for name in SCREENING_FIELDS}
    values.update(services.chart_prefill(patient))
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
    services.save_intake(actor, intake, created=True, screened_at=when)
    return intake


# What a prescriber writes for each caution when deciding to proceed (synthetic, by reason code).
CAUTION_REASONS = {
    "bipolar_disorder": (
        "Bipolar depression coded on the chart; not manic or hypomanic now. Risk of a switch to mania discussed "
        "with the patient; mood stabiliser reviewed with the treating psychiatrist; manic symptoms screened "
        "before each session and treatment stops if they appear."
    ),
    "not_treatment_resistant": (
        "Fewer than two adequate antidepressant trials have failed in this episode: severity and the trials "
        "tried reviewed; treating now is the prescriber's judgement, explained to the patient as off-label."
    ),
    "controlled_hypertension": "Hypertension controlled on treatment; BP checked before and after every dose.",
    "interaction:benzodiazepine": "Benzodiazepine to be held the evening before each session.",
    "breastfeeding": "Patient will not breastfeed during the course.",
}


def considered_reason(screening) -> str:
    """The prescriber's written reason for proceeding over each caution of ``screening``."""
    lines = [
        CAUTION_REASONS.get(r["code"], f"{r['title']}: reviewed with the patient; monitoring plan in place.")
        for r in screening.caution_reasons
    ]
    return " ".join(dict.fromkeys(lines))


def approve(
    actor,
    patient,
    *,
    rationale="Meets criteria; benefits outweigh risks.",
    override_reason=None,
    decided_at=None,
):
    """Record "proceed" on the latest screening (with a reason for each caution the screen lists)."""
    screening = services.latest_screening(patient)
    if override_reason is None and screening.status == "eligible_with_cautions":
        override_reason = considered_reason(screening)
    return services.record_decision(
        actor,
        patient,
        screening=screening,
        decision="proceed",
        rationale=rationale,
        override_reason=override_reason or "",
        decided_at=decided_at,
    )


def consent(actor, patient, route: str, when=None):
    document = services.current_consent_document(route) or ensure_consent_documents(actor)[route]
    return services.acknowledge_consent(
        actor, patient, document=document, typed_name=patient.full_name, acknowledged_at=when
    )


def ready_for_planning(actor, patient, route: str = Route.IV, **answers) -> None:
    """Intake (all clear unless told), decision to proceed, consent for ``route`` and a PDMP check today; for
    esketamine, the patient's SPRAVATO REMS enrolment too."""
    ensure_consent_documents(actor)
    record_intake(actor, patient, **answers)
    approve(actor, patient)
    consent(actor, patient, route)
    pdmp_checked(actor, patient)
    if route == Route.INTRANASAL:
        rems_enrolled(actor, patient)


def rems_enrolled(actor, patient, enrolled_on: dt.date | None = None):
    """The patient's SPRAVATO REMS enrolment with a synthetic REMS patient number, through the service (for the
    demo and for tests that book esketamine); nothing is added when the patient is enrolled already."""
    if services.rems_enrolment(patient) is not None:
        return None
    return services.record_rems_enrolment(
        actor, patient, enrolled_on=enrolled_on or timezone.localdate(), rems_patient_id=f"SYN-{patient.mrn}"
    )


# The demo clinic is in New York (its time zone); a PDMP check there is the state's (I-STOP).
DEMO_PDMP_STATE = "NY"


def pdmp_checked(prescriber, patient, days_ago: int = 0):
    """A synthetic PDMP check with no concerns, ``days_ago`` days back, through the service (for the demo and for
    tests that start a plan); nothing is added when the patient already has one that is current."""
    if plans.pdmp_problem(patient) is None:
        return None
    return plans.record_pdmp_check(
        prescriber, patient, checked_on=timezone.localdate() - dt.timedelta(days=days_ago),
        state=DEMO_PDMP_STATE, result="no_concerns",
    )


def _treatments(patient, user, rng):
    drugs = [
        ("sertraline", "150 mg daily"),
        ("escitalopram", "20 mg daily"),
        ("venlafaxine XR", "225 mg daily"),
        ("bupropion XL", "300 mg daily"),
        ("mirtazapine", "45 mg at night"),
    ]
    for name, dose in rng.sample(drugs, rng.randint(2, 3)):
        services.add_previous_treatment(
            user,
            patient,
            PreviousTreatment(
                kind="antidepressant",
                name=name,
                dose=dose,
                duration_weeks=rng.choice([4, 8, 10, 12]),
                dose_adequate=rng.choice([True, True, False]),
                outcome=rng.choice(["no_response", "partial_response"]),
                current_episode=True,
            ),
        )
    services.add_previous_treatment(
        user,
        patient,
        PreviousTreatment(
            kind="psychotherapy",
            name="CBT",
            dose="16 sessions",
            duration_weeks=16,
            outcome="partial_response",
        ),
    )


# Screening patients' intake answers, in turn: a spread of screening outcomes for the demo (clear, cautions,
# one absolute contraindication).
SCREENING_ANSWERS = [
    {},
    {"breastfeeding": True},
    {"current_medications": "Clonazepam 0.5 mg twice daily"},
    {"hypertension": True},
    {"pregnant": True},
    {},
    {"bipolar_disorder": True},
    {},
]
# How many days before the demo's "now" each phase's intake was (the plans seed starts induction plans up to
# 16 days ago, maintenance plans up to 90 and discharged patients' courses up to 300: synthetic demo dates).
INTAKE_DAYS_AGO = {
    Phase.INDUCTION: (20, 60),
    Phase.MAINTENANCE: (100, 150),
    Phase.DISCHARGED: (310, 360),
}
SCREENING_DAYS_AGO = (30, 120)


@transaction.atomic
def seed(clinic) -> None:
    prescriber = clinic.first(Role.PRESCRIBER)
    # Version 1 of the consents was published before the first demo patient was seen (up to 360 days ago).
    ensure_consent_documents(clinic.first(Role.DIRECTOR), published_at=clinic.now - dt.timedelta(days=400))
    for index, patient in enumerate(clinic.patients):
        if patient.intakes.exists():
            continue
        _treatments(patient, prescriber, clinic.rng)
        # The intake precedes treatment.
        low, high = INTAKE_DAYS_AGO.get(patient.phase, SCREENING_DAYS_AGO)
        when = clinic.now - dt.timedelta(days=clinic.rng.randint(low, high))
        if patient.phase == Phase.SCREENING:
            _screened(prescriber, patient, index, when)
        else:
            _accepted(prescriber, patient, index, when)
        _backdate(patient, when)


def _screened(prescriber, patient, index: int, when) -> None:
    """A screening patient: the pre-visit questionnaire, the intake, and for some the prescriber's decision."""
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
    record_intake(prescriber, patient, when=when, **SCREENING_ANSWERS[index % len(SCREENING_ANSWERS)])
    screening = services.latest_screening(patient)
    # Half the screening patients have the prescriber's decision already; a bipolar-coded patient always
    # has a considered one (the caution is never left as a silent "eligible").
    bipolar = any(r["code"] == "bipolar_disorder" for r in screening.reasons)
    if (index % 2 == 0 or bipolar) and screening.status != "not_eligible":
        approve(prescriber, patient, decided_at=when + dt.timedelta(hours=2))


def _accepted(prescriber, patient, index: int, when) -> None:
    """A patient in treatment (or past it): intake, decision to proceed, and consent to their route."""
    record_intake(prescriber, patient, when=when)
    approve(prescriber, patient, decided_at=when + dt.timedelta(hours=2))
    route = Route.INTRANASAL if index % 4 == 1 else Route.IV
    consent(prescriber, patient, route, when=when + dt.timedelta(days=1))
    if route == Route.INTRANASAL:
        # Enrolled in the SPRAVATO REMS with the consent, before the first session (core.safety.rems).
        rems_enrolled(prescriber, patient, enrolled_on=timezone.localdate(when + dt.timedelta(days=1)))


def _backdate(patient, when) -> None:
    """Date the rows' record-keeping timestamps (when they were typed in) to the demo visit, not to when the demo
    was seeded. The clinical times (vitals, screening, decision, consent) were given to the services already;
    these creation stamps are set by the database, which ``update()`` alone can change."""
    patient.previsit_questionnaires.update(submitted_at=when - dt.timedelta(days=3))
    patient.previous_treatments.update(recorded_at=when)
    patient.intakes.update(created_at=when, updated_at=when)
