"""State changes of a session (:func:`transition`): the core state machine decides which moves are allowed;
:data:`TARGETS` says, for each target state, which gates are checked first and what is stamped on arrival.
Leaving dosing records the delivered dose on the session and, in the same transaction, in the ledger."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from ketamine_clinic import audit
from ketamine_clinic.assessment import services as assessment_services
from ketamine_clinic.core.administration import delivery as core_delivery
from ketamine_clinic.core.administration.states import IllegalTransition, SessionState, plan_transition
from ketamine_clinic.inventory import services as inventory

from .. import custody
from ..models import (
    DosingSession,
    SessionEvent,
)
from .checks import discharge_result, pre_dose_result
from .common import _bump, _locked, _now, _refuse_bad_time, _require_prescriber
from .dosing import dose_rule_for


def _check_dose_drawn(session: DosingSession) -> None:
    """A controlled dose is given only from drug the session holds: drawn from a lot in the ledger."""
    held = inventory.held_for_session(session.lot_id, session.pk) if session.lot_id else 0
    if held < inventory.to_mcg(session.dose_mg, "dose_mg"):
        raise ValidationError(
            {
                "__all__": [
                    "The confirmed dose has not been drawn from the controlled-substance stock for this session: "
                    "confirm the dose with its lot before starting."
                ]
            }
        )


@dataclass(frozen=True)
class _Gates:
    """What the core state machine is told about the gates of one move (None: the gate does not apply)."""

    pre_dose: object = None
    discharge: object = None
    observation: object = None
    cautions: tuple[str, ...] = ()


def _gates_dosing(fresh: DosingSession, now) -> _Gates:
    """Dosing starts only with a confirmed dose drawn from the stock, and the pre-dose gate (cautions noted)."""
    if fresh.dose_mg is None:
        raise ValidationError({"__all__": ["Confirm the dose before starting dosing."]})
    _check_dose_drawn(fresh)
    pre_result = pre_dose_result(fresh, now)
    gate = pre_result.gate()
    # The SPRAVATO REMS records (setting certified, patient enrolled) are held like an open suicide-risk task:
    # recording them clears the gate, a prescriber's override at the chair does not.
    rems = tuple(assessment_services.rems_problems(fresh.patient, fresh.route))
    if rems:
        gate = replace(gate, blocking=gate.blocking + rems, not_overridable=gate.not_overridable + rems)
    return _Gates(pre_dose=gate, cautions=tuple(f.message for f in pre_result.cautions))


def _gates_ready_for_discharge(fresh: DosingSession, now) -> _Gates:
    return _Gates(observation=discharge_result(fresh, now).observation_gate())


def _gates_discharged(fresh: DosingSession, now) -> _Gates:
    return _Gates(discharge=discharge_result(fresh, now).gate())


def _arrive_checked_in(fresh: DosingSession, *, user, reason: str, now) -> list[str]:
    fresh.checked_in_at = now
    fields = ["checked_in_at"]
    if fresh.nurse_id is None and user.role == "nurse":
        fresh.nurse = user
        fields.append("nurse")
    return fields


def _arrive_dosing(fresh: DosingSession, *, user, reason: str, now) -> list[str]:
    fresh.dosing_started_at = now
    return ["dosing_started_at"]


def _arrive_monitoring(fresh: DosingSession, *, user, reason: str, now) -> list[str]:
    if fresh.dosing_ended_at is not None:
        return []
    fresh.dosing_ended_at = now
    return ["dosing_ended_at"]


def _arrive_discharged(fresh: DosingSession, *, user, reason: str, now) -> list[str]:
    fresh.discharged_at = now
    return ["discharged_at"]


def _arrive_aborted(fresh: DosingSession, *, user, reason: str, now) -> list[str]:
    fresh.end_reason = reason
    return ["end_reason"]


def _arrive_stopped_early(fresh: DosingSession, *, user, reason: str, now) -> list[str]:
    fields = _arrive_aborted(fresh, user=user, reason=reason, now=now)
    if fresh.dosing_started_at and not fresh.dosing_ended_at:
        fresh.dosing_ended_at = now
        fields.append("dosing_ended_at")
    return fields


@dataclass(frozen=True)
class _Target:
    """One target state: the gates checked before the core decides the move (``gates``), and what is stamped
    on the session when it arrives there (``arrive``, returning the fields it set). Which moves are allowed,
    and which need a reason or an override, is the core's table (``core.administration.states``)."""

    gates: Callable[[DosingSession, dt.datetime], _Gates] | None = None
    arrive: Callable[..., list[str]] | None = None


# The state machine seen from the sessions app: target state -> its gates and its arrival.
TARGETS: dict[SessionState, _Target] = {
    SessionState.SCHEDULED: _Target(),
    SessionState.CHECKED_IN: _Target(arrive=_arrive_checked_in),
    SessionState.PRE_DOSE_CHECKS: _Target(),
    SessionState.DOSING: _Target(gates=_gates_dosing, arrive=_arrive_dosing),
    SessionState.MONITORING: _Target(arrive=_arrive_monitoring),
    SessionState.READY_FOR_DISCHARGE: _Target(gates=_gates_ready_for_discharge),
    SessionState.DISCHARGED: _Target(gates=_gates_discharged, arrive=_arrive_discharged),
    SessionState.ABORTED: _Target(arrive=_arrive_aborted),
    SessionState.STOPPED_EARLY: _Target(arrive=_arrive_stopped_early),
}


def _target_of(target: str) -> _Target:
    """The table row of ``target``; an unknown state has no gates (the core then refuses the move)."""
    try:
        return TARGETS[SessionState(target)]
    except ValueError:
        return _Target()


def transition(
    session: DosingSession,
    target: str,
    *,
    user,
    version: int | None,
    reason: str = "",
    override_reason: str = "",
    delivered_mg=None,
    volume_infused_ml=None,
    devices_used=None,
    now=None,
) -> DosingSession:
    """Move the session to ``target`` if the state machine, the gates and the version allow it.

    Leaving *dosing* ends the administration: the dose actually delivered is recorded on the session
    (``delivered_mg``: mg, or for an infusion the pump's ``volume_infused_ml``, or for nasal sprays the
    ``devices_used``; see :mod:`ketamine_clinic.core.administration.delivery`). To *monitoring* it defaults to
    the whole confirmed dose; *stopped early* needs it. If the dose came from a stock lot, the delivered
    amount is recorded in the ledger as administered in the same transaction, and the rest stays held by the
    session until it is wasted with a witness. *Aborted* after the dose was drawn records nothing given.
    """
    now = _now(now)
    delivery_input = {
        "delivered_mg": delivered_mg,
        "volume_infused_ml": volume_infused_ml,
        "devices_used": devices_used,
    }
    with transaction.atomic():
        fresh = _locked(session, version)
        row = _target_of(target)
        _refuse_bad_time("__all__", now, after=fresh.state_changed_at, after_what="the last step")
        gates = row.gates(fresh, now) if row.gates else _Gates()
        move = _plan(fresh, target, gates, reason=reason, override_reason=override_reason)
        if move.overridden:
            _require_prescriber(user, fresh.patient, "override a clinical gate")
        delivery = _delivery_on_leaving(fresh, move, now, delivery_input)
        _arrive(fresh, move, delivery, user=user, now=now)
        given = None
        if delivery is not None and delivery.delivered_mg > 0 and fresh.lot_id is not None:
            given = custody.record_administration(
                session=fresh,
                lot_id=fresh.lot_id,
                dose_mg=delivery.delivered_mg,
                user=user,
                reason=_delivery_note(fresh) if fresh.delivered_differs else "",
                now=now,
            )
        _record_move(fresh, move, gates, delivery, given, user=user, now=now)
    session.__dict__.update({k: v for k, v in fresh.__dict__.items() if not k.startswith("_")})
    return fresh


def _plan(fresh: DosingSession, target: str, gates: _Gates, *, reason: str, override_reason: str):
    """The core state machine's decision on the move; a refused move is a form error with its reason."""
    try:
        return plan_transition(
            fresh.state,
            target,
            reason=reason,
            pre_dose=gates.pre_dose,
            discharge=gates.discharge,
            observation=gates.observation,
            override_reason=override_reason,
        )
    except IllegalTransition as err:
        raise ValidationError({"__all__": [str(err)]}) from err


def _delivery_on_leaving(fresh: DosingSession, move, now, delivery_input: dict):
    """The delivered dose when the move leaves dosing; nothing given when aborted after the dose was
    confirmed; a delivered dose typed on any other move is refused."""
    if move.source is SessionState.DOSING and fresh.dose_mg is not None:
        return _delivery(fresh, completed=move.target is SessionState.MONITORING, now=now, **delivery_input)
    if any(v not in (None, "") for v in delivery_input.values()):
        raise ValidationError(
            {
                "delivered_mg": [
                    "The delivered dose is recorded when dosing ends (leaving 'Dosing'); "
                    + (
                        f"it was recorded as {core_delivery.fmt_mg(fresh.delivered_mg)} mg."
                        if fresh.delivered_mg is not None
                        else "dosing has not started."
                    )
                ]
            }
        )
    if move.target is SessionState.ABORTED and fresh.dose_mg is not None:
        return core_delivery.Delivery(Decimal("0.00"), "aborted before dosing: nothing given")
    return None


def _arrive(fresh: DosingSession, move, delivery, *, user, now) -> None:
    """Stamp the new state (and the delivered dose) on the session and save it with a new version."""
    fields = ["state", "state_changed_at"]
    if delivery is not None:
        fresh.delivered_mg, fresh.delivery_basis = delivery.delivered_mg, delivery.basis[:120]
        fields += ["delivered_mg", "delivery_basis"]
    fresh.state = move.target.value
    fresh.state_changed_at = now
    arrive = TARGETS[move.target].arrive
    if arrive is not None:
        fields += arrive(fresh, user=user, reason=move.reason, now=now)
    _bump(fresh, fields)


def _record_move(fresh: DosingSession, move, gates: _Gates, delivery, given, *, user, now) -> None:
    """The session's event row, the appointment's status, and the audit rows of the move."""
    cautions = list(gates.cautions)
    # Cautions (e.g. BP above 140/90) do not block, but the record keeps that dosing began with them known.
    noted = f"Cautions noted at dosing: {'; '.join(cautions)}" if cautions else ""
    if delivery is not None and fresh.delivered_differs:
        noted = "; ".join(filter(None, [noted, _delivery_note(fresh)]))
    event = SessionEvent.objects.create(
        session=fresh,
        from_state=move.source.value,
        to_state=move.target.value,
        at=now,
        by=user,
        reason="; ".join(filter(None, [move.reason, noted])),
        override_reason=move.override_reason,
        overridden_items=list(move.gate_blocking),
    )
    _sync_appointment(fresh, move.target)
    detail = {"from": move.source.value, "to": move.target.value, "reason": move.reason}
    if move.overridden:
        detail.update(override_reason=move.override_reason, overridden=list(move.gate_blocking))
    if cautions:
        detail["cautions"] = cautions
    if delivery is not None:
        detail.update(
            confirmed_mg=str(fresh.dose_mg),
            delivered_mg=str(delivery.delivered_mg),
            delivery_basis=delivery.basis,
            ledger_entry=given.sequence if given is not None else None,
        )
    audit.record(user, "override" if move.overridden else "update", fresh, detail=detail)
    audit.record(user, "create", event, patient=fresh.patient)


def _delivery(session: DosingSession, *, completed: bool, now, **given) -> core_delivery.Delivery:
    """The delivered dose from the nurse's input (core rules); errors become field errors."""
    rule = dose_rule_for(session)
    planned = rule.infusion_duration_min if rule is not None and session.route == "iv" else None
    elapsed = (now - session.dosing_started_at).total_seconds() / 60 if session.dosing_started_at else None
    try:
        return core_delivery.delivered_dose(
            route=session.route,
            confirmed_mg=session.dose_mg,
            completed=completed,
            bag_volume_ml=(session.dose_calculation or {}).get("bag_volume_ml"),
            planned_min=planned,
            elapsed_min=elapsed,
            **given,
        )
    except core_delivery.DeliveryError as err:
        raise ValidationError({err.field: [str(err)]}) from None


def _delivery_note(session: DosingSession) -> str:
    """e.g. "Delivered 20 mg of 35 mg confirmed (pump volume infused 57 of 100 mL)"."""
    return (
        f"Delivered {core_delivery.fmt_mg(session.delivered_mg)} mg of "
        f"{core_delivery.fmt_mg(session.dose_mg)} mg confirmed"
        + (f" ({session.delivery_basis})" if session.delivery_basis else "")
    )


def held_remainder_mg(session: DosingSession) -> Decimal | None:
    """Confirmed but not delivered (mg): still in the bag, syringe or vial, to be wasted with a witness."""
    if session.delivered_mg is None or session.dose_mg is None:
        return None
    return session.dose_mg - session.delivered_mg


def _sync_appointment(session: DosingSession, target: SessionState):
    appt = session.appointment
    if appt is None:
        return
    status = {SessionState.CHECKED_IN: "checked_in", SessionState.DISCHARGED: "completed"}.get(target)
    if status and appt.status != status:
        appt.status = status
        appt.save(update_fields=["status"])
