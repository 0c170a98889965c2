"""Titration decision support on a plan: the core rule over the database, and the prescriber's decision.

Data flows one way: the plan's protocol template (its ``TitrationRule``) + the plan's completed dosing sessions
(the dose each was given at) + the plan's primary outcome measure -> ``core.protocols.titration`` -> a suggestion
shown to prescribers -> accepted (a new plan version through ``services.change_plan``, audited) or declined
with a written reason (stored and audited). Either way the level is decided: it is not suggested again.
The software suggests; the prescriber decides.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ketamine_clinic import audit
from ketamine_clinic.audit import acting_user
from ketamine_clinic.core.protocols.titration import DoseGiven, TitrationSuggestion, suggest_titration
from ketamine_clinic.outcomes.history import OUTCOME_MEASURES, trajectory

from . import services
from .models import TitrationDecision, TreatmentPlan

# Sessions that count as a dose given at a level: completed (discharged). A session stopped early may not
# have delivered the whole dose, so it is not counted as a trial of the level (clinic-defined).
COMPLETED_STATES = ("discharged",)

SUGGESTS_NOT_DECIDES = (
    "The software suggests; the prescriber decides. Weigh tolerability (blood pressure, dissociation, side "
    "effects) and the patient's wishes before changing the dose."
)


def primary_measure_candidates(plan: TreatmentPlan) -> list[str]:
    """Outcome measures in the order the plan's schedule names them (weekly first), then the usual order."""
    schedule = plan.measurement_schedule or {}
    named = []
    for slot in ("weekly", "end_of_phase", "baseline"):
        value = schedule.get(slot) or []
        named += [k for k in (value if isinstance(value, list) else []) if k in OUTCOME_MEASURES]
    ordered = named + list(OUTCOME_MEASURES)
    return list(dict.fromkeys(ordered))


def _amount_of(session, versions) -> float | None:
    """The dose level a session was given at: its stored order, else the plan version in force then."""
    rule = session.dose_rule or {}
    if rule.get("amount") is not None:
        return float(rule["amount"])
    in_force = None
    for version in versions:  # oldest first
        if version.created_at <= session.scheduled_for:
            in_force = version
    in_force = in_force or (versions[0] if versions else None)
    amount = (in_force.data or {}).get("dose_amount") if in_force else None
    return float(amount) if amount is not None else None


def doses_given(plan: TreatmentPlan) -> list[DoseGiven]:
    """The plan's completed dosing sessions with the dose level each was given at, oldest first."""
    versions = list(plan.versions.order_by("number"))
    out = []
    for session in plan.dosing_sessions.filter(state__in=COMPLETED_STATES).order_by("scheduled_for"):
        amount = _amount_of(session, versions)
        if amount is not None:
            out.append(DoseGiven(session.scheduled_for, amount))
    return out


def decided_levels(plan: TreatmentPlan) -> list[float]:
    return [float(a) for a in plan.titration_decisions.values_list("from_amount", flat=True)]


def evaluate(plan: TreatmentPlan) -> TitrationSuggestion | None:
    """The live titration suggestion for an active plan (levels already decided excluded), or None."""
    if plan.status != TreatmentPlan.Status.ACTIVE:
        return None
    try:
        template = plan.template()
    except KeyError:
        return None
    rule = template.titration
    if rule.to_amount is None or not rule.after_sessions_without_response:
        return None  # nothing to compute: no database reads for rules left to the prescriber
    doses = doses_given(plan)
    if not doses:
        return None
    first = doses[0].given_at
    decided = decided_levels(plan)
    for key in primary_measure_candidates(plan):
        scores = trajectory(plan.patient, key)
        if not any(when <= first for when in scores.taken_at):
            continue  # no baseline on this measure: try the next one
        return suggest_titration(
            template,
            current_amount=float(plan.dose_amount),
            plan_max=float(plan.dose_max),
            doses=doses,
            trajectory=scores,
            decided_levels=decided,
        )
    return None


def _live(plan: TreatmentPlan, from_amount) -> TitrationSuggestion:
    suggestion = evaluate(plan)
    if suggestion is None:
        raise ValidationError(
            {
                "__all__": [
                    "There is no titration suggestion for this plan now (it may have been decided already)."
                ]
            }
        )
    if from_amount is not None and Decimal(str(from_amount)) != Decimal(str(suggestion.from_amount)).quantize(
        Decimal("0.001")
    ):
        raise ValidationError(
            {"__all__": ["The plan's dose changed since the suggestion was shown: review the plan again."]}
        )
    return suggestion


def _decision(actor, plan, suggestion, *, decision, reason, version=None) -> TitrationDecision:
    try:
        with transaction.atomic():
            row = TitrationDecision.objects.create(
                plan=plan,
                from_amount=Decimal(str(suggestion.from_amount)),
                to_amount=Decimal(str(suggestion.to_amount)),
                decision=decision,
                suggestion=suggestion.reason,
                reason=reason,
                plan_version=version,
                decided_by=acting_user(actor),
            )
    except IntegrityError:
        raise ValidationError({"__all__": ["This dose level was already decided."]}) from None
    audit.record(
        actor,
        "create",
        row,
        detail={
            "decision": decision,
            "from_amount": f"{suggestion.from_amount:g}",
            "to_amount": f"{suggestion.to_amount:g}",
            "unit": suggestion.unit,
            "reason": reason,
            "plan_version": version,
        },
    )
    return row


@transaction.atomic
def accept(actor, plan: TreatmentPlan, *, reason: str, from_amount=None) -> TitrationDecision:
    """Accept: a new plan version at the suggested dose (reason required), and the level marked decided."""
    plan = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
    suggestion = _live(plan, from_amount)
    if not (reason or "").strip():
        raise ValidationError(
            {"reason": "Every plan change needs a reason (the suggestion's reason is offered)."}
        )
    plan = services.change_plan(
        actor,
        plan,
        reason=reason.strip(),
        dose_amount=Decimal(str(suggestion.to_amount)).quantize(Decimal("0.001")),
    )
    return _decision(
        actor,
        plan,
        suggestion,
        decision=TitrationDecision.Decision.ACCEPTED,
        reason=reason.strip(),
        version=plan.version,
    )


@transaction.atomic
def decline(actor, plan: TreatmentPlan, *, reason: str, from_amount=None) -> TitrationDecision:
    """Decline with a written reason (stored and audited); the suggestion is not shown again at this level."""
    plan = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
    suggestion = _live(plan, from_amount)
    if not (reason or "").strip():
        raise ValidationError(
            {"reason": "Write why the suggestion is declined (it is kept in the audit log)."}
        )
    return _decision(
        actor, plan, suggestion, decision=TitrationDecision.Decision.DECLINED, reason=reason.strip()
    )
