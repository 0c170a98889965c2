"""Assessment rules other apps rely on (contract): is the eligibility decision current, is consent current.

Both lapse when something changes (a newer screening; a new consent version) and after a clinic-set time
(``ELIGIBILITY_VALID_DAYS``, ``CONSENT_VALID_DAYS``, default a year each); ``eligibility_problem`` and
``consent_problem`` say why in plain words for the pages, planning and the pre-dose checks.

Also the writes that must happen together: saving an intake re-runs the screen; a decision is validated
against the screen it decides on; a consent acknowledgement must match the current document version.
"""

import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic import audit
from ketamine_clinic.core.safety import eligibility as core_eligibility
from ketamine_clinic.core.safety import treatment_resistance as core_trd

from .models import (
    ConsentAcknowledgement,
    ConsentDocument,
    EligibilityDecision,
    EligibilityScreening,
    IntakeAssessment,
)


def acting_user(actor):
    """The logged-in user behind ``actor`` (a request or a user), or None."""
    user = getattr(actor, "user", actor)
    return user if getattr(user, "is_authenticated", False) else None


def latest_intake(patient) -> IntakeAssessment | None:
    return patient.intakes.first()


def latest_screening(patient) -> EligibilityScreening | None:
    return patient.eligibility_screenings.first()


def latest_decision(patient) -> EligibilityDecision | None:
    return patient.eligibility_decisions.select_related("screening", "decided_by").first()


# How long a screening (with the prescriber's decision to proceed) and a consent acknowledgement stay current.
# Clinic-defined, set in settings.py from the environment (0 = no time limit); the defaults and why:
# - ELIGIBILITY_VALID_DAYS (365): the screen is already re-run whenever the intake is updated (a newer screening
#   makes an older decision stale). The time limit catches what changes without being recorded over a long
#   maintenance course - new medicines, blood pressure, pregnancy plans, substance use - by asking for an updated
#   intake (pre-filled from the last one) and a new decision at least yearly. We found no published re-screening
#   interval for ketamine treatment (the APA consensus statement, Sanacora et al. JAMA Psychiatry
#   2017;74(4):399-405, describes the evaluation before treatment), so the year is the clinic's choice.
# - CONSENT_VALID_DAYS (365): a new consent version always needs a new acknowledgement; otherwise the patient
#   re-reads and re-acknowledges the consent at least yearly, so a long course stays an informed one
#   (clinic-defined).


def _valid_days(name: str) -> int | None:
    value = getattr(settings, name)
    return int(value) if value else None


def eligibility_valid_days() -> int | None:
    """Days a screening with a decision to proceed stays current (None = no time limit)."""
    return _valid_days("ELIGIBILITY_VALID_DAYS")


def consent_valid_days() -> int | None:
    """Days a consent acknowledgement stays current (None = no time limit)."""
    return _valid_days("CONSENT_VALID_DAYS")


def _older_than(when, days: int | None, now) -> bool:
    return days is not None and when is not None and (now or timezone.now()) - when > dt.timedelta(days=days)


def eligibility_problem(patient, now=None) -> str | None:
    """Why the patient's eligibility is not current for planning and dosing, in plain words (None = current).

    Current = the latest screening is not "not eligible", the prescriber decided to proceed on it, and it was
    screened within ``ELIGIBILITY_VALID_DAYS``. A newer screening (the intake was updated) makes an older
    decision stale.
    """
    screening = latest_screening(patient)
    if screening is None:
        return "No eligibility screening yet: complete the intake assessment first."
    if screening.status == core_eligibility.NOT_ELIGIBLE:
        titles = "; ".join(r["title"] for r in screening.absolute_reasons)
        return f"Not eligible: an absolute contraindication blocks planning ({titles})."
    decision = screening.decisions.first()
    if decision is None or decision.decision != EligibilityDecision.Decision.PROCEED:
        return "No prescriber decision to proceed on the latest eligibility screening."
    days = eligibility_valid_days()
    if _older_than(screening.screened_at, days, now):
        return (
            f"The eligibility screening of {timezone.localtime(screening.screened_at):%Y-%m-%d} is more than "
            f"{days} days old (clinic setting ELIGIBILITY_VALID_DAYS): record an updated intake to re-run the "
            "screen, and the prescriber decides again."
        )
    return None


def eligibility_is_current(patient, now=None) -> bool:
    """True when the eligibility decision is current (contract for plans and sessions; see eligibility_problem)."""
    return eligibility_problem(patient, now) is None


def current_consent_document(route: str) -> ConsentDocument | None:
    return ConsentDocument.objects.filter(route=route).order_by("-version").first()


def current_acknowledgement(patient, route: str, now=None) -> ConsentAcknowledgement | None:
    """The patient's acknowledgement of the route's newest consent version, if still within its validity."""
    document = current_consent_document(route)
    if document is None:
        return None
    ack = ConsentAcknowledgement.objects.filter(patient=patient, document=document).first()
    if ack is None or _older_than(ack.acknowledged_at, consent_valid_days(), now):
        return None
    return ack


def consent_problem(patient, route: str, now=None) -> str | None:
    """Why consent for ``route`` is not current, in plain words (None = current)."""
    from ketamine_clinic.plans.models import Route

    label = Route(route).label if route in Route.values else route
    document = current_consent_document(route)
    if document is None:
        return f"No consent document is published for the {label} route."
    ack = ConsentAcknowledgement.objects.filter(patient=patient, document=document).first()
    if ack is None:
        if ConsentAcknowledgement.objects.filter(patient=patient, document__route=route).exists():
            return (
                f"A new consent version (v{document.version}) was published for {label}: the patient has not "
                "acknowledged the current consent yet and must do so first."
            )
        return f"The patient has not acknowledged the current consent for {label}."
    days = consent_valid_days()
    if _older_than(ack.acknowledged_at, days, now):
        return (
            f"The patient's consent for {label} of {timezone.localtime(ack.acknowledged_at):%Y-%m-%d} is more "
            f"than {days} days old (clinic setting CONSENT_VALID_DAYS): the patient reads and acknowledges it "
            "again."
        )
    return None


def consent_is_current(patient, route: str, now=None) -> bool:
    """True when the patient acknowledged the newest consent version for ``route`` within its validity (contract)."""
    return consent_problem(patient, route, now) is None


def treatment_resistance(patient) -> core_trd.ResistanceSummary:
    return core_trd.summarise(t.as_core() for t in patient.previous_treatments.all())


def run_screening(actor, intake: IntakeAssessment) -> EligibilityScreening:
    """Screen ``intake`` with the pure-core rules and store the result as shown (reasons with sources)."""
    facts = intake.screening_facts()
    result = core_eligibility.screen(facts)
    screening = EligibilityScreening.objects.create(
        patient=intake.patient,
        intake=intake,
        status=result.status,
        reasons=[r.as_dict() for r in result.reasons],
        facts=dict(facts.__dict__),
        screened_by=acting_user(actor),
    )
    audit.record(actor, "create", screening, detail={"status": result.status, "reasons": len(result.reasons)})
    return screening


@transaction.atomic
def save_intake(actor, intake: IntakeAssessment, *, created: bool) -> EligibilityScreening:
    """Save an intake (already validated), copy its weight to the chart, and re-run the screen."""
    intake.save()
    audit.record(actor, "create" if created else "update", intake)
    patient = intake.patient
    if intake.weight_kg is not None and patient.weight_kg != intake.weight_kg:
        # The dose calculation reads the chart weight, so the weight measured at intake becomes the chart's.
        measured = timezone.localdate(intake.vitals_taken_at or intake.updated_at)
        patient.weight_kg = intake.weight_kg
        patient.weight_measured_on = measured
        patient.save(update_fields=["weight_kg", "weight_measured_on", "updated_at"])
        audit.record(actor, "update", patient, detail={"fields": ["weight_kg"], "source": "intake"})
    return run_screening(actor, intake)


@transaction.atomic
def record_decision(
    actor,
    patient,
    *,
    screening: EligibilityScreening,
    decision: str,
    rationale: str,
    override_reason: str = "",
) -> EligibilityDecision:
    """Record the prescriber's decision on ``screening``; refuse what the rules forbid, with a clear message.

    - proceeding on a "not eligible" screen is refused: an absolute contraindication blocks planning;
    - proceeding on "eligible with cautions" needs a written override reason, audited as an "override";
    - only the latest screening can be decided on (an older one is stale).
    """
    user = acting_user(actor)
    errors = {}
    if not rationale.strip():
        errors["rationale"] = "Write the rationale for the decision."
    if screening.patient_id != patient.pk:
        errors["screening"] = "That screening belongs to another patient."
    elif latest_screening(patient).pk != screening.pk:
        errors["screening"] = "A newer screening exists; decide on the latest one."
    if decision == EligibilityDecision.Decision.PROCEED:
        if screening.status == core_eligibility.NOT_ELIGIBLE:
            titles = "; ".join(r["title"] for r in screening.absolute_reasons)
            errors["decision"] = (
                f"Not eligible: an absolute contraindication blocks treatment planning ({titles}). "
                "It cannot be overridden."
            )
        elif screening.status == core_eligibility.ELIGIBLE_WITH_CAUTIONS and not override_reason.strip():
            errors["override_reason"] = (
                "The screen lists relative contraindications or warnings: write the reason for proceeding."
            )
    elif decision != EligibilityDecision.Decision.DECLINE:
        errors["decision"] = "Choose proceed or do not proceed."
    if errors:
        raise ValidationError(errors)
    row = EligibilityDecision.objects.create(
        patient=patient,
        screening=screening,
        decision=decision,
        rationale=rationale.strip(),
        override_reason=override_reason.strip() if decision == EligibilityDecision.Decision.PROCEED else "",
        decided_by=user,
    )
    audit.record(actor, "create", row, detail={"decision": decision, "screening_status": screening.status})
    if row.is_override:
        audit.record(
            actor,
            "override",
            row,
            detail={
                "overridden": [r["code"] for r in screening.caution_reasons],
                "reason": row.override_reason,
            },
        )
    return row


def _normalise_name(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().casefold()


@transaction.atomic
def acknowledge_consent(
    actor, patient, *, document: ConsentDocument, typed_name: str
) -> ConsentAcknowledgement:
    """Record the patient's acknowledgement of ``document`` (must be the route's current version)."""
    current = current_consent_document(document.route)
    errors = {}
    if current is None or current.pk != document.pk:
        errors["document"] = (
            "This consent version has been replaced; read and acknowledge the current version."
        )
    if _normalise_name(typed_name) != _normalise_name(patient.full_name):
        errors["typed_name"] = f"Type the patient's full name exactly as registered ({patient.full_name})."
    if errors:
        raise ValidationError(errors)
    row = ConsentAcknowledgement.objects.create(
        patient=patient, document=document, typed_name=typed_name.strip(), recorded_by=acting_user(actor)
    )
    audit.record(actor, "create", row, detail={"route": document.route, "version": document.version})
    return row


@transaction.atomic
def publish_consent_document(actor, *, route: str, title: str, body: str) -> ConsentDocument:
    """Publish a new consent version for ``route``; every patient must acknowledge it before further planning."""
    last = ConsentDocument.objects.select_for_update().filter(route=route).order_by("-version").first()
    document = ConsentDocument.objects.create(
        route=route,
        version=(last.version + 1) if last else 1,
        title=title.strip(),
        body=body.strip(),
        published_by=acting_user(actor),
    )
    audit.record(actor, "create", document, detail={"route": route, "version": document.version})
    return document
