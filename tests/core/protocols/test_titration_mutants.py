"""Titration suggestion pinned at its edges and word for word, and as the plans page and API read it.

Written against surviving and untested mutants (docs/mutation.md): before, ``as_dict`` had no core test, and
the exact reason sentence, the baseline choice and the edges (target equal to the ceiling, a score taken at the
very time of the counted dose) could change with no test failing.
"""

import datetime as dt
from dataclasses import replace

import pytest

from ketamine_clinic.core.instruments.outcomes import Trajectory
from ketamine_clinic.core.protocols.templates import IV_RACEMIC, TitrationRule
from ketamine_clinic.core.protocols.titration import (
    DoseGiven,
    doses_at_current_level,
    same_level,
    suggest_titration,
)

T0 = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)
SOURCE = IV_RACEMIC.titration.source


def day(n):
    return T0 + dt.timedelta(days=n)


def phq9(*points):
    return Trajectory.from_points("PHQ-9", [(day(d), total) for d, total in points])


def doses(*days, amount=0.5):
    return [DoseGiven(day(d), amount) for d in days]


def suggest(template=IV_RACEMIC, **kw):
    args = dict(current_amount=0.5, plan_max=0.75, doses=doses(0, 2), trajectory=phq9((-2, 14), (4, 13)))
    args.update(kw)
    return suggest_titration(template, **args)


def with_rule(to_amount=0.75, count=2, max_amount=None, route=None):
    rule = TitrationRule("Test rule.", source="test source", to_amount=to_amount,
                         after_sessions_without_response=count)
    t = replace(IV_RACEMIC, titration=rule)
    if max_amount is not None:
        t = replace(t, dose_rule=replace(t.dose_rule, max_amount=max_amount))
    if route is not None:
        t = replace(t, route=route)
    return t


def test_the_suggestion_as_the_plans_page_and_api_read_it():
    s = suggest()
    assert s.as_dict() == {
        "from_amount": 0.5,
        "to_amount": 0.75,
        "unit": "mg/kg",
        "doses_at_level": 2,
        "instrument": "PHQ-9",
        "baseline": 14.0,
        "current": 13.0,
        "current_taken_at": day(4),
        "percent_reduction": pytest.approx(100 / 14),
        "response_threshold": 7,
        "reason": "2 infusions given at 0.5 mg/kg, PHQ-9 14 -> 13 (7% reduction; response needs 50%, a score of "
                  f"7 or lower): the protocol suggests considering 0.75 mg/kg [{SOURCE}]",
        "rule": IV_RACEMIC.titration.description,
        "source": SOURCE,
    }


def test_reason_with_fractional_figures_one_dose_and_no_change():
    template = with_rule(to_amount=0.8333, count=1, max_amount=1.0)
    s = suggest(template=template, current_amount=0.3333, plan_max=1.0, doses=doses(0, amount=0.3333),
                trajectory=phq9((-1, 13.5), (1, 13.5)))
    assert s.reason == (
        "1 infusion given at 0.333 mg/kg, PHQ-9 13.5 -> 13.5 (0% reduction; response needs 50%, a score of "
        "6.75 or lower): the protocol suggests considering 0.833 mg/kg [test source]"
    )
    assert (s.doses_at_level, s.percent_reduction, s.rule, s.source) == (1, 0.0, "Test rule.", "test source")


def test_a_dose_route_other_than_iv_counts_doses_and_a_worse_score_says_higher():
    s = suggest(template=with_rule(route="im"), trajectory=phq9((-2, 10), (4, 15)))
    assert s.reason.startswith("2 doses given at 0.5 mg/kg, PHQ-9 10 -> 15 (50% higher; response needs 50%, a "
                               "score of 5 or lower)")
    assert s.percent_reduction == -50.0


def test_a_different_response_fraction_changes_the_threshold_and_the_words():
    s = suggest(trajectory=phq9((-2, 20), (4, 16)), response_fraction=0.25)
    assert "(20% reduction; response needs 25%, a score of 15 or lower)" in s.reason
    assert s.response_threshold == 15
    assert suggest(trajectory=phq9((-2, 20), (4, 15)), response_fraction=0.25) is None


def test_the_target_may_equal_the_ceiling_but_not_pass_it():
    assert suggest(plan_max=0.75).to_amount == 0.75
    assert suggest(plan_max=0.7499999).to_amount == 0.75  # within the same-level tolerance
    assert suggest(plan_max=0.7499) is None
    assert suggest(template=with_rule(max_amount=0.75), plan_max=2).to_amount == 0.75
    assert suggest(template=with_rule(max_amount=0.7499), plan_max=2) is None


def test_the_target_must_be_above_the_current_dose():
    assert suggest(current_amount=0.7499, doses=doses(0, 2, amount=0.7499)).to_amount == 0.75
    assert suggest(current_amount=0.7499999, doses=doses(0, 2, amount=0.7499999)) is None


def test_a_rule_needs_both_a_target_and_a_count():
    assert suggest(template=with_rule(to_amount=None)) is None
    assert suggest(template=with_rule(count=None)) is None
    assert suggest(template=with_rule(count=0)) is None
    assert suggest(template=with_rule(count=3)) is None
    assert suggest(template=with_rule(count=3), doses=doses(0, 1, 2)).doses_at_level == 3


def test_nothing_without_doses():
    assert suggest(doses=[]) is None


def test_decided_levels_match_within_the_tolerance():
    assert suggest(decided_levels=[0.5000001]) is None
    assert suggest(decided_levels=[0.501, 0.75]) is not None


def test_the_baseline_is_the_last_score_at_or_before_the_first_dose():
    # The score taken at the first dose's own time is the baseline (not a score "since" the first dose).
    s = suggest(doses=doses(0, 2), trajectory=phq9((-5, 20), (0, 14), (4, 13)))
    assert (s.baseline, s.current) == (14, 13)
    # Scores given in any order are put in time order first.
    s = suggest(trajectory=phq9((4, 13), (-2, 14), (-5, 22)))
    assert (s.baseline, s.current, s.current_taken_at) == (14, 13, day(4))
    # The first dose is the earliest, whatever the order of the doses.
    s = suggest(doses=list(reversed(doses(0, 2))), trajectory=phq9((-2, 14), (1, 13), (4, 12)))
    assert (s.baseline, s.current) == (14, 12)


def test_a_score_at_the_very_time_of_the_counted_dose_does_not_count_as_after_it():
    assert suggest(trajectory=phq9((-2, 14), (2, 13))) is None
    assert suggest(trajectory=phq9((-2, 14), (2.001, 13))) is not None


def test_the_latest_score_is_the_current_one():
    s = suggest(trajectory=phq9((-2, 14), (3, 12), (5, 13)))
    assert (s.current, s.current_taken_at) == (13, day(5))


def test_the_run_at_the_current_level_is_the_latest_unbroken_one():
    mixed = doses(0, 1) + doses(2, amount=0.25) + doses(3, 4)
    assert [d.given_at for d in doses_at_current_level(list(reversed(mixed)), 0.5)] == [day(3), day(4)]
    assert doses_at_current_level(doses(0, 1, amount=0.25), 0.5) == []
    assert same_level(0.5, 0.5000009) and not same_level(0.5, 0.500002)


def test_scores_taken_at_the_same_moment_keep_their_recorded_order():
    # Two baseline scores charted with the same time: the one recorded last is the baseline.
    same_time = Trajectory("PHQ-9", (day(-2), day(-2), day(4)), (20.0, 14.0, 13.0))
    assert suggest(trajectory=same_time).baseline == 14
    reversed_order = Trajectory("PHQ-9", (day(-2), day(-2), day(4)), (14.0, 20.0, 13.0))
    assert suggest(trajectory=reversed_order).baseline == 20


def test_a_baseline_of_one_still_has_room_to_respond():
    s = suggest(trajectory=phq9((-2, 1), (4, 1)))
    assert (s.baseline, s.current, s.response_threshold) == (1, 1, 0.5)
    assert "PHQ-9 1 -> 1 (0% reduction; response needs 50%, a score of 0.5 or lower)" in s.reason


def test_scores_charted_at_the_first_doses_time_are_baseline_not_response():
    # Both charted at the first dose's time: the later-recorded 14 is the baseline; the 5 is not "since" the dose.
    at_first_dose = Trajectory("PHQ-9", (day(0), day(0), day(4)), (5.0, 14.0, 13.0))
    s = suggest(trajectory=at_first_dose)
    assert (s.baseline, s.current) == (14, 13)


def test_the_response_percentage_is_written_as_given():
    s = suggest(trajectory=phq9((-2, 20), (4, 16)), response_fraction=0.6)
    assert "(20% reduction; response needs 60%, a score of 8 or lower)" in s.reason
