"""The dosing-session state machine: where a supervised session is, and where it may go next.

A session walks scheduled -> checked in -> pre-dose checks -> dosing -> monitoring -> ready for discharge ->
discharged. From any state that is not terminal it may instead be *aborted* (before any drug is given, e.g.
a failed BP gate or a no-show) or *stopped early* (after dosing began, e.g. the patient leaves against
advice or is transferred). Both terminal exits need a written reason. Anything else is refused with a
message that says which moves are allowed, so the nurse knows what to do instead.

The gates (pre-dose checks passed before dosing, discharge criteria met before discharge) are enforced here
too, from results computed by :mod:`.predose` and :mod:`.discharge`; an explicit override reason lets a
prescriber proceed past a gate, and the caller must audit it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SessionState(StrEnum):
    SCHEDULED = "scheduled"
    CHECKED_IN = "checked_in"
    PRE_DOSE_CHECKS = "pre_dose_checks"
    DOSING = "dosing"
    MONITORING = "monitoring"
    READY_FOR_DISCHARGE = "ready_for_discharge"
    DISCHARGED = "discharged"
    ABORTED = "aborted"
    STOPPED_EARLY = "stopped_early"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATES


STATE_LABELS = {
    SessionState.SCHEDULED: "Scheduled",
    SessionState.CHECKED_IN: "Checked in",
    SessionState.PRE_DOSE_CHECKS: "Pre-dose checks",
    SessionState.DOSING: "Dosing",
    SessionState.MONITORING: "Monitoring / observation",
    SessionState.READY_FOR_DISCHARGE: "Ready for discharge",
    SessionState.DISCHARGED: "Discharged",
    SessionState.ABORTED: "Aborted (no drug given)",
    SessionState.STOPPED_EARLY: "Stopped early",
}

# What the button that moves a session into each state says: the action, not the state it leads to ("Check in",
# not "Checked in"). The way back from "ready for discharge" (a late alert) has its own words (action_label).
ACTION_LABELS = {
    SessionState.CHECKED_IN: "Check in",
    SessionState.PRE_DOSE_CHECKS: "Start pre-dose checks",
    SessionState.DOSING: "Start dosing",
    SessionState.MONITORING: "End dosing, start observation",
    SessionState.READY_FOR_DISCHARGE: "Mark ready for discharge",
    SessionState.DISCHARGED: "Discharge",
    SessionState.ABORTED: "Abort: no drug given",
    SessionState.STOPPED_EARLY: "Stop early",
}


def action_label(target: SessionState, source: SessionState | None = None) -> str:
    """The words on the button that moves a session from ``source`` to ``target``."""
    if source is SessionState.READY_FOR_DISCHARGE and target is SessionState.MONITORING:
        return "Back to observation"
    return ACTION_LABELS.get(target, target.label)


TERMINAL_STATES = frozenset({SessionState.DISCHARGED, SessionState.ABORTED, SessionState.STOPPED_EARLY})

# States in which drug may already have been given: leaving early from here is "stopped early", not "aborted".
DOSE_GIVEN_STATES = frozenset(
    {SessionState.DOSING, SessionState.MONITORING, SessionState.READY_FOR_DISCHARGE}
)

# Sessions in which drug was given, as stored values: those under way plus the ends of such sessions. What
# follow-up, the portal and the score history count as a dose.
DOSED_STATES = frozenset(
    {str(s) for s in DOSE_GIVEN_STATES} | {str(SessionState.DISCHARGED), str(SessionState.STOPPED_EARLY)}
)

# The forward path. "ready for discharge" may fall back to monitoring when a late reading raises an alert.
FORWARD = {
    SessionState.SCHEDULED: (SessionState.CHECKED_IN,),
    SessionState.CHECKED_IN: (SessionState.PRE_DOSE_CHECKS,),
    SessionState.PRE_DOSE_CHECKS: (SessionState.DOSING,),
    SessionState.DOSING: (SessionState.MONITORING,),
    SessionState.MONITORING: (SessionState.READY_FOR_DISCHARGE,),
    SessionState.READY_FOR_DISCHARGE: (SessionState.DISCHARGED, SessionState.MONITORING),
}


class IllegalTransition(ValueError):
    """A move the state machine refuses; ``str(err)`` is a message fit to show the user."""


def parse_state(value: str | SessionState) -> SessionState:
    try:
        return SessionState(value)
    except ValueError:
        known = ", ".join(s.value for s in SessionState)
        raise IllegalTransition(f"Unknown session state {value!r}; known states are: {known}.") from None


def allowed_next(current: str | SessionState) -> tuple[SessionState, ...]:
    """Every state reachable in one move from ``current`` (empty for terminal states)."""
    state = parse_state(current)
    if state.is_terminal:
        return ()
    early_exit = SessionState.STOPPED_EARLY if state in DOSE_GIVEN_STATES else SessionState.ABORTED
    return FORWARD[state] + (early_exit,)


@dataclass(frozen=True)
class GateResult:
    """What a gate (pre-dose checks, discharge criteria) concluded, reduced to what the machine needs.

    ``blocking`` lists plain-language reasons the gate is not passed (empty when passed).
    """

    name: str
    blocking: tuple[str, ...] = ()
    # Blocking items that a gate override cannot pass (their own action clears them, e.g. a prescriber's
    # disposition on an urgent suicide-risk task).
    not_overridable: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.blocking


@dataclass(frozen=True)
class Transition:
    """An accepted move. ``overridden`` is True when a gate was passed by a written override (audit it)."""

    source: SessionState
    target: SessionState
    reason: str = ""
    overridden: bool = False
    override_reason: str = ""
    gate_blocking: tuple[str, ...] = ()


def plan_transition(
    current: str | SessionState,
    target: str | SessionState,
    *,
    reason: str = "",
    pre_dose: GateResult | None = None,
    discharge: GateResult | None = None,
    observation: GateResult | None = None,
    override_reason: str = "",
) -> Transition:
    """Check one move and return it, or raise :class:`IllegalTransition` with a clear message.

    - Entering *dosing* needs the pre-dose gate result; if it is not passed, a written ``override_reason``.
    - Entering *discharged* needs the discharge gate result; if it is not passed, a written ``override_reason``.
    - Entering *ready for discharge* needs the minimum-observation gate; if it is not passed, an override.
    - Entering *aborted* / *stopped early* needs a written ``reason``.
    """
    source = parse_state(current)
    dest = parse_state(target)
    reason = (reason or "").strip()
    override_reason = (override_reason or "").strip()
    _check_move_allowed(source, dest)
    if dest in (SessionState.ABORTED, SessionState.STOPPED_EARLY) and not reason:
        raise IllegalTransition(f"Give a reason to mark the session '{dest.label}'.")
    gate = _gate_for(dest, pre_dose=pre_dose, discharge=discharge, observation=observation)
    if gate is not None:
        _refuse_hold(gate)
    if gate is not None and not gate.passed:
        _require_override_reason(gate, override_reason)
        return Transition(source, dest, reason, True, override_reason, gate.blocking)
    return Transition(source, dest, reason)


def _check_move_allowed(source: SessionState, dest: SessionState) -> None:
    """A terminal session never moves; otherwise only to a state the table allows, with a hint on the right one."""
    if source.is_terminal:
        raise IllegalTransition(
            f"The session is already {source.label.lower()}; it cannot change state any more."
        )
    options = allowed_next(source)
    if dest not in options:
        hint = " or ".join(f"'{s.label}'" for s in options)
        extra = ""
        if dest in (SessionState.ABORTED, SessionState.STOPPED_EARLY):
            extra = (
                " Drug may already have been given, so use 'Stopped early'."
                if source in DOSE_GIVEN_STATES
                else " No drug has been given yet, so use 'Aborted'."
            )
        raise IllegalTransition(
            f"A session cannot go from '{source.label}' to '{dest.label}'. From here it can go to {hint}.{extra}"
        )


def _gate_for(
    dest: SessionState,
    *,
    pre_dose: GateResult | None,
    discharge: GateResult | None,
    observation: GateResult | None,
) -> GateResult | None:
    """The gate that guards entering ``dest`` (None: no gate); a guarded state without its gate result is refused."""
    if dest is SessionState.DOSING:
        if pre_dose is None:
            raise IllegalTransition("Complete the pre-dose checks before starting the dose.")
        return pre_dose
    if dest is SessionState.DISCHARGED:
        if discharge is None:
            raise IllegalTransition("Complete the discharge checklist before discharging the patient.")
        return discharge
    if dest is SessionState.READY_FOR_DISCHARGE:
        if observation is None:
            raise IllegalTransition("The minimum observation time must be checked before 'Ready for discharge'.")
        return observation
    return None


def _refuse_hold(gate: GateResult) -> None:
    """A hold (e.g. an open urgent suicide-risk task) cannot be overridden at the chair."""
    if gate.not_overridable:
        listed = "; ".join(item.rstrip(".") for item in gate.not_overridable)
        raise IllegalTransition(f"{gate.name} not met: {listed}. This cannot be overridden at the chair.")


def _require_override_reason(gate: GateResult, override_reason: str) -> None:
    """An unmet gate needs the prescriber's written override reason."""
    if not override_reason:
        listed = "; ".join(item.rstrip(".") for item in gate.blocking)
        raise IllegalTransition(
            f"{gate.name} not met: {listed}. A prescriber may override with a written reason."
        )
