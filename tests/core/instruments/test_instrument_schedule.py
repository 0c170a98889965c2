"""Measurement schedule rules: baseline, before each session, 24 h after, weekly/monthly; config overrides."""

from datetime import UTC, datetime, timedelta

import pytest

from ketamine_clinic.core.instruments.schedule import ScheduleConfig, SessionTime, due_measures

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # intake


def h(n):
    return timedelta(hours=n)


def d(n):
    return timedelta(days=n)


def keyed(items):
    return {(m.instrument, m.reason): m.status for m in items}


def test_baseline_is_due_at_intake_and_overdue_by_the_first_session():
    sessions = [SessionTime(T0 + d(2), session_id=1)]
    due = keyed(due_measures(phase="induction", intake_at=T0, sessions=sessions, history={}, now=T0 + h(1)))
    assert due[("phq9", "baseline")] == "due"
    assert due[("cssrs_screener", "baseline")] == "due"
    late = keyed(due_measures(phase="induction", intake_at=T0, sessions=sessions, history={}, now=T0 + d(2)))
    assert late[("phq9", "baseline")] == "overdue"


def test_baseline_done_before_first_session_is_not_due_again():
    history = {"phq9": [T0 + h(2)], "gad7": [T0 + h(2)], "cssrs_screener": [T0 + h(2)]}
    out = due_measures(phase="screening", intake_at=T0, sessions=[], history=history, now=T0 + d(1))
    assert out == []


def test_pre_session_measure_due_in_window_and_overdue_just_before_start():
    start = T0 + d(10)
    sessions = [SessionTime(start, session_id=7)]
    history = {k: [T0 + h(1)] for k in ("phq9", "gad7", "cssrs_screener")}
    before_window = due_measures(
        phase="induction", intake_at=T0, sessions=sessions, history=history, now=start - h(49)
    )
    assert ("phq9", "pre-session") not in keyed(before_window)
    in_window = due_measures(
        phase="induction", intake_at=T0, sessions=sessions, history=history, now=start - h(5)
    )
    pre = [m for m in in_window if m.reason == "pre-session"]
    assert {m.instrument for m in pre} == {"phq9", "cssrs_screener"}
    assert all(m.status == "due" and m.session_id == 7 for m in pre)
    almost = keyed(
        due_measures(
            phase="induction",
            intake_at=T0,
            sessions=sessions,
            history=history,
            now=start - timedelta(minutes=30),
        )
    )
    assert almost[("phq9", "pre-session")] == "overdue"
    done = {**history, "phq9": history["phq9"] + [start - h(3)]}
    after = keyed(
        due_measures(phase="induction", intake_at=T0, sessions=sessions, history=done, now=start - h(2))
    )
    assert ("phq9", "pre-session") not in after and ("cssrs_screener", "pre-session") in after


def test_post_session_measure_24h_after_and_overdue_a_day_later():
    start = T0 + d(3)
    sessions = [SessionTime(start, start + h(2), session_id=3)]
    history = {k: [T0 + h(1), start - h(1)] for k in ("phq9", "gad7", "cssrs_screener")}
    assert ("phq9", "post-session") not in keyed(
        due_measures(phase="induction", intake_at=T0, sessions=sessions, history=history, now=start + h(20))
    )
    assert (
        keyed(
            due_measures(
                phase="induction", intake_at=T0, sessions=sessions, history=history, now=start + h(25)
            )
        )[("phq9", "post-session")]
        == "due"
    )
    assert (
        keyed(
            due_measures(
                phase="induction", intake_at=T0, sessions=sessions, history=history, now=start + h(49)
            )
        )[("phq9", "post-session")]
        == "overdue"
    )
    done = {**history, "phq9": history["phq9"] + [start + h(24)]}
    assert ("phq9", "post-session") not in keyed(
        due_measures(phase="induction", intake_at=T0, sessions=sessions, history=done, now=start + h(30))
    )


def test_weekly_in_induction_monthly_in_maintenance():
    history = {k: [T0] for k in ("phq9", "gad7", "cssrs_screener")}
    wk = keyed(
        due_measures(phase="induction", intake_at=T0, sessions=[], history=history, now=T0 + d(7) + h(1))
    )
    assert wk[("phq9", "weekly")] == "due" and wk[("gad7", "weekly")] == "due"
    mo = due_measures(phase="maintenance", intake_at=T0, sessions=[], history=history, now=T0 + d(8))
    assert mo == []
    mo = keyed(due_measures(phase="maintenance", intake_at=T0, sessions=[], history=history, now=T0 + d(32)))
    assert mo[("phq9", "monthly")] == "overdue"


def test_discharged_patients_have_nothing_due():
    assert due_measures(phase="discharged", intake_at=T0, sessions=[], history={}, now=T0 + d(40)) == []


def test_plan_config_overrides_defaults():
    cfg = {"periodic": ["pcl5"], "induction_interval_days": 3, "baseline": []}
    history = {"pcl5": [T0]}
    due = keyed(
        due_measures(
            phase="induction", intake_at=T0, sessions=[], history=history, now=T0 + d(3) + h(1), config=cfg
        )
    )
    assert due == {("pcl5", "weekly"): "due"}


@pytest.mark.parametrize(
    "bad,msg",
    [
        ({"fortnightly": 3}, "unknown setting 'fortnightly'"),
        ({"weekly": 3}, "weekly must be a list"),
        ({"periodic": ["beck"]}, "unknown instrument 'beck'"),
        ({"periodic": "phq9"}, "must be a list"),
        ({"grace_hours": 0}, "greater than 0"),
        ({"grace_hours": "soon"}, "must be a number"),
    ],
)
def test_bad_config_is_rejected_with_the_key_named(bad, msg):
    with pytest.raises(ValueError, match=msg):
        ScheduleConfig.from_dict(bad)


def test_results_are_sorted_earliest_first():
    sessions = [SessionTime(T0 + d(1), session_id=1)]
    out = due_measures(phase="induction", intake_at=T0, sessions=sessions, history={}, now=T0 + d(9))
    assert [m.due_at for m in out] == sorted(m.due_at for m in out)


def test_protocol_template_key_names_are_understood():
    # The plans helper's protocol templates use these names (core.protocols.templates).
    cfg = ScheduleConfig.from_dict(
        {
            "baseline": ["phq9"],
            "before_each_dose": ["cssrs_screener"],
            "after_each_dose": ["cadss"],
            "weekly": ["phq9"],
            "end_of_phase": ["madrs"],
            "source": "clinic-defined",
        }
    )
    assert cfg.pre_session == ("cssrs_screener",)
    assert cfg.after_dose == ("cadss",)
    assert cfg.periodic == ("phq9",)


def test_in_session_cadss_due_40_min_after_start_and_not_carried_to_the_next_day():
    start = T0 + d(2)
    sessions = [SessionTime(start, session_id=5)]
    history = {k: [T0, start - h(1)] for k in ("phq9", "gad7", "cssrs_screener")}
    at_30 = keyed(
        due_measures(
            phase="induction",
            intake_at=T0,
            sessions=sessions,
            history=history,
            now=start + timedelta(minutes=30),
        )
    )
    assert ("cadss", "after-dose") not in at_30
    at_45 = keyed(
        due_measures(
            phase="induction",
            intake_at=T0,
            sessions=sessions,
            history=history,
            now=start + timedelta(minutes=45),
        )
    )
    assert at_45[("cadss", "after-dose")] == "due"
    assert (
        keyed(
            due_measures(
                phase="induction", intake_at=T0, sessions=sessions, history=history, now=start + h(5)
            )
        )[("cadss", "after-dose")]
        == "overdue"
    )
    assert ("cadss", "after-dose") not in keyed(
        due_measures(phase="induction", intake_at=T0, sessions=sessions, history=history, now=start + h(30))
    )


def test_periodic_instrument_never_taken_is_due_from_intake():
    due = keyed(
        due_measures(
            phase="maintenance",
            intake_at=T0,
            sessions=[],
            history={},
            now=T0 + h(2),
            config={"baseline": [], "periodic": ["pcl5"]},
        )
    )
    assert due == {("pcl5", "monthly"): "due"}
