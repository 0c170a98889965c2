"""Schedule generation: induction window, minimum intervals, clinic days, esketamine label cadence by week."""

from datetime import date, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketamine_clinic.core.protocols.schedule import (
    ASSESSMENT,
    DOSING,
    INTEGRATION,
    ClinicCalendar,
    ScheduleError,
    doses_per_week,
    generate,
    interval_violations,
)
from ketamine_clinic.core.protocols.templates import ESKETAMINE_LABEL, IV_RACEMIC, TEMPLATES

MONDAY = date(2026, 11, 30)
LABEL_WEEKS = [2, 2, 2, 2, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 1, 0]  # weeks 1-16 per the SPRAVATO label cadence


def dosing(slots):
    return [s for s in slots if s.kind == DOSING]


def test_iv_induction_monday_start_is_mon_wed_fri_for_two_weeks():
    doses = dosing(generate(IV_RACEMIC, MONDAY))[:6]
    assert [d.starts_at.date() for d in doses] == [MONDAY + timedelta(days=n) for n in (0, 2, 4, 7, 9, 11)]
    assert all(d.phase_key == "induction" for d in doses)
    assert [d.dose_number for d in doses] == [1, 2, 3, 4, 5, 6]


@given(start=st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)))
@settings(max_examples=60, deadline=None)
def test_six_iv_induction_infusions_fall_within_21_days_on_weekdays_48h_apart(start):
    slots = generate(IV_RACEMIC, start)
    induction = [s for s in dosing(slots) if s.phase_key == "induction"]
    assert len(induction) == 6
    first = induction[0].starts_at.date()
    assert (first - start).days < 3  # first infusion on the first open day
    assert (induction[-1].starts_at.date() - start).days < 21
    assert all(s.starts_at.weekday() < 5 for s in slots)
    assert interval_violations([s.starts_at for s in dosing(slots)], IV_RACEMIC.min_interval_hours) == []


@given(start=st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)))
@settings(max_examples=60, deadline=None)
def test_esketamine_label_cadence_reproduced_exactly_by_week(start):
    slots = generate(ESKETAMINE_LABEL, start)
    assert doses_per_week(slots, 16) == LABEL_WEEKS
    assert len(dosing(slots)) == ESKETAMINE_LABEL.total_doses == 8 + 4 + 4
    assert interval_violations([s.starts_at for s in dosing(slots)], 48) == []


def test_esketamine_weekly_maintenance_variant():
    slots = generate(ESKETAMINE_LABEL, MONDAY, phase_changes={"maintenance": {"every_n_weeks": 1}})
    assert doses_per_week(slots, 16) == [2, 2, 2, 2] + [1] * 12


def test_unknown_phase_change_is_refused():
    with pytest.raises(ScheduleError, match="no phase"):
        generate(ESKETAMINE_LABEL, MONDAY, phase_changes={"booster": {"weeks": 2}})


@pytest.mark.parametrize("template", list(TEMPLATES.values()), ids=lambda t: t.key)
def test_every_template_respects_min_interval_and_open_days(template):
    cal = ClinicCalendar(closed_dates=frozenset({date(2026, 12, 25), date(2027, 1, 1)}))
    slots = generate(template, MONDAY, calendar=cal)
    assert len(dosing(slots)) == template.total_doses
    assert all(cal.is_open(s.starts_at.date()) for s in slots)
    assert interval_violations([s.starts_at for s in dosing(slots)], template.min_interval_hours) == []


def test_integration_and_assessment_slots_avoid_dosing_days():
    slots = generate(IV_RACEMIC, MONDAY)
    dose_days = {s.starts_at.date() for s in dosing(slots)}
    others = [s for s in slots if s.kind != DOSING]
    assert {s.kind for s in others} == {INTEGRATION, ASSESSMENT}
    assert all(s.starts_at.date() not in dose_days for s in others)
    # One integration session per two doses.
    assert len([s for s in others if s.kind == INTEGRATION]) == IV_RACEMIC.total_doses // 2
    review = next(s for s in others if s.kind == ASSESSMENT)
    assert review.starts_at.date() > max(
        s.starts_at.date() for s in dosing(slots) if s.phase_key == "induction"
    )


def test_weekend_days_used_when_the_clinic_opens_them():
    all_week = ClinicCalendar(open_weekdays=frozenset(range(7)))
    saturday = date(2026, 12, 5)
    doses = dosing(generate(IV_RACEMIC, saturday, calendar=all_week))
    assert doses[0].starts_at.date() == saturday
    assert [d.starts_at.date() for d in doses[:6]] == [saturday + timedelta(days=2 * i) for i in range(6)]


def test_closed_holidays_are_skipped():
    cal = ClinicCalendar(closed_dates=frozenset({MONDAY + timedelta(days=2)}))
    days = [d.starts_at.date() for d in dosing(generate(IV_RACEMIC, MONDAY, calendar=cal))[:3]]
    assert days == [MONDAY, MONDAY + timedelta(days=3), MONDAY + timedelta(days=7)]


def test_impossible_calendar_gives_a_clear_error():
    tuesdays_only = ClinicCalendar(open_weekdays=frozenset({1}))
    with pytest.raises(ScheduleError, match="cannot fit 2 dose"):
        generate(ESKETAMINE_LABEL, MONDAY, calendar=tuesdays_only)
    with pytest.raises(ScheduleError, match="window"):
        generate(IV_RACEMIC, MONDAY, calendar=tuesdays_only)


def test_session_must_fit_opening_hours():
    with pytest.raises(ScheduleError, match="does not fit"):
        generate(ESKETAMINE_LABEL, MONDAY, time_of_day=time(17, 0))
    with pytest.raises(ScheduleError, match="does not fit"):
        generate(IV_RACEMIC, MONDAY, time_of_day=time(7, 0))


def test_time_of_day_and_timezone_are_applied():
    tz = timezone(timedelta(hours=-5))
    slots = generate(IV_RACEMIC, MONDAY, time_of_day=time(13, 30), tz=tz)
    assert all(s.starts_at.tzinfo is tz and s.starts_at.time() == time(13, 30) for s in slots)
    assert dosing(slots)[0].duration_min == IV_RACEMIC.chair_minutes == 20 + 40 + 60


def test_interval_violations_finds_close_pairs():
    base = generate(IV_RACEMIC, MONDAY)[0].starts_at
    times = [base, base + timedelta(hours=47), base + timedelta(hours=120)]
    assert interval_violations(times, 48) == [(times[0], times[1])]


def test_min_interval_is_real_elapsed_time_across_daylight_saving():
    from datetime import UTC
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("America/New_York")
    all_week = ClinicCalendar(open_weekdays=frozenset(range(7)))
    friday_before_spring_forward = date(2027, 3, 12)  # US clocks go forward on Sunday 14 March 2027
    doses = dosing(generate(IV_RACEMIC, friday_before_spring_forward, calendar=all_week, tz=tz))
    utc = [d.starts_at.astimezone(UTC) for d in doses]
    assert interval_violations(utc, 48) == []
    # Sunday 09:00 EDT would be only 47 h after Friday 09:00 EST, so the second dose moves to Monday.
    assert doses[1].starts_at.date() == date(2027, 3, 15)
