"""The session state machine pinned word for word: every state's moves, every refusal, the gates' overrides.

Written against surviving mutants (docs/mutation.md): before, the refusals' words, the labels and whether a
reason of blanks counts could change with no test failing.
"""

import pytest

from ketamine_clinic.core.administration.states import (
    GateResult,
    IllegalTransition,
    SessionState,
    Transition,
    action_label,
    allowed_next,
    parse_state,
    plan_transition,
)

S = SessionState


def refusal(*args, **kwargs) -> str:
    with pytest.raises(IllegalTransition) as err:
        plan_transition(*args, **kwargs)
    return str(err.value)


def test_labels():
    assert [(s.value, s.label, s.is_terminal) for s in S] == [
        ("scheduled", "Scheduled", False),
        ("checked_in", "Checked in", False),
        ("pre_dose_checks", "Pre-dose checks", False),
        ("dosing", "Dosing", False),
        ("monitoring", "Monitoring / observation", False),
        ("ready_for_discharge", "Ready for discharge", False),
        ("discharged", "Discharged", True),
        ("aborted", "Aborted (no drug given)", True),
        ("stopped_early", "Stopped early", True),
    ]


@pytest.mark.parametrize(
    "state,moves",
    [
        ("scheduled", (S.CHECKED_IN, S.ABORTED)),
        ("checked_in", (S.PRE_DOSE_CHECKS, S.ABORTED)),
        ("pre_dose_checks", (S.DOSING, S.ABORTED)),
        ("dosing", (S.MONITORING, S.STOPPED_EARLY)),
        ("monitoring", (S.READY_FOR_DISCHARGE, S.STOPPED_EARLY)),
        ("ready_for_discharge", (S.DISCHARGED, S.MONITORING, S.STOPPED_EARLY)),
        ("discharged", ()),
        ("aborted", ()),
        ("stopped_early", ()),
    ],
)
def test_allowed_moves_from_each_state(state, moves):
    assert allowed_next(state) == moves


def test_an_unknown_state_lists_the_known_ones():
    with pytest.raises(IllegalTransition) as err:
        parse_state("flying")
    assert str(err.value) == (
        "Unknown session state 'flying'; known states are: scheduled, checked_in, pre_dose_checks, dosing, "
        "monitoring, ready_for_discharge, discharged, aborted, stopped_early."
    )
    assert parse_state(S.DOSING) is S.DOSING and parse_state("dosing") is S.DOSING


@pytest.mark.parametrize(
    "state,words",
    [
        (S.DISCHARGED, "The session is already discharged; it cannot change state any more."),
        (S.ABORTED, "The session is already aborted (no drug given); it cannot change state any more."),
        (S.STOPPED_EARLY, "The session is already stopped early; it cannot change state any more."),
    ],
)
def test_a_finished_session_cannot_move(state, words):
    assert refusal(state, S.MONITORING) == words


@pytest.mark.parametrize(
    "source,target,words",
    [
        (S.SCHEDULED, S.DOSING,
         "A session cannot go from 'Scheduled' to 'Dosing'. From here it can go to 'Checked in' or "
         "'Aborted (no drug given)'."),
        (S.READY_FOR_DISCHARGE, S.DOSING,
         "A session cannot go from 'Ready for discharge' to 'Dosing'. From here it can go to 'Discharged' or "
         "'Monitoring / observation' or 'Stopped early'."),
        (S.PRE_DOSE_CHECKS, S.STOPPED_EARLY,
         "A session cannot go from 'Pre-dose checks' to 'Stopped early'. From here it can go to 'Dosing' or "
         "'Aborted (no drug given)'. No drug has been given yet, so use 'Aborted'."),
        (S.DOSING, S.ABORTED,
         "A session cannot go from 'Dosing' to 'Aborted (no drug given)'. From here it can go to "
         "'Monitoring / observation' or 'Stopped early'. Drug may already have been given, so use "
         "'Stopped early'."),
        (S.READY_FOR_DISCHARGE, S.ABORTED,
         "A session cannot go from 'Ready for discharge' to 'Aborted (no drug given)'. From here it can go to "
         "'Discharged' or 'Monitoring / observation' or 'Stopped early'. Drug may already have been given, so "
         "use 'Stopped early'."),
    ],
)
def test_a_move_not_allowed_says_which_are(source, target, words):
    assert refusal(source, target, reason="x", pre_dose=GateResult("g")) == words


@pytest.mark.parametrize("target", [S.ABORTED, S.STOPPED_EARLY])
@pytest.mark.parametrize("reason", ["", "   ", None])
def test_an_early_exit_needs_a_written_reason(target, reason):
    source = S.CHECKED_IN if target is S.ABORTED else S.MONITORING
    assert refusal(source, target, reason=reason) == f"Give a reason to mark the session '{target.label}'."


def test_an_early_exit_keeps_its_reason_trimmed_and_is_not_an_override():
    t = plan_transition(S.MONITORING, S.STOPPED_EARLY, reason="  left against advice \n")
    assert t == Transition(S.MONITORING, S.STOPPED_EARLY, "left against advice", False, "", ())


@pytest.mark.parametrize(
    "source,target,words",
    [
        (S.PRE_DOSE_CHECKS, S.DOSING, "Complete the pre-dose checks before starting the dose."),
        (S.READY_FOR_DISCHARGE, S.DISCHARGED, "Complete the discharge checklist before discharging the patient."),
        (S.MONITORING, S.READY_FOR_DISCHARGE,
         "The minimum observation time must be checked before 'Ready for discharge'."),
    ],
)
def test_a_gated_move_without_its_gate_is_refused(source, target, words):
    # The other gates given do not stand in for the missing one.
    others = {k: GateResult("other") for k in ("pre_dose", "discharge", "observation")}
    gate = {S.DOSING: "pre_dose", S.DISCHARGED: "discharge", S.READY_FOR_DISCHARGE: "observation"}[target]
    others.pop(gate)
    assert refusal(source, target, override_reason="prescriber says so", **others) == words


@pytest.mark.parametrize(
    "source,target,gate",
    [
        (S.PRE_DOSE_CHECKS, S.DOSING, "pre_dose"),
        (S.READY_FOR_DISCHARGE, S.DISCHARGED, "discharge"),
        (S.MONITORING, S.READY_FOR_DISCHARGE, "observation"),
    ],
)
def test_a_gate_not_met_is_listed_and_passes_only_with_a_written_override(source, target, gate):
    failed = GateResult("Gate name", ("First item.", "Second item"))
    assert refusal(source, target, **{gate: failed}) == (
        "Gate name not met: First item; Second item. A prescriber may override with a written reason."
    )
    # Only the full stop is trimmed from an item, not its last letters.
    ends_in_x = GateResult("Gate name", ("Consent: form X.",))
    assert refusal(source, target, **{gate: ends_in_x}).startswith("Gate name not met: Consent: form X. A")
    assert refusal(source, target, override_reason="  \t", **{gate: failed}).startswith("Gate name not met")
    t = plan_transition(source, target, override_reason="  Repeat BP 150/95  ", **{gate: failed})
    assert t == Transition(source, target, "", True, "Repeat BP 150/95", ("First item.", "Second item"))
    # A passed gate is not an override, even when a reason is given.
    t = plan_transition(source, target, override_reason="not needed", **{gate: GateResult("Gate name")})
    assert t == Transition(source, target, "", False, "", ())


def test_an_item_that_cannot_be_overridden_blocks_even_with_a_reason():
    gate = GateResult(
        "Pre-dose checks",
        ("Urgent task open.", "BP high."),
        not_overridable=("Urgent suicide-risk task has no disposition.", "Hold by Dr X."),
    )
    words = ("Pre-dose checks not met: Urgent suicide-risk task has no disposition; Hold by Dr X. This cannot be "
             "overridden at the chair.")
    assert refusal(S.PRE_DOSE_CHECKS, S.DOSING, pre_dose=gate, override_reason="prescriber") == words
    assert refusal(S.PRE_DOSE_CHECKS, S.DOSING, pre_dose=gate) == words


def test_gate_result_defaults():
    gate = GateResult("Discharge criteria")
    assert (gate.blocking, gate.not_overridable, gate.passed) == ((), (), True)
    assert not GateResult("x", ("y",)).passed


def test_ungated_moves_need_no_gate():
    for source, target in [(S.SCHEDULED, S.CHECKED_IN), (S.CHECKED_IN, S.PRE_DOSE_CHECKS),
                           (S.DOSING, S.MONITORING), (S.READY_FOR_DISCHARGE, S.MONITORING)]:
        assert plan_transition(source, target) == Transition(source, target)


@pytest.mark.parametrize(
    "target,source,words",
    [
        (S.CHECKED_IN, S.SCHEDULED, "Check in"),
        (S.PRE_DOSE_CHECKS, S.CHECKED_IN, "Start pre-dose checks"),
        (S.DOSING, S.PRE_DOSE_CHECKS, "Start dosing"),
        (S.MONITORING, S.DOSING, "End dosing, start observation"),
        (S.MONITORING, None, "End dosing, start observation"),
        (S.MONITORING, S.READY_FOR_DISCHARGE, "Back to observation"),
        (S.READY_FOR_DISCHARGE, S.MONITORING, "Mark ready for discharge"),
        (S.DISCHARGED, S.READY_FOR_DISCHARGE, "Discharge"),
        (S.ABORTED, S.CHECKED_IN, "Abort: no drug given"),
        (S.STOPPED_EARLY, S.DOSING, "Stop early"),
        (S.SCHEDULED, None, "Scheduled"),  # no move leads there: the state's own label
    ],
)
def test_each_moves_button_is_named_as_an_action(target, source, words):
    assert action_label(target, source) == words
