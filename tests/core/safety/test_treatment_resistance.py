"""Treatment-resistance summary: adequate (>= 6 weeks at adequate dose) failed trials in the current episode."""

import pytest

from ketamine_clinic.core.safety.treatment_resistance import (
    ADEQUATE_TRIAL_MIN_WEEKS,
    PreviousTreatment,
    assess_trial,
    summarise,
)


def trial(**kw):
    base = dict(
        kind="antidepressant",
        name="sertraline",
        dose="150 mg",
        duration_weeks=8,
        dose_adequate=True,
        outcome="no_response",
        current_episode=True,
    )
    base.update(kw)
    return PreviousTreatment(**base)


def test_two_failed_adequate_trials_meet_the_definition():
    s = summarise([trial(name="sertraline"), trial(name="venlafaxine", outcome="partial_response")])
    assert s.failed_adequate_trials == 2
    assert s.treatment_resistant
    assert "2 failed adequate" in s.text and "meets" in s.text
    assert "MGH-ATRQ" in str(s.source)


def test_one_failed_trial_does_not():
    s = summarise([trial()])
    assert s.failed_adequate_trials == 1
    assert not s.treatment_resistant


def test_six_week_boundary():
    assert assess_trial(trial(duration_weeks=ADEQUATE_TRIAL_MIN_WEEKS)).failed
    short = assess_trial(trial(duration_weeks=ADEQUATE_TRIAL_MIN_WEEKS - 0.5))
    assert not short.adequate and "shorter than 6 weeks" in short.why


@pytest.mark.parametrize(
    "changes,why",
    [
        ({"dose_adequate": False}, "dose not adequate"),
        ({"dose_adequate": None}, "dose adequacy not recorded"),
        ({"duration_weeks": None}, "duration not recorded"),
        ({"current_episode": False}, "not in the current episode"),
        ({"kind": "psychotherapy"}, "not an antidepressant medication trial"),
    ],
)
def test_trials_that_do_not_count_say_why(changes, why):
    a = assess_trial(trial(**changes))
    assert not a.failed
    assert a.why == why


def test_responses_and_intolerance_are_adequate_but_not_failures():
    for outcome in ("response", "remission"):
        a = assess_trial(trial(outcome=outcome))
        assert a.adequate and not a.failed
    assert not assess_trial(trial(outcome="intolerance")).failed
    assert not assess_trial(trial(outcome="unknown")).failed


def test_augmentation_counts_and_non_drug_courses_are_counted_separately():
    s = summarise(
        [
            trial(name="duloxetine"),
            trial(kind="augmentation", name="duloxetine + aripiprazole", outcome="no_response"),
            PreviousTreatment(kind="ect", name="ECT x12", outcome="partial_response"),
            PreviousTreatment(kind="tms", name="rTMS 30 sessions", outcome="no_response"),
            PreviousTreatment(kind="psychotherapy", name="CBT 16 sessions", outcome="partial_response"),
            PreviousTreatment(kind="tms", name="old course", current_episode=False),
        ]
    )
    assert s.failed_adequate_trials == 2
    assert (s.ect_courses, s.tms_courses, s.psychotherapy_courses) == (1, 1, 1)
    assert len(s.trials) == 6


def test_bad_values_are_refused_with_a_message():
    with pytest.raises(ValueError, match="Treatment kind"):
        PreviousTreatment(kind="crystals", name="x")
    with pytest.raises(ValueError, match="Outcome"):
        PreviousTreatment(kind="antidepressant", name="x", outcome="great")
    with pytest.raises(ValueError, match="negative"):
        PreviousTreatment(kind="antidepressant", name="x", duration_weeks=-1)
