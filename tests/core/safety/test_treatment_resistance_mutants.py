"""Treatment resistance pinned word for word: each trial's judgement, the count, the summary sentence, refusals.

Written against surviving mutants (docs/mutation.md): before, the reasons shown beside each trial, the summary
sentence, the non-drug course counts and the refusals' words could change with no test failing.
"""

import pytest

from ketamine_clinic.core.safety.treatment_resistance import PreviousTreatment, assess_trial, summarise


def trial(**kw):
    base = dict(kind="antidepressant", name="sertraline", dose="150 mg", duration_weeks=8, dose_adequate=True,
                outcome="no_response")
    base.update(kw)
    return PreviousTreatment(**base)


@pytest.mark.parametrize(
    "changes,adequate,failed,why",
    [
        ({}, True, True, "adequate trial, less than 50% improvement"),
        ({"outcome": "partial_response"}, True, True, "adequate trial, less than 50% improvement"),
        ({"kind": "augmentation"}, True, True, "adequate trial, less than 50% improvement"),
        ({"outcome": "unknown"}, True, False, "adequate trial, outcome not recorded"),
        ({"outcome": "response"}, True, False, "adequate trial with response"),
        ({"outcome": "remission"}, True, False, "adequate trial with remission"),
        ({"outcome": "intolerance"}, True, False, "adequate trial with intolerance"),
        ({"duration_weeks": 6}, True, True, "adequate trial, less than 50% improvement"),
        ({"duration_weeks": 5.9}, False, False, "shorter than 6 weeks"),
        ({"duration_weeks": 0}, False, False, "shorter than 6 weeks"),
        ({"duration_weeks": None}, False, False, "duration not recorded"),
        ({"dose_adequate": False}, False, False, "dose not adequate"),
        ({"dose_adequate": None}, False, False, "dose adequacy not recorded"),
        ({"current_episode": False}, False, False, "not in the current episode"),
        ({"kind": "ect"}, False, False, "not an antidepressant medication trial"),
        ({"kind": "tms"}, False, False, "not an antidepressant medication trial"),
        ({"kind": "other"}, False, False, "not an antidepressant medication trial"),
        # A non-drug course from an earlier episode is judged for what it is first.
        ({"kind": "psychotherapy", "current_episode": False}, False, False, "not an antidepressant medication trial"),
        # The dose is judged before the duration, the episode before both.
        ({"dose_adequate": False, "duration_weeks": None}, False, False, "dose not adequate"),
        ({"current_episode": False, "dose_adequate": None}, False, False, "not in the current episode"),
    ],
)
def test_each_trial_is_judged_with_its_reason(changes, adequate, failed, why):
    t = trial(**changes)
    a = assess_trial(t)
    assert (a.treatment, a.adequate, a.failed, a.why) == (t, adequate, failed, why)


@pytest.mark.parametrize(
    "treatments,failed,resistant,sentence",
    [
        ([], 0, False, "0 failed adequate antidepressant trial(s) in the current episode; does not meet the "
                       "treatment-resistance definition (>= 2)."),
        ([trial()], 1, False, "1 failed adequate antidepressant trial(s) in the current episode; does not meet "
                              "the treatment-resistance definition (>= 2)."),
        ([trial(), trial(name="venlafaxine")], 2, True,
         "2 failed adequate antidepressant trial(s) in the current episode; meets the treatment-resistance "
         "definition (>= 2)."),
        ([trial(), trial(), trial(outcome="partial_response")], 3, True,
         "3 failed adequate antidepressant trial(s) in the current episode; meets the treatment-resistance "
         "definition (>= 2)."),
    ],
)
def test_the_summary_counts_failed_trials_and_says_so(treatments, failed, resistant, sentence):
    s = summarise(treatments)
    assert (s.failed_adequate_trials, s.treatment_resistant, s.text) == (failed, resistant, sentence)
    assert s.source.key == "mgh_atrq"
    assert s.trials == tuple(assess_trial(t) for t in treatments)


def test_non_drug_courses_are_counted_by_kind_in_the_current_episode_only():
    s = summarise(
        [
            PreviousTreatment(kind="ect", name="ECT x12"),
            PreviousTreatment(kind="ect", name="ECT x8"),
            PreviousTreatment(kind="ect", name="old ECT", current_episode=False),
            PreviousTreatment(kind="tms", name="rTMS"),
            PreviousTreatment(kind="tms", name="rTMS 2"),
            PreviousTreatment(kind="tms", name="rTMS 3"),
            PreviousTreatment(kind="psychotherapy", name="CBT", current_episode=False),
            PreviousTreatment(kind="other", name="light therapy"),
        ]
    )
    assert (s.ect_courses, s.tms_courses, s.psychotherapy_courses) == (2, 3, 0)
    assert s.failed_adequate_trials == 0
    # Non-drug courses never count as failed trials, whatever their outcome.
    assert summarise([PreviousTreatment(kind="ect", name="ECT", outcome="no_response", dose_adequate=True,
                                        duration_weeks=10)]).failed_adequate_trials == 0


def test_the_defaults_are_an_unrecorded_trial_of_the_current_episode():
    t = PreviousTreatment(kind="antidepressant", name="sertraline")
    assert (t.dose, t.duration_weeks, t.dose_adequate, t.outcome, t.current_episode) == ("", None, None,
                                                                                         "unknown", True)


def test_refusals_name_the_allowed_values():
    with pytest.raises(ValueError) as kind:
        PreviousTreatment(kind="crystals", name="x")
    assert str(kind.value) == (
        "Treatment kind must be one of antidepressant, augmentation, psychotherapy, ect, tms, other, not 'crystals'."
    )
    with pytest.raises(ValueError) as outcome:
        PreviousTreatment(kind="antidepressant", name="x", outcome="great")
    assert str(outcome.value) == (
        "Outcome must be one of remission, response, partial_response, no_response, intolerance, unknown, "
        "not 'great'."
    )
    with pytest.raises(ValueError) as duration:
        PreviousTreatment(kind="antidepressant", name="x", duration_weeks=-0.5)
    assert str(duration.value) == "Duration cannot be negative."
    # Zero weeks is a (too short) duration, not a refusal.
    assert PreviousTreatment(kind="antidepressant", name="x", duration_weeks=0).duration_weeks == 0
