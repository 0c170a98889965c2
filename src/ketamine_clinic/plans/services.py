"""Plan rules (contract: ``current_plan``) and the writes that keep every version.

Planning is refused, with a message naming what is missing, until the prescriber has decided to proceed on the
latest eligibility screen, the patient has acknowledged the current consent version for the plan's route, and a
current PDMP check is recorded (ketamine and esketamine are Schedule III: core.safety.pdmp).
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic import access, audit
from ketamine_clinic.assessment import services as assessment
from ketamine_clinic.audit import acting_user as _user
from ketamine_clinic.choices import Route
from ketamine_clinic.core.protocols.templates import ProtocolTemplate, get_template
from ketamine_clinic.core.safety import pdmp

from .models import PdmpCheck, TreatmentPlan, TreatmentPlanVersion

# Fields a plan change may touch (everything else comes from the template or is history).
CHANGEABLE = (
    "dose_amount",
    "concentration_mg_per_ml",
    "infusion_duration_min",
    "titration_rule",
    "phase_changes",
    "integration_every_n_doses",
    "measurement_schedule",
    "start_date",
    "session_time",
    "notes",
)


def current_plan(patient) -> TreatmentPlan | None:
    """The patient's active plan, or None (contract for sessions, outcomes and follow-up)."""
    return patient.treatment_plans.current()


def planning_blockers(patient, route: str) -> list[str]:
    """Why a plan for ``route`` cannot be made now (empty list = it can)."""
    problems = []
    eligibility = assessment.eligibility_problem(patient)
    if eligibility:
        problems.append(eligibility)
    if route not in Route.values:
        problems.append(f"Unknown route {route!r}.")
    else:
        consent = assessment.consent_problem(patient, route)
        if consent:
            problems.append(consent)
    check = pdmp_problem(patient)
    if check:
        problems.append(check)
    return problems


def pdmp_status(patient, today: dt.date | None = None) -> tuple[PdmpCheck | None, str | None]:
    """The patient's latest PDMP check and why a controlled-substance plan cannot start today for want of a current
    one (None = current), read with one query."""
    latest = patient.pdmp_checks.select_related("checked_by").first()
    problem = pdmp.currency_problem(
        latest.checked_on if latest else None, today or timezone.localdate(), settings.PDMP_CHECK_VALID_DAYS
    )
    return latest, problem


def pdmp_problem(patient, today: dt.date | None = None) -> str | None:
    return pdmp_status(patient, today)[1]


def record_pdmp_check(actor, patient, *, checked_on, state: str, result: str, concerns: str = "") -> PdmpCheck:
    """Record the prescriber's PDMP check for ``patient`` (checked by the acting prescriber), audited.

    Refused (ValidationError by field) for a future date, an unknown state code, no result, or concerns found but
    not described; PermissionDenied unless the user may write prescribing decisions for this patient."""
    user = _user(actor)
    if user is None or not access.staff_can(user, "prescribing", access.WRITE):
        raise PermissionDenied("Only prescribers record a PDMP check.")
    if not isinstance(checked_on, dt.date):
        try:
            checked_on = dt.date.fromisoformat(str(checked_on))
        except ValueError:
            raise ValidationError({"checked_on": "Give the date of the PDMP check as YYYY-MM-DD."}) from None
    check = pdmp.PdmpCheck(checked_on=checked_on, state=(state or "").strip().upper(), result=result or "",
                           concerns=(concerns or "").strip())
    problems = pdmp.check_problems(check, timezone.localdate())
    if problems:
        raise ValidationError(problems)
    row = PdmpCheck.objects.create(patient=patient, checked_on=check.checked_on, state=check.state,
                                   result=check.result, concerns=check.concerns, checked_by=user)
    audit.record(actor, "create", row, patient=patient,
                 detail={"pdmp_check": {"checked_on": str(row.checked_on), "state": row.state, "result": row.result}})
    return row


def _frequency(template: ProtocolTemplate) -> list[dict]:
    return [
        {"phase": p.key, "label": p.label, "cadence": p.description, "source": p.source}
        for p in template.phases
    ]


def _snapshot(actor, plan: TreatmentPlan, reason: str) -> TreatmentPlanVersion:
    return TreatmentPlanVersion.objects.create(
        plan=plan, number=plan.version, data=plan.snapshot(), reason=reason, created_by=_user(actor)
    )


def _check_values(plan: TreatmentPlan) -> None:
    """Every value fits its field (no null where one is needed, no negative count, no more digits than the column
    keeps) before anything is written: a refusal naming the field, never a database error after a partial write."""
    if plan.session_time is not None and plan.session_time.tzinfo is not None:
        # A time of day with an offset cannot be put on the clinic's clock without a date; PostgreSQL would drop
        # the offset silently. The clinic's wall-clock time is asked for.
        raise ValidationError({"session_time": "Give the session time on the clinic's wall clock, without an offset."})
    plan.full_clean(exclude=["patient", "created_by"], validate_unique=False, validate_constraints=False)


def _check_dose(plan: TreatmentPlan) -> None:
    _check_values(plan)
    try:
        plan.dose_rule()
    except ValueError as exc:
        raise ValidationError(
            {"dose_amount": f"{exc} (limits {plan.dose_min}-{plan.dose_max} {plan.get_dose_kind_display()})"}
        ) from None
    try:
        step = plan.template().dose_step
    except KeyError:
        step = None
    if step and Decimal(str(plan.dose_amount)) % Decimal(str(step)):
        # e.g. esketamine comes in 28 mg devices (SPRAVATO PI): 56 or 84 mg, never 70.
        raise ValidationError({"dose_amount": f"The dose must be a whole number of {step:g} mg devices."})


@transaction.atomic
def _template_for_new_plan(patient, protocol_key: str, dose_amount):
    """The protocol template a new plan is built from, once nothing blocks planning: a known template, the
    patient eligible and consented for its route, no other active plan, and the label's first dose."""
    try:
        template = get_template(protocol_key)
    except KeyError as exc:
        raise ValidationError({"protocol_key": str(exc.args[0])}) from None
    blockers = planning_blockers(patient, template.route)
    if blockers:
        raise ValidationError({"__all__": blockers})
    if current_plan(patient) is not None:
        raise ValidationError(
            {"__all__": ["The patient already has an active plan: complete or stop it (with a reason) first."]}
        )
    if (
        template.first_dose_amount is not None
        and dose_amount is not None
        and Decimal(str(dose_amount)) != Decimal(str(template.first_dose_amount))
    ):
        # SPRAVATO PI: day 1 is always 56 mg; later doses are adjusted with a plan change.
        raise ValidationError(
            {
                "dose_amount": f"The first dose of this protocol is {template.first_dose_amount:g} mg "
                f"({template.dose_source}); change the dose after the first session."
            }
        )
    return template


def create_plan(
    actor,
    patient,
    *,
    protocol_key: str,
    start_date: dt.date,
    session_time: dt.time = dt.time(9, 0),
    dose_amount: Decimal | None = None,
    phase_changes: dict | None = None,
    notes: str = "",
) -> TreatmentPlan:
    """Build an active plan from a protocol template, or refuse with the reasons planning is blocked."""
    template = _template_for_new_plan(patient, protocol_key, dose_amount)
    rule = template.dose_rule
    plan = TreatmentPlan(
        patient=patient,
        protocol_key=template.key,
        route=template.route,
        status=TreatmentPlan.Status.ACTIVE,
        created_by=_user(actor),
        drug=rule.drug,
        concentration_mg_per_ml=Decimal(str(rule.concentration_mg_per_ml))
        if rule.concentration_mg_per_ml
        else None,
        dose_kind=rule.kind,
        dose_amount=Decimal(str(dose_amount if dose_amount is not None else rule.amount)),
        dose_min=Decimal(str(rule.min_amount)),
        dose_max=Decimal(str(rule.max_amount)),
        infusion_duration_min=int(rule.infusion_duration_min) if rule.infusion_duration_min else None,
        titration_rule=f"{template.titration.description} [{template.titration.source}]",
        session_frequency=_frequency(template),
        phase_changes=phase_changes or {},
        integration_every_n_doses=template.integration.every_n_doses if template.integration else None,
        measurement_schedule=dict(template.measurement_schedule),
        start_date=start_date,
        session_time=session_time,
        notes=notes,
    )
    _check_dose(plan)
    plan.save()
    _snapshot(actor, plan, f"Created from protocol template '{template.name}'.")
    audit.record(actor, "create", plan, detail={"protocol": template.key, "version": 1})
    return plan


@transaction.atomic
def change_plan(actor, plan: TreatmentPlan, *, reason: str, **changes) -> TreatmentPlan:
    """Apply ``changes`` as a new version; the reason is required and the previous version stays stored."""
    if not reason.strip():
        raise ValidationError({"reason": "Every plan change needs a reason."})
    unknown = sorted(set(changes) - set(CHANGEABLE))
    if unknown:
        raise ValidationError({k: "This field cannot be changed on a plan." for k in unknown})
    plan = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status not in (TreatmentPlan.Status.ACTIVE, TreatmentPlan.Status.DRAFT):
        raise ValidationError({"__all__": [f"A {plan.get_status_display().lower()} plan cannot be changed."]})
    changed = sorted(k for k, v in changes.items() if getattr(plan, k) != v)
    if not changed:
        raise ValidationError({"__all__": ["Nothing changed."]})
    for key in changed:
        setattr(plan, key, changes[key])
    _check_dose(plan)
    plan.version += 1
    plan.save()
    _snapshot(actor, plan, reason.strip())
    audit.record(
        actor, "update", plan, detail={"fields": changed, "version": plan.version, "reason": reason.strip()}
    )
    return plan


@transaction.atomic
def set_status(actor, plan: TreatmentPlan, *, status: str, reason: str) -> TreatmentPlan:
    """Complete or stop a plan (kept as a version with its reason)."""
    allowed = {TreatmentPlan.Status.COMPLETED, TreatmentPlan.Status.STOPPED}
    if status not in allowed:
        raise ValidationError({"status": "A plan can only be marked completed or stopped here."})
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for completing or stopping the plan."})
    plan = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != TreatmentPlan.Status.ACTIVE:
        raise ValidationError({"status": "Only an active plan can be completed or stopped."})
    plan.status = status
    plan.version += 1
    plan.save()
    _snapshot(actor, plan, reason.strip())
    audit.record(
        actor, "update", plan, detail={"status": status, "version": plan.version, "reason": reason.strip()}
    )
    return plan
