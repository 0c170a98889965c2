"""The dosing-session state machine: the forward path, early exits with reasons, gates and overrides."""

import pytest

from ketamine_clinic.core.administration.states import (
    GateResult,
    IllegalTransition,
    SessionState,
    allowed_next,
    plan_transition,
)

S = SessionState
PASSED = GateResult("Pre-dose checks")
FAILED = GateResult("Pre-dose checks", ("Baseline BP 182/100 mmHg is at or above the hard stop",))
DISCHARGE_OK = GateResult("Discharge criteria")
DISCHARGE_NOT_MET = GateResult("Discharge criteria", ("Escort present: Not confirmed.",))


def test_whole_forward_path_is_accepted():
    path = [
        S.SCHEDULED,
        S.CHECKED_IN,
        S.PRE_DOSE_CHECKS,
        S.DOSING,
        S.MONITORING,
        S.READY_FOR_DISCHARGE,
        S.DISCHARGED,
    ]
    for source, target in zip(path, path[1:], strict=False):
        t = plan_transition(source, target, pre_dose=PASSED, discharge=DISCHARGE_OK, observation=PASSED)
        assert (t.source, t.target, t.overridden) == (source, target, False)


def test_ready_for_discharge_needs_the_minimum_observation_or_an_override():
    from ketamine_clinic.core.administration.states import GateResult, IllegalTransition

    with pytest.raises(IllegalTransition, match="minimum observation"):
        plan_transition(S.MONITORING, S.READY_FOR_DISCHARGE)
    short = GateResult("Minimum observation", ("Observed at least 120 min: 0 min since dosing ended",))
    with pytest.raises(IllegalTransition, match="120 min"):
        plan_transition(S.MONITORING, S.READY_FOR_DISCHARGE, observation=short)
    moved = plan_transition(S.MONITORING, S.READY_FOR_DISCHARGE, observation=short, override_reason="Transfer")
    assert moved.overridden and moved.gate_blocking == short.blocking


@pytest.mark.parametrize(
    "source,target",
    [
        (S.SCHEDULED, S.DOSING),
        (S.CHECKED_IN, S.MONITORING),
        (S.DOSING, S.DISCHARGED),
        (S.MONITORING, S.CHECKED_IN),
        (S.PRE_DOSE_CHECKS, S.SCHEDULED),
    ],
)
def test_skipping_or_going_back_is_refused_with_the_allowed_moves(source, target):
    with pytest.raises(IllegalTransition) as err:
        plan_transition(source, target, pre_dose=PASSED, discharge=DISCHARGE_OK)
    msg = str(err.value)
    assert source.label in msg and target.label in msg
    for option in allowed_next(source):
        assert option.label in msg


def test_terminal_states_cannot_move():
    for state in (S.DISCHARGED, S.ABORTED, S.STOPPED_EARLY):
        assert allowed_next(state) == ()
        with pytest.raises(IllegalTransition, match="cannot change state"):
            plan_transition(state, S.MONITORING)


def test_abort_before_dosing_needs_reason_and_is_called_aborted():
    with pytest.raises(IllegalTransition, match="Give a reason"):
        plan_transition(S.CHECKED_IN, S.ABORTED, reason="  ")
    t = plan_transition(S.CHECKED_IN, S.ABORTED, reason="BP 190/115 after rest")
    assert t.target is S.ABORTED and t.reason == "BP 190/115 after rest"
    with pytest.raises(IllegalTransition, match="No drug has been given yet"):
        plan_transition(S.PRE_DOSE_CHECKS, S.STOPPED_EARLY, reason="x")


def test_after_dosing_began_the_exit_is_stopped_early():
    t = plan_transition(S.DOSING, S.STOPPED_EARLY, reason="transferred to ED")
    assert t.target is S.STOPPED_EARLY
    with pytest.raises(IllegalTransition, match="Stopped early"):
        plan_transition(S.MONITORING, S.ABORTED, reason="x")


def test_dosing_requires_pre_dose_gate_or_written_override():
    with pytest.raises(IllegalTransition, match="Complete the pre-dose checks"):
        plan_transition(S.PRE_DOSE_CHECKS, S.DOSING)
    with pytest.raises(IllegalTransition, match="hard stop"):
        plan_transition(S.PRE_DOSE_CHECKS, S.DOSING, pre_dose=FAILED)
    t = plan_transition(
        S.PRE_DOSE_CHECKS, S.DOSING, pre_dose=FAILED, override_reason="Repeat BP 150/95 after rest"
    )
    assert t.overridden and t.override_reason == "Repeat BP 150/95 after rest"
    assert t.gate_blocking == FAILED.blocking


def test_discharge_requires_criteria_or_override():
    with pytest.raises(IllegalTransition, match="Escort present"):
        plan_transition(S.READY_FOR_DISCHARGE, S.DISCHARGED, discharge=DISCHARGE_NOT_MET)
    t = plan_transition(
        S.READY_FOR_DISCHARGE, S.DISCHARGED, discharge=DISCHARGE_NOT_MET, override_reason="Taxi"
    )
    assert t.overridden


def test_ready_for_discharge_can_return_to_monitoring():
    assert plan_transition(S.READY_FOR_DISCHARGE, S.MONITORING).target is S.MONITORING


def test_unknown_state_is_a_clear_error():
    with pytest.raises(IllegalTransition, match="Unknown session state 'flying'"):
        plan_transition("flying", S.CHECKED_IN)


def test_state_values_are_plain_strings_for_the_database():
    assert S.CHECKED_IN == "checked_in" and plan_transition("scheduled", "checked_in").target == "checked_in"
