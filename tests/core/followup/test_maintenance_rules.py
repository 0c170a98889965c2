"""Booster / stretch / review rules on synthetic trajectories (pure core, no database)."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketamine_clinic.core.followup.maintenance import MaintenanceRules, SuggestionKind, suggest_maintenance
from ketamine_clinic.core.instruments.outcomes import Trajectory, is_response, response_threshold

DAY0 = dt.datetime(2026, 1, 5, 9, 0)


def day(n: int, hour: int = 9) -> dt.datetime:
    return DAY0 + dt.timedelta(days=n, hours=hour - 9)


# Six induction infusions over 12 days (days 0, 2, 4, 7, 9, 11), as in the classic series.
INDUCTION = [day(d) for d in (0, 2, 4, 7, 9, 11)]


def phq9(points):
    return Trajectory.from_points("PHQ-9", [(day(d, h), total) for d, h, total in points])


def test_response_threshold_is_half_of_baseline():
    assert response_threshold(20) == 10
    assert is_response(20, 10) and not is_response(20, 11)
    assert not is_response(0, 0)  # no baseline symptoms: response is undefined


def test_fading_by_loss_of_half_the_improvement_suggests_booster():
    # Baseline 30 (threshold 15), best 0, now 15: lost 15/30 = 50 % while still at the threshold.
    traj = phq9([(0, 8, 30), (3, 9, 10), (12, 9, 0), (30, 9, 15)])
    s = suggest_maintenance(traj, INDUCTION)
    assert s.kind == SuggestionKind.BOOSTER
    assert s.improvement_lost_fraction == pytest.approx(0.5)
    assert s.current == 15 and s.response_threshold == 15  # not above: only the loss rule fired
    assert "lost 50% of the best improvement" in s.reason
    assert "above the response threshold" not in s.reason
    assert s.needs_prescriber


def test_fading_by_crossing_response_threshold_suggests_booster():
    # Baseline 20 (threshold 10), best 8, now 11: lost 3/12 = 25 % (< 50 %) but above the threshold.
    traj = phq9([(0, 8, 20), (12, 9, 8), (40, 9, 11)])
    s = suggest_maintenance(traj, INDUCTION)
    assert s.kind == SuggestionKind.BOOSTER
    assert s.improvement_lost_fraction == pytest.approx(0.25)
    assert "back above the response threshold of 10" in s.reason
    assert "lost" not in s.reason


def test_response_holding_continues():
    traj = phq9([(0, 8, 20), (12, 9, 6), (40, 9, 8)])
    s = suggest_maintenance(traj, INDUCTION)
    assert s.kind == SuggestionKind.CONTINUE
    assert s.improvement_lost_fraction == pytest.approx(2 / 14)
    assert s.reason.startswith("Response holding")
    assert not s.needs_prescriber


def test_fading_but_dose_given_since_waits_for_a_new_score():
    traj = phq9([(0, 8, 20), (12, 9, 4), (40, 9, 14)])
    s = suggest_maintenance(traj, INDUCTION + [day(41)])
    assert s.kind == SuggestionKind.AWAIT_SCORE
    assert "2026-02-15" in s.reason  # the dose date


def test_non_responder_after_induction_goes_to_prescriber_review():
    traj = phq9([(0, 8, 22), (4, 9, 18), (12, 9, 14)])  # best 36 % better
    s = suggest_maintenance(traj, INDUCTION)
    assert s.kind == SuggestionKind.REVIEW
    assert "No response after 6 doses" in s.reason and "36% better" in s.reason
    assert s.needs_prescriber


def test_non_responder_during_induction_is_not_judged_yet():
    traj = phq9([(0, 8, 22), (4, 9, 18)])
    s = suggest_maintenance(traj, INDUCTION[:3])
    assert s.kind == SuggestionKind.CONTINUE
    assert "3 of 6 doses" in s.reason


def boosters_every(start: int, gap: int, count: int):
    return [day(start + gap * i) for i in range(count)]


def test_stable_over_three_boosters_suggests_stretching_interval():
    boosters = boosters_every(32, 21, 3)  # days 32, 53, 74: three-weekly
    scores = [(0, 8, 20), (12, 9, 5), (31, 9, 7), (40, 9, 6), (60, 9, 7), (80, 9, 6)]
    s = suggest_maintenance(phq9(scores), INDUCTION + boosters)
    assert s.kind == SuggestionKind.STRETCH
    assert s.boosters_given == 3
    assert s.current_interval_days == pytest.approx(21)
    assert s.suggested_interval_days == 32  # 21 * 1.5 = 31.5 -> 32
    assert "Stable over the last 3 boosters" in s.reason and "from 21 to 32 days" in s.reason


def test_stability_check_works_with_timezone_aware_times():
    """The database gives aware datetimes; the open-ended last booster gap must not mix naive and aware."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("America/New_York")

    def aware(t):
        return t.replace(tzinfo=tz)

    boosters = boosters_every(32, 21, 3)
    scores = [(0, 8, 20), (12, 9, 5), (31, 9, 7), (40, 9, 6), (60, 9, 7), (80, 9, 6)]
    trajectory = Trajectory.from_points("PHQ-9", [(aware(day(d, h)), total) for d, h, total in scores])
    s = suggest_maintenance(trajectory, [aware(t) for t in INDUCTION + boosters])
    assert s.kind == SuggestionKind.STRETCH and s.suggested_interval_days == 32


def test_stretch_needs_a_score_after_each_booster():
    boosters = boosters_every(32, 21, 3)
    scores = [(0, 8, 20), (12, 9, 5), (40, 9, 6), (80, 9, 6)]  # nothing between day 53 and day 74
    s = suggest_maintenance(phq9(scores), INDUCTION + boosters)
    assert s.kind == SuggestionKind.CONTINUE
    assert "Cannot judge stability" in s.reason


def test_a_wobble_within_the_window_blocks_stretching():
    boosters = boosters_every(32, 21, 3)
    # After the booster on day 53 the score rose to 12 (> threshold 10) before the next booster fixed it.
    scores = [(0, 8, 20), (12, 9, 5), (40, 9, 6), (70, 9, 12), (80, 9, 6)]
    s = suggest_maintenance(phq9(scores), INDUCTION + boosters)
    assert s.kind == SuggestionKind.CONTINUE
    assert "Not yet stable" in s.reason and "12" in s.reason


def test_stretch_respects_the_longest_interval():
    rules = MaintenanceRules(max_interval_days=40)
    boosters = boosters_every(32, 35, 3)
    scores = [(0, 8, 20), (12, 9, 5), (40, 9, 6), (80, 9, 6), (110, 9, 6)]
    s = suggest_maintenance(phq9(scores), INDUCTION + boosters, rules)
    assert s.kind == SuggestionKind.STRETCH and s.suggested_interval_days == 40
    boosters = boosters_every(32, 42, 3)
    scores = [(0, 8, 20), (12, 9, 5), (40, 9, 6), (80, 9, 6), (120, 9, 6)]
    s = suggest_maintenance(phq9(scores), INDUCTION + boosters, rules)
    assert s.kind == SuggestionKind.CONTINUE and "longest interval" in s.reason


def test_missing_baseline_or_follow_up_is_insufficient_data():
    assert suggest_maintenance(phq9([(0, 8, 20)]), []).kind == SuggestionKind.INSUFFICIENT
    s = suggest_maintenance(phq9([(3, 9, 10)]), INDUCTION)
    assert s.kind == SuggestionKind.INSUFFICIENT and "no baseline" in s.reason
    s = suggest_maintenance(phq9([(0, 8, 20)]), INDUCTION)
    assert s.kind == SuggestionKind.INSUFFICIENT and "since the first dose" in s.reason
    s = suggest_maintenance(phq9([(0, 8, 0), (5, 9, 0)]), INDUCTION)
    assert s.kind == SuggestionKind.INSUFFICIENT and "no room" in s.reason


def test_points_in_any_order_and_dates_give_the_same_answer():
    pts = [(day(40).date(), 11), (day(0).date(), 20), (day(12).date(), 8)]
    doses = [d.date() for d in reversed(INDUCTION)]
    s = suggest_maintenance(Trajectory.from_points("PHQ-9", pts), doses)
    assert s.kind == SuggestionKind.BOOSTER and s.baseline == 20 and s.nadir == 8


def test_bad_input_is_rejected_clearly():
    with pytest.raises(ValueError, match="one total per date"):
        Trajectory("PHQ-9", (DAY0,), (1.0, 2.0))
    with pytest.raises(ValueError, match="not negative"):
        Trajectory("PHQ-9", (DAY0,), (-1.0,))
    with pytest.raises(ValueError, match="stretch factor"):
        MaintenanceRules(stretch_factor=1.0)


@given(
    baseline=st.integers(min_value=1, max_value=27),
    nadir_frac=st.floats(min_value=0, max_value=1),
    current_frac=st.floats(min_value=0, max_value=1),
)
def test_booster_exactly_when_fading_rules_fire(baseline, nadir_frac, current_frac):
    """Property: after induction, BOOSTER iff a responder has lost >= 50 % or is above threshold."""
    nadir = round(baseline * nadir_frac)
    current = nadir + round((baseline - nadir) * current_frac)
    traj = phq9([(0, 8, baseline), (12, 9, nadir), (30, 9, current)])
    s = suggest_maintenance(traj, INDUCTION)
    threshold = baseline / 2
    responded = min(nadir, current) <= threshold
    if not responded:
        assert s.kind == SuggestionKind.REVIEW
        return
    best = min(nadir, current)
    fading = (current - best) / (baseline - best) >= 0.5 or current > threshold
    assert (s.kind == SuggestionKind.BOOSTER) == fading
    assert s.kind in (SuggestionKind.BOOSTER, SuggestionKind.CONTINUE)


# --- Label maintenance intervals (issue 12): esketamine is given every week or every 2 weeks in maintenance ---


def test_esketamine_weekly_stable_patient_is_offered_every_two_weeks_not_ten_days():
    from ketamine_clinic.core.followup.maintenance import LABEL_MAINTENANCE_INTERVALS_DAYS, rules_for_route

    assert LABEL_MAINTENANCE_INTERVALS_DAYS["intranasal"] == (7, 14)
    boosters = boosters_every(18, 7, 3)  # days 18, 25, 32: weekly
    scores = [(0, 8, 20), (12, 9, 5), (17, 9, 6), (20, 9, 6), (27, 9, 5), (34, 9, 6)]
    # The clinic's generic stretch (x1.5) would offer 7 -> 10 days, which the SPRAVATO label does not allow.
    assert suggest_maintenance(phq9(scores), INDUCTION + boosters).suggested_interval_days == 10
    s = suggest_maintenance(phq9(scores), INDUCTION + boosters, rules_for_route("intranasal"))
    assert s.kind == SuggestionKind.STRETCH and s.suggested_interval_days == 14
    assert "from 7 to 14 days" in s.reason and "every 2 weeks (14 days)" in s.reason


def test_esketamine_every_two_weeks_has_no_longer_interval_to_offer():
    from ketamine_clinic.core.followup.maintenance import rules_for_route

    boosters = boosters_every(25, 14, 3)  # days 25, 39, 53: every 2 weeks
    scores = [(0, 8, 20), (12, 9, 5), (24, 9, 6), (30, 9, 6), (45, 9, 5), (60, 9, 6)]
    s = suggest_maintenance(phq9(scores), INDUCTION + boosters, rules_for_route("intranasal"))
    assert s.kind == SuggestionKind.CONTINUE and s.suggested_interval_days is None
    assert "longest interval the label allows" in s.reason and "SPRAVATO" in s.reason


def test_iv_and_other_routes_keep_the_clinic_stretch():
    from ketamine_clinic.core.followup.maintenance import DEFAULT_RULES, rules_for_route

    for route in ("iv", "im", "oral", "sublingual", None):
        assert rules_for_route(route) == DEFAULT_RULES
    boosters = boosters_every(32, 21, 3)
    scores = [(0, 8, 20), (12, 9, 5), (31, 9, 7), (40, 9, 6), (60, 9, 7), (80, 9, 6)]
    assert (
        suggest_maintenance(phq9(scores), INDUCTION + boosters, rules_for_route("iv")).suggested_interval_days
        == 32
    )


@given(current=st.integers(min_value=2, max_value=30))
def test_esketamine_stretch_only_ever_proposes_a_label_interval(current):
    from ketamine_clinic.core.followup.maintenance import rules_for_route

    boosters = boosters_every(14, current, 3)
    # A stable score the day after each booster (before the next one, as the interval is at least 2 days).
    scores = [(0, 8, 20), (12, 9, 5)] + [(14 + current * i + 1, 9, 6) for i in range(3)]
    s = suggest_maintenance(phq9(scores), INDUCTION + boosters, rules_for_route("intranasal"))
    if current < 14:
        assert s.kind == SuggestionKind.STRETCH
        assert s.suggested_interval_days == (7 if current < 7 else 14)
    else:
        assert s.kind == SuggestionKind.CONTINUE and s.suggested_interval_days is None
