"""The dose: the order (dose rule) for the session's route, the dose plan, the confirmed dose with its
two-person check and its draw from the controlled-substance stock, and the lots to choose from."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic import access, audit
from ketamine_clinic.accounts.services import confirm_second_person
from ketamine_clinic.core.administration.states import SessionState
from ketamine_clinic.core.pharmacology.dosing import DoseCalculationError, DosePlan, plan_dose
from ketamine_clinic.core.protocols.dose_rule import DoseRule
from ketamine_clinic.core.protocols.routes import dose_rule_problem
from ketamine_clinic.inventory.models import Lot

from .. import custody
from ..models import (
    DosingSession,
)
from .common import _bump, _locked, _now, _require_prescriber


def dose_rule_for(session: DosingSession, *, snapshot: bool = False) -> DoseRule | None:
    """The order for this session: the stored snapshot, else the active plan *for the session's route*.

    Until the dose is confirmed the live plan is read (a prescriber's change shows at once); ``record_dose``
    passes ``snapshot=True`` so the order the dose was prepared from is stored with the session for good. A plan
    for another route never supplies the order (an intranasal session must not get the IV mg/kg rule).
    """
    if session.dose_rule:
        return DoseRule(**session.dose_rule)
    plan = plan_for_route(session)
    if plan is None:
        return None
    rule = plan.dose_rule()
    if rule is None or not snapshot:
        return rule
    session.dose_rule = dataclasses.asdict(rule)
    if session.plan_id is None:
        session.plan = plan
    DosingSession.objects.filter(pk=session.pk).update(dose_rule=session.dose_rule, plan=plan)
    return rule


def plan_for_route(session: DosingSession):
    """The active plan that orders this session's route: its own plan if still active, else the patient's."""
    plan = session.plan
    if plan is not None and plan.status == plan.Status.ACTIVE and plan.route == session.route:
        return plan
    return session.patient.treatment_plans.active().filter(route=session.route).first()


def dose_plan_for(
    session: DosingSession, dose_mg_override: float | None = None, snapshot: bool = False
) -> DosePlan:
    rule = dose_rule_for(session, snapshot=snapshot)
    if rule is None:
        raise ValidationError(
            {
                "dose_mg": [
                    f"No active plan orders a {session.get_route_display()} dose for this patient: the prescriber "
                    "must write the order."
                ]
            }
        )
    problem = dose_rule_problem(session.route, rule.kind)
    if problem:
        raise ValidationError({"dose_mg": [f"The order does not fit this session's route: {problem}"]})
    weight = float(session.weight_kg) if session.weight_kg is not None else None
    try:
        return plan_dose(rule, weight_kg=weight, route=session.route, dose_mg_override=dose_mg_override)
    except DoseCalculationError as err:
        raise ValidationError({"dose_mg": [str(err)]}) from err


def dose_calculation_of(plan: DosePlan) -> dict:
    """What is stored with a confirmed dose: the double-check lines, devices, limits and, for an infusion, the
    final bag volume (the pump's "volume infused" is converted to mg with it when dosing ends)."""
    return {
        "lines": plan.infusion.double_check() if plan.infusion else [],
        "devices": plan.devices,
        "min_mg": round(plan.min_mg, 2),
        "max_mg": round(plan.max_mg, 2),
        "computed_mg": round(plan.dose_mg, 2),
        "bag_volume_ml": plan.infusion.bag_volume_ml if plan.infusion else None,
    }


def record_dose(
    session,
    *,
    dose_mg,
    user,
    lot_id=None,
    second_checker=None,
    second_checker_password: str = "",
    override_reason="",
    expected_version=None,
    now=None,
):
    """Confirm the dose for this session: the two-person check, and the draw from the controlled-substance stock.

    Ketamine and esketamine are Schedule III: a dose exists only with a draw from a lot in stock, so ``lot_id``
    is required, and the drug is DRAWN into the session's custody in the SAME transaction as the dose record (a
    stock error rolls back the dose too). A second staff member (``second_checker``) checks the dose with the
    nurse and confirms by typing their own password now; both are recorded. The dose is checked against the
    plan's limits for today's weight; outside them it is refused unless a prescriber gives ``override_reason``
    (audited as "override"). What was actually given is recorded when administration ends (:func:`transition`
    out of dosing), and only then does the ledger record it as administered.
    """
    now = _now(now)
    override_reason = (override_reason or "").strip()
    dose = _typed_dose(dose_mg, lot_id)
    with transaction.atomic():
        fresh = _locked(session, expected_version)
        if fresh.state != SessionState.PRE_DOSE_CHECKS:
            raise ValidationError(
                {"__all__": ["The dose is confirmed during pre-dose checks, before dosing starts."]}
            )
        access.require(user, "clinical", "write", fresh.patient)
        confirm_second_person(
            user,
            second_checker,
            second_checker_password,
            area="clinical",
            field="second_checker",
            role_words="second checker",
        )
        plan = dose_plan_for(fresh, dose_mg_override=dose, snapshot=True)
        overridden = _check_dose_limits(fresh, plan, dose, user=user, override_reason=override_reason)
        _store_dose(fresh, plan, dose, lot_id, user=user, second_checker=second_checker, now=now,
                    override_reason=override_reason if overridden else "")  # fmt: skip
        _check_lot_strength(lot_id, plan)
        custody.draw_for_dose(session=fresh, lot_id=lot_id, dose_mg=fresh.dose_mg, user=user, now=now)
        detail = {
            "dose_mg": dose,
            "limits_mg": [round(plan.min_mg, 2), round(plan.max_mg, 2)],
            "lot_id": lot_id,
            "second_checker": second_checker.pk,
        }
        if overridden:
            detail["override_reason"] = override_reason
        audit.record(user, "override" if overridden else "update", fresh, detail=detail)
    session.__dict__.update({k: v for k, v in fresh.__dict__.items() if not k.startswith("_")})
    return fresh


def _typed_dose(dose_mg, lot_id) -> float:
    """The dose as typed, a positive number of mg, with the lot it is drawn from (required)."""
    try:
        dose = float(dose_mg)
    except (TypeError, ValueError):
        raise ValidationError({"dose_mg": ["Enter the dose in mg as a number."]}) from None
    if not math.isfinite(dose) or not dose > 0:
        raise ValidationError({"dose_mg": ["The dose must be a positive number of mg."]})
    if lot_id in (None, ""):
        raise ValidationError(
            {"lot_id": ["Choose the stock lot the dose is drawn from: every controlled dose is drawn from the ledger."]}
        )
    return dose


def _check_dose_limits(fresh: DosingSession, plan: DosePlan, dose: float, *, user, override_reason: str) -> bool:
    """Whether the dose is outside the plan's limits (then a prescriber's written reason is required)."""
    overridden = not plan.within_limits
    if overridden:
        if not override_reason:
            raise ValidationError(
                {
                    "dose_mg": [
                        f"{dose:g} mg is outside the plan's limits {plan.min_mg:.1f}-{plan.max_mg:.1f} mg; "
                        "a prescriber must override with a written reason."
                    ]
                }
            )
        _require_prescriber(user, fresh.patient, "give a dose outside the plan's limits")
    return overridden


def _store_dose(fresh, plan: DosePlan, dose: float, lot_id, *, user, second_checker, now, override_reason):
    fresh.dose_mg = Decimal(str(round(dose, 2)))
    fresh.dose_calculation = dose_calculation_of(plan)
    fresh.pump_rate_ml_per_h = (
        Decimal(str(plan.infusion.pump_rate_ml_per_h)) if plan.infusion is not None else None
    )
    fresh.dose_confirmed_by = user
    fresh.dose_confirmed_at = now
    fresh.dose_second_checker = second_checker
    fresh.dose_override_reason = override_reason
    fresh.lot_id = lot_id
    _bump(
        fresh,
        [
            "dose_mg",
            "dose_calculation",
            "pump_rate_ml_per_h",
            "dose_confirmed_by",
            "dose_confirmed_at",
            "dose_second_checker",
            "dose_override_reason",
            "lot_id",
        ],
    )


def lot_choices(session: DosingSession, today: dt.date | None = None) -> list[tuple[str, str]]:
    """In-date stock lots of the session's drug, for the dose form."""
    today = today or timezone.localdate()
    lots = Lot.objects.filter(expires_on__gte=today, product__active=True).select_related("product")
    if session.route == "intranasal":
        lots = lots.filter(product__drug__icontains="esketamine")
    else:
        lots = lots.exclude(product__drug__icontains="esketamine").filter(product__drug__icontains="ketamine")
    return [
        (str(lot.pk), f"{lot.product.name} - lot {lot.lot_number} (exp {lot.expires_on:%Y-%m-%d})")
        for lot in lots
    ]


def _check_lot_strength(lot_id, plan: DosePlan):
    """Refuse a lot whose strength differs from the concentration the draw-up volume was calculated for."""
    lot = Lot.objects.select_related("product").filter(pk=lot_id).first()
    wanted = plan.rule.concentration_mg_per_ml
    have = getattr(getattr(lot, "product", None), "concentration_mg_per_ml", None)
    if lot is not None and wanted and have and abs(float(have) - float(wanted)) > 1e-6:
        raise ValidationError(
            {
                "lot_id": [
                    f"Lot {lot.lot_number} is {float(have):g} mg/mL but the dose was calculated for "
                    f"{float(wanted):g} mg/mL; choose a matching lot or ask the prescriber to change the order."
                ]
            }
        )
