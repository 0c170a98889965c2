"""Assessment rules other apps rely on (contract): is the eligibility decision current, is consent current.

Both lapse when something changes (a newer screening; a new consent version) and after a clinic-set time
(``ELIGIBILITY_VALID_DAYS``, ``CONSENT_VALID_DAYS``, default a year each); ``eligibility_problem`` and
``consent_problem`` say why in plain words for the pages, planning and the pre-dose checks.

Also the writes that must happen together: saving an intake re-runs the screen; a decision is validated
against the screen it decides on; a consent acknowledgement must match the current document version.

The screen reads the chart: the patient's coded diagnoses (``core.safety.chart_codes``: pre-fill and
cross-check) and the treatment-resistance summary of the previous treatments. Adding or removing a previous
treatment re-runs the screen when its result changes. An answer the chart contradicts must be resolved by a
prescriber (``resolve_mismatch``) before "proceed" can be recorded.

Times of clinical events (vitals, screening, decision, consent, resolution) cannot lie in the future
(``core.safety.event_time``; a few minutes of clock difference are accepted).
"""

import datetime as dt
import re
from dataclasses import replace

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic import access, audit
from ketamine_clinic.audit import acting_user
from ketamine_clinic.clinic.services import rems_certified
from ketamine_clinic.core.safety import chart_codes as core_chart
from ketamine_clinic.core.safety import eligibility as core_eligibility
from ketamine_clinic.core.safety import event_time
from ketamine_clinic.core.safety import rems as core_rems
from ketamine_clinic.core.safety import treatment_resistance as core_trd

from .models import (
    ChartMismatchResolution,
    ConsentAcknowledgement,
    ConsentDocument,
    EligibilityDecision,
    EligibilityScreening,
    IntakeAssessment,
    PreviousTreatment,
    RemsEnrolment,
)


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
    from ketamine_clinic.choices import Route

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


def chart_findings(patient, today: dt.date | None = None) -> tuple[core_chart.ChartFinding, ...]:
    """What the patient's coded diagnoses imply for the screening questions (as of ``today``)."""
    diagnoses = [
        core_chart.ChartDiagnosis(d.icd10_code, d.description, d.noted_on) for d in patient.diagnoses.all()
    ]
    return core_chart.chart_findings(diagnoses, today or timezone.localdate())


def chart_prefill(patient) -> dict[str, bool]:
    """Screening answers a new intake starts with because the chart's codes imply them: {fact: True}."""
    return core_chart.implied_answers(chart_findings(patient))


def chart_prefill_codes(patient) -> dict[str, str]:
    """{fact: "F31.32 Bipolar disorder, ..."} - shown beside each pre-filled question."""
    out: dict[str, list[str]] = {}
    for f in chart_findings(patient):
        out.setdefault(f.fact, []).append(f"{f.code} {f.description}".strip())
    return {k: "; ".join(v) for k, v in out.items()}


def screening_facts(intake: IntakeAssessment, today: dt.date | None = None) -> core_eligibility.ScreeningFacts:
    """The intake's answers with what the chart says: coded diagnoses and the treatment-resistance summary."""
    patient = intake.patient
    return replace(
        intake.screening_facts(),
        failed_adequate_trials=treatment_resistance(patient).failed_adequate_trials,
        chart=chart_findings(patient, today),
    )


def _result_key(status: str, reasons) -> tuple:
    return status, tuple(r["code"] if isinstance(r, dict) else r.code for r in reasons)


def screening_is_outdated(screening: EligibilityScreening) -> bool:
    """True when screening the same intake against the chart as it is now gives another result (status or reasons:
    a diagnosis coded, a previous treatment recorded or removed since)."""
    result = core_eligibility.screen(screening_facts(screening.intake))
    return _result_key(result.status, result.reasons) != _result_key(screening.status, screening.reasons)


def _check_event_time(errors: dict, field: str, when, what: str, now) -> None:
    problem = event_time.future_problem(when, now, what)
    if problem:
        errors[field] = problem


def run_screening(actor, intake: IntakeAssessment, *, screened_at=None) -> EligibilityScreening:
    """Screen ``intake`` with the pure-core rules and store the result as shown (reasons with sources).

    ``screened_at`` (default now) is when the screening happened; it cannot be in the future nor before the
    patient's latest screening (which would then stay "the latest").
    """
    now = timezone.now()
    when = screened_at or now
    errors: dict = {}
    _check_event_time(errors, "screened_at", when, "The screening time", now)
    last = latest_screening(intake.patient)
    if last is not None and when < last.screened_at:
        errors["screened_at"] = (
            f"A screening of {timezone.localtime(last.screened_at):%Y-%m-%d %H:%M} exists; a new screening "
            "cannot be dated before it."
        )
    if errors:
        raise ValidationError(errors)
    facts = screening_facts(intake, timezone.localdate(when))
    result = core_eligibility.screen(facts)
    screening = EligibilityScreening.objects.create(
        patient=intake.patient,
        intake=intake,
        status=result.status,
        reasons=[r.as_dict() for r in result.reasons],
        facts=facts.as_dict(),
        screened_at=when,
        screened_by=acting_user(actor),
    )
    audit.record(
        actor,
        "create",
        screening,
        detail={
            "status": result.status,
            "reasons": len(result.reasons),
            "chart_mismatches": [r.code for r in result.mismatches],
        },
    )
    return screening


def rescreen_if_changed(actor, patient) -> EligibilityScreening | None:
    """Re-run the screen on the latest intake if what it reads changed its result; the new screening, or None."""
    screening = latest_screening(patient)
    if screening is None or not screening_is_outdated(screening):
        return None
    return run_screening(actor, screening.intake)


def _intake_time_errors(intake: IntakeAssessment, now) -> dict:
    errors: dict = {}
    _check_event_time(errors, "vitals_taken_at", intake.vitals_taken_at, "The time the vitals were taken", now)
    problem = event_time.future_date_problem(
        intake.last_suicide_attempt_on, timezone.localdate(now), "The date of the last suicide attempt"
    )
    if problem:
        errors["last_suicide_attempt_on"] = problem
    return errors


@transaction.atomic
def save_intake(
    actor, intake: IntakeAssessment, *, created: bool, screened_at=None
) -> EligibilityScreening:
    """Save an intake (already validated), copy its weight to the chart, and re-run the screen.

    Refused (nothing saved) when the vitals time or the last suicide attempt lies in the future.
    """
    errors = _intake_time_errors(intake, timezone.now())
    if errors:
        raise ValidationError(errors)
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
    return run_screening(actor, intake, screened_at=screened_at)


@transaction.atomic
def add_previous_treatment(actor, patient, treatment: PreviousTreatment) -> PreviousTreatment:
    """Record an earlier treatment (already validated); the screen re-runs if its result changes."""
    treatment.patient = patient
    treatment.recorded_by = treatment.recorded_by or acting_user(actor)
    treatment.full_clean()
    treatment.save()
    audit.record(actor, "create", treatment)
    rescreen_if_changed(actor, patient)
    return treatment


@transaction.atomic
def remove_previous_treatment(actor, treatment: PreviousTreatment) -> None:
    """Remove an earlier treatment recorded in error; the screen re-runs if its result changes."""
    patient = treatment.patient
    audit.record(actor, "delete", treatment, detail={"name": treatment.name, "kind": treatment.kind})
    treatment.delete()
    rescreen_if_changed(actor, patient)


@transaction.atomic
def resolve_mismatch(
    actor, screening: EligibilityScreening, *, fact: str, reason: str, resolved_at=None
) -> ChartMismatchResolution:
    """A prescriber's recorded resolution of one answer the chart's coded diagnoses contradict (audited).

    Refused unless the user may write prescribing decisions, the screening is the patient's latest, the item
    is an unresolved contradiction on it, and a reason is written.
    """
    user = acting_user(actor)
    if not access.can(user, "prescribing", "write"):
        raise PermissionDenied("Only a prescriber can resolve a contradiction between the chart and the screening.")
    now = timezone.now()
    when = resolved_at or now
    errors: dict = {}
    if latest_screening(screening.patient).pk != screening.pk:
        errors["screening"] = "A newer screening exists; resolve the contradictions on the latest one."
    open_facts = {EligibilityScreening.mismatch_fact(r): r for r in screening.unresolved_mismatches()}
    if fact not in open_facts:
        errors["fact"] = "There is no unresolved contradiction with the chart for that screening item."
    if not reason.strip():
        errors["reason"] = (
            "Write the resolution: why the coded diagnosis does not change the answer, or what was corrected."
        )
    _check_event_time(errors, "resolved_at", when, "The time of the resolution", now)
    if errors:
        raise ValidationError(errors)
    codes = "; ".join(c["code"] for c in screening.facts.get("chart", []) if c["fact"] == fact)
    row = ChartMismatchResolution.objects.create(
        screening=screening,
        fact=fact,
        chart_codes=codes[:200],
        reason=reason.strip(),
        resolved_by=user,
        resolved_at=when,
    )
    detail = {"screening": screening.pk, "fact": fact, "chart_codes": codes, "reason": row.reason}
    audit.record(actor, "create", row, patient=screening.patient, detail=detail)
    audit.record(actor, "override", row, patient=screening.patient, detail=detail)
    return row


def mismatch_problem(screening: EligibilityScreening) -> str | None:
    """Plain words for the contradictions with the chart still to be resolved on ``screening`` (None = none)."""
    open_ = screening.unresolved_mismatches()
    if not open_:
        return None
    items = "; ".join(r["title"].split(": ", 1)[-1] for r in open_)
    return (
        f"The chart's coded diagnoses contradict the screening answers ({items}). A prescriber must resolve each "
        "contradiction - correct the intake, or record why the coded diagnosis does not apply - before the "
        "patient can be cleared to proceed."
    )


@transaction.atomic
def _check_may_proceed(errors: dict, screening: EligibilityScreening, override_reason: str) -> None:
    """The rules for proceeding on a screen: never past an absolute contraindication; not while the chart
    contradicts an answer or has changed since; with a written reason past relative contraindications."""
    if screening.status == core_eligibility.NOT_ELIGIBLE:
        titles = "; ".join(r["title"] for r in screening.absolute_reasons)
        errors["decision"] = (
            f"Not eligible: an absolute contraindication blocks treatment planning ({titles}). "
            "It cannot be overridden."
        )
        return
    problem = mismatch_problem(screening)
    if problem:
        errors["decision"] = problem
    elif "screening" not in errors and screening_is_outdated(screening):
        errors["screening"] = (
            "The chart has changed since this screening (a coded diagnosis or a previous treatment): "
            "record an updated intake so the screen reads the chart as it is now, then decide on it."
        )
    if screening.status == core_eligibility.ELIGIBLE_WITH_CAUTIONS and not override_reason.strip():
        errors["override_reason"] = (
            "The screen lists relative contraindications or warnings: write the reason for proceeding."
        )


def record_decision(
    actor,
    patient,
    *,
    screening: EligibilityScreening,
    decision: str,
    rationale: str,
    override_reason: str = "",
    decided_at=None,
) -> EligibilityDecision:
    """Record the prescriber's decision on ``screening``; refuse what the rules forbid, with a clear message.

    - proceeding on a "not eligible" screen is refused: an absolute contraindication blocks planning;
    - proceeding while an answer the chart contradicts is unresolved is refused (``resolve_mismatch`` first);
    - proceeding on a screening the chart has since outdated (a diagnosis coded, a treatment recorded) is refused:
      record an updated intake;
    - proceeding on "eligible with cautions" needs a written override reason, audited as an "override";
    - only the latest screening can be decided on (an older one is stale);
    - ``decided_at`` (default now) cannot be in the future nor before the screening.
    """
    user = acting_user(actor)
    now = timezone.now()
    when = decided_at or now
    errors = {}
    _check_event_time(errors, "decided_at", when, "The time of the decision", now)
    if "decided_at" not in errors and when < screening.screened_at:
        errors["decided_at"] = "A decision cannot be dated before the screening it decides on."
    if not rationale.strip():
        errors["rationale"] = "Write the rationale for the decision."
    if screening.patient_id != patient.pk:
        errors["screening"] = "That screening belongs to another patient."
    elif latest_screening(patient).pk != screening.pk:
        errors["screening"] = "A newer screening exists; decide on the latest one."
    if decision == EligibilityDecision.Decision.PROCEED:
        _check_may_proceed(errors, screening, override_reason)
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
        decided_at=when,
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
    actor, patient, *, document: ConsentDocument, typed_name: str, acknowledged_at=None
) -> ConsentAcknowledgement:
    """Record the patient's acknowledgement of ``document`` (must be the route's current version).

    ``acknowledged_at`` (default now) cannot be in the future nor before the document was published.
    """
    current = current_consent_document(document.route)
    now = timezone.now()
    when = acknowledged_at or now
    errors = {}
    _check_event_time(errors, "acknowledged_at", when, "The time of the consent", now)
    if "acknowledged_at" not in errors and when < document.published_at:
        errors["acknowledged_at"] = "A consent cannot be dated before its document version was published."
    if current is None or current.pk != document.pk:
        errors["document"] = (
            "This consent version has been replaced; read and acknowledge the current version."
        )
    if _normalise_name(typed_name) != _normalise_name(patient.full_name):
        errors["typed_name"] = f"Type the patient's full name exactly as registered ({patient.full_name})."
    if errors:
        raise ValidationError(errors)
    row = ConsentAcknowledgement.objects.create(
        patient=patient,
        document=document,
        typed_name=typed_name.strip(),
        recorded_by=acting_user(actor),
        acknowledged_at=when,
    )
    audit.record(actor, "create", row, detail={"route": document.route, "version": document.version})
    return row


@transaction.atomic
def publish_consent_document(
    actor, *, route: str, title: str, body: str, published_at=None
) -> ConsentDocument:
    """Publish a new consent version for ``route``; every patient must acknowledge it before further planning.

    ``published_at`` (default now; the demo seed dates version 1 before its patients were seen) cannot be in the
    future nor before the version it replaces.
    """
    last = ConsentDocument.objects.select_for_update().filter(route=route).order_by("-version").first()
    now = timezone.now()
    when = published_at or now
    errors: dict = {}
    _check_event_time(errors, "published_at", when, "The publication time", now)
    if last is not None and when < last.published_at:
        errors["published_at"] = "A new version cannot be dated before the version it replaces."
    if errors:
        raise ValidationError(errors)
    document = ConsentDocument.objects.create(
        published_at=when,
        route=route,
        version=(last.version + 1) if last else 1,
        title=title.strip(),
        body=body.strip(),
        published_by=acting_user(actor),
    )
    audit.record(actor, "create", document, detail={"route": route, "version": document.version})
    return document


# SPRAVATO REMS enrolment ----------------------------------------------------------------------------------------


def rems_enrolment(patient) -> RemsEnrolment | None:
    """The patient's latest recorded SPRAVATO REMS enrolment (None: not enrolled)."""
    return patient.rems_enrolments.select_related("recorded_by").first()


def record_rems_enrolment(actor, patient, *, enrolled_on, rems_patient_id: str = "") -> RemsEnrolment:
    """Record that ``patient`` is enrolled in the SPRAVATO REMS (the date, the program's patient number if given).

    Refused (by field) for a missing or future date; PermissionDenied unless the user writes this patient's
    clinical record. Audited. Booking and dosing esketamine read it (core.safety.rems)."""
    user = acting_user(actor)
    access.require(user, "clinical", access.WRITE, patient)
    if enrolled_on in (None, ""):
        raise ValidationError({"enrolled_on": "Give the date the patient was enrolled in the SPRAVATO REMS."})
    if not isinstance(enrolled_on, dt.date):
        try:
            enrolled_on = dt.date.fromisoformat(str(enrolled_on))
        except ValueError:
            raise ValidationError({"enrolled_on": "Give the date of the enrolment as YYYY-MM-DD."}) from None
    if enrolled_on > timezone.localdate():
        raise ValidationError({"enrolled_on": "The enrolment cannot be dated in the future."})
    rems_patient_id = (rems_patient_id or "").strip()
    if len(rems_patient_id) > RemsEnrolment._meta.get_field("rems_patient_id").max_length:
        raise ValidationError({"rems_patient_id": "The REMS patient number is at most 60 characters."})
    with transaction.atomic():
        row = RemsEnrolment.objects.create(patient=patient, enrolled_on=enrolled_on, rems_patient_id=rems_patient_id,
                                           recorded_by=user, recorded_at=timezone.now())
        audit.record(actor, "create", row, detail={"rems_enrolment": {
            "enrolled_on": str(enrolled_on), "rems_patient_id": rems_patient_id}})
    return row


def rems_problems(patient, route: str | None) -> list[str]:
    """Why an esketamine session cannot be booked or dosed for ``patient`` for want of the setting's REMS
    certification or the patient's enrolment (empty for other routes). Booking and the dosing gate both ask here,
    and the rule is the core's (core.safety.rems)."""
    if not core_rems.is_rems_route(route):
        return []
    return core_rems.esketamine_gate_problems(
        route, rems_certified(), rems_enrolment(patient) is not None, patient_name=patient.full_name
    )
