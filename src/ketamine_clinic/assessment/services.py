"""Assessment rules other apps rely on (contract): is the eligibility decision current, is consent current.

Also the writes that must happen together: saving an intake re-runs the screen; a decision is validated
against the screen it decides on; a consent acknowledgement must match the current document version.
"""

import re

from django.core.exceptions import ValidationError
from django.db import transaction

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


def eligibility_is_current(patient) -> bool:
    """True when the latest screening has a prescriber's decision to proceed (contract for plans and sessions).

    A newer screening (the intake was changed) makes an older decision stale; a "not eligible" screening can
    never be decided "proceed" (refused in ``record_decision``), so it can never be current.
    """
    screening = latest_screening(patient)
    if screening is None or screening.status == core_eligibility.NOT_ELIGIBLE:
        return False
    decision = screening.decisions.first()
    return decision is not None and decision.decision == EligibilityDecision.Decision.PROCEED


def current_consent_document(route: str) -> ConsentDocument | None:
    return ConsentDocument.objects.filter(route=route).order_by("-version").first()


def consent_is_current(patient, route: str) -> bool:
    """True when the patient has acknowledged the newest consent version for ``route`` (contract)."""
    document = current_consent_document(route)
    if document is None:
        return False
    return ConsentAcknowledgement.objects.filter(patient=patient, document=document).exists()


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
        measured = (intake.vitals_taken_at or intake.updated_at).date()
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
