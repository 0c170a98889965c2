"""Titration suggestion from a protocol's rule: when it is raised, when it is not, and what it says."""

import datetime as dt
from dataclasses import replace

import pytest

from ketamine_clinic.core.instruments.outcomes import Trajectory
from ketamine_clinic.core.protocols.templates import (
    ESKETAMINE_LABEL,
    IM_RACEMIC,
    IV_RACEMIC,
    TitrationRule,
)
from ketamine_clinic.core.protocols.titration import (
    DoseGiven,
    doses_at_current_level,
    suggest_titration,
)

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def day(n):
    return T0 + dt.timedelta(days=n)


def phq9(*points):
    return Trajectory.from_points("PHQ-9", [(day(d), total) for d, total in points])


def doses(*days, amount=0.5):
    return [DoseGiven(day(d), amount) for d in days]


def suggest(template=IV_RACEMIC, **kw):
    args = dict(
        current_amount=0.5,
        plan_max=0.75,
        doses=doses(0, 2),
        trajectory=phq9((-2, 14), (4, 13)),
    )
    args.update(kw)
    return suggest_titration(template, **args)


def test_two_infusions_without_response_suggest_the_rules_dose_with_reason_in_plain_words():
    s = suggest()
    assert s is not None
    assert (s.from_amount, s.to_amount, s.unit, s.doses_at_level) == (0.5, 0.75, "mg/kg", 2)
    assert (s.baseline, s.current, s.response_threshold) == (14, 13, 7)
    assert s.percent_reduction == pytest.approx(100 / 14)
    assert s.reason.startswith(
        "2 infusions given at 0.5 mg/kg, PHQ-9 14 -> 13 (7% reduction; response needs 50%, a score of 7 or "
        "lower): the protocol suggests considering 0.75 mg/kg ["
    )
    assert "Cusin" in s.reason and s.source == IV_RACEMIC.titration.source


def test_a_worse_score_is_described_as_higher():
    s = suggest(trajectory=phq9((-2, 14), (4, 16)))
    assert "14 -> 16 (14% higher;" in s.reason


def test_one_infusion_is_not_enough():
    assert suggest(doses=doses(0)) is None


def test_response_at_any_point_since_the_first_dose_means_no_suggestion():
    # 14 -> 7 is exactly a 50% reduction (response), even though the latest score is back at 12.
    assert suggest(trajectory=phq9((-2, 14), (1, 7), (4, 12))) is None
    # 8 is not a response (needs 7 or lower): still suggested.
    assert suggest(trajectory=phq9((-2, 14), (1, 8), (4, 12))) is not None


def test_a_score_after_the_doses_that_complete_the_count_is_needed():
    # Scored after dose 1 only: cannot say the second infusion did not work.
    assert suggest(trajectory=phq9((-2, 14), (1, 13))) is None
    assert suggest(trajectory=phq9((-2, 14), (1, 13), (2.05, 13))) is not None  # an hour after dose 2


def test_no_baseline_before_the_first_dose_means_no_suggestion():
    assert suggest(trajectory=phq9((1, 14), (4, 13))) is None
    assert suggest(trajectory=phq9((-2, 0), (4, 0))) is None  # no room to improve


def test_never_above_the_plans_or_the_templates_maximum():
    assert suggest(plan_max=0.6) is None
    low_max = replace(IV_RACEMIC, dose_rule=replace(IV_RACEMIC.dose_rule, max_amount=0.6))
    assert suggest(template=low_max, plan_max=0.75) is None


def test_not_when_already_at_or_above_the_target():
    assert suggest(current_amount=0.75, doses=doses(0, 2, amount=0.75)) is None


def test_once_per_dose_level():
    assert suggest(decided_levels=[0.5]) is None
    assert suggest(decided_levels=[0.25]) is not None


def test_the_count_restarts_at_a_new_dose_level():
    mixed = doses(0, 2, amount=0.25) + doses(4)
    assert [d.given_at for d in doses_at_current_level(mixed, 0.5)] == [day(4)]
    assert suggest(doses=mixed, trajectory=phq9((-2, 14), (5, 13))) is None
    assert suggest(doses=mixed + doses(6), trajectory=phq9((-2, 14), (7, 13))).doses_at_level == 2


def test_rules_without_a_trigger_count_or_target_leave_it_to_the_prescriber():
    # Esketamine label: 56 or 84 mg "by efficacy and tolerability" - no count, so no automatic suggestion.
    assert ESKETAMINE_LABEL.titration.after_sessions_without_response is None
    assert (
        suggest(template=ESKETAMINE_LABEL, current_amount=56, plan_max=84, doses=doses(0, 2, 4, amount=56))
        is None
    )
    assert suggest(template=IM_RACEMIC, plan_max=1.0) is None  # no target dose in the rule
    counted = replace(
        ESKETAMINE_LABEL,
        titration=TitrationRule("test", source="test", to_amount=84, after_sessions_without_response=2),
    )
    s = suggest(template=counted, current_amount=56, plan_max=84, doses=doses(0, 3, amount=56))
    assert s.to_amount == 84 and s.reason.startswith("2 doses given at 56 mg,")
