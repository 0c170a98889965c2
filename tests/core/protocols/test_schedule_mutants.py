"""Schedule generation pinned where its two interval guards, phase starts and slot placement differ.

The minimum interval between doses is kept twice: in whole days (``hours / 24`` rounded up: every dose is at the
same time of day) and in elapsed hours measured in UTC. Outside daylight-saving changes the two agree, so a
mutant disabling one survived; across the spring change two days can be 47 h (the hours guard moves the dose),
across the autumn change two days can be 49 h (the whole-days guard still asks for three days when the minimum
is 48.5 h). Also: the whole IV schedule date by date (booster phases), a weekly phase after a series, and
integration / assessment slots that must avoid taken days. Written against surviving mutants
(docs/mutation.md).
"""

from dataclasses import replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from ketamine_clinic.core.protocols.schedule import (
    ASSESSMENT,
    DOSING,
    INTEGRATION,
    ClinicCalendar,
    ScheduleError,
    generate,
)
from ketamine_clinic.core.protocols.templates import (
    ESKETAMINE_LABEL,
    IV_RACEMIC,
    PER_WEEK,
    SERIES,
    AssessmentPoint,
    IntegrationSchedule,
    Phase,
    get_template,
)

NEW_YORK = ZoneInfo("America/New_York")
ALL_WEEK = ClinicCalendar(open_weekdays=frozenset(range(7)))
MONDAY = date(2026, 11, 30)
FRIDAY_BEFORE_AUTUMN_CHANGE = date(2026, 10, 30)  # US clocks go back on Sunday 1 November 2026
FRIDAY_BEFORE_SPRING_CHANGE = date(2027, 3, 12)  # and forward on Sunday 14 March 2027
THREE_IN_ONE_WEEK = {"induction": {"doses_per_week": 3, "weeks": 1}}  # aimed at days 0, 2 and 4


def dose_days(template, start, **kwargs):
    slots = generate(template, start, include_integration=False, include_assessments=False, **kwargs)
    return [s.starts_at.date() for s in slots if s.kind == DOSING]


def test_the_whole_iv_schedule_from_a_monday():
    slots = generate(IV_RACEMIC, MONDAY)
    assert [(s.kind, s.starts_at.date().isoformat(), s.label) for s in slots] == [
        (DOSING, "2026-11-30", "Induction: six infusions - dose 1"),
        (DOSING, "2026-12-02", "Induction: six infusions - dose 2"),
        (INTEGRATION, "2026-12-03", "Integration session after dose 2"),
        (DOSING, "2026-12-04", "Induction: six infusions - dose 3"),
        (DOSING, "2026-12-07", "Induction: six infusions - dose 4"),
        (INTEGRATION, "2026-12-08", "Integration session after dose 4"),
        (DOSING, "2026-12-09", "Induction: six infusions - dose 5"),
        (DOSING, "2026-12-11", "Induction: six infusions - dose 6"),
        (INTEGRATION, "2026-12-14", "Integration session after dose 6"),
        # Two days after the last induction dose is a Sunday; Monday holds the integration session.
        (ASSESSMENT, "2026-12-15", "End-of-induction review (response decision)"),
        (DOSING, "2026-12-18", "Boosters weekly - dose 7"),
        (DOSING, "2026-12-25", "Boosters weekly - dose 8"),
        (INTEGRATION, "2026-12-28", "Integration session after dose 8"),
        (DOSING, "2027-01-08", "Boosters every 2 weeks - dose 9"),
        (DOSING, "2027-01-22", "Boosters every 2 weeks - dose 10"),
        (INTEGRATION, "2027-01-25", "Integration session after dose 10"),
        (DOSING, "2027-02-19", "Boosters monthly - dose 11"),
        (DOSING, "2027-03-19", "Boosters monthly - dose 12"),
        (INTEGRATION, "2027-03-22", "Integration session after dose 12"),
        (DOSING, "2027-04-16", "Boosters monthly - dose 13"),
        (ASSESSMENT, "2027-04-23", "Maintenance review"),
    ]


# ---- the two interval guards ----------------------------------------------------------------------------------


def test_series_across_the_autumn_change_keeps_whole_days():
    # 48.5 h rounds up to 3 days; Friday 09:00 EDT to Sunday 09:00 EST is 49 h, enough in hours, not in days.
    template = replace(IV_RACEMIC, min_interval_hours=48.5)
    days = dose_days(template, FRIDAY_BEFORE_AUTUMN_CHANGE, calendar=ALL_WEEK, tz=NEW_YORK)
    assert days[:3] == [date(2026, 10, 30), date(2026, 11, 2), date(2026, 11, 5)]


def test_weekly_cadence_across_the_autumn_change_keeps_whole_days():
    template = replace(ESKETAMINE_LABEL, min_interval_hours=48.5)
    days = dose_days(template, FRIDAY_BEFORE_AUTUMN_CHANGE, calendar=ALL_WEEK, tz=NEW_YORK,
                     phase_changes=THREE_IN_ONE_WEEK)
    assert days[:3] == [date(2026, 10, 30), date(2026, 11, 2), date(2026, 11, 5)]


def test_weekly_cadence_across_the_spring_change_keeps_elapsed_hours():
    # Sunday 09:00 EDT is 47 h after Friday 09:00 EST: the second dose moves to Monday, the third follows 48 h on.
    days = dose_days(ESKETAMINE_LABEL, FRIDAY_BEFORE_SPRING_CHANGE, calendar=ALL_WEEK, tz=NEW_YORK,
                     phase_changes=THREE_IN_ONE_WEEK)
    assert days[:3] == [date(2027, 3, 12), date(2027, 3, 15), date(2027, 3, 17)]


def test_a_series_spaced_wider_than_the_minimum_keeps_its_own_spacing():
    weekly = Phase("weekly", "Weekly", SERIES, "test", count=3, interval_days=7)
    assert dose_days(replace(IV_RACEMIC, phases=(weekly,)), MONDAY) == [
        date(2026, 11, 30), date(2026, 12, 7), date(2026, 12, 14)
    ]


# ---- phase starts ---------------------------------------------------------------------------------------------


def test_a_weekly_phase_after_a_series_starts_a_week_after_its_last_dose():
    phases = (
        Phase("series", "Series", SERIES, "test", count=2, interval_days=2),
        Phase("weekly", "Weekly", PER_WEEK, "test", weeks=1, doses_per_week=1),
    )
    assert dose_days(replace(ESKETAMINE_LABEL, phases=phases), MONDAY) == [
        date(2026, 11, 30), date(2026, 12, 2), date(2026, 12, 9)
    ]


# ---- slots that avoid taken days ----------------------------------------------------------------------------


def test_an_integration_session_never_falls_on_a_dosing_day():
    template = replace(IV_RACEMIC, integration=IntegrationSchedule(every_n_doses=1, offset_days=2, duration_min=50))
    slots = generate(template, MONDAY, include_assessments=False)
    first = next(s for s in slots if s.kind == INTEGRATION)
    # Two days after Monday's dose is Wednesday, the second dose: the session moves to Thursday.
    assert (first.starts_at.date(), first.label) == (date(2026, 12, 3), "Integration session after dose 1")
    dosing = {s.starts_at.date() for s in slots if s.kind == DOSING}
    assert all(s.starts_at.date() not in dosing for s in slots if s.kind == INTEGRATION)


def test_two_assessments_due_the_same_day_take_two_days():
    template = replace(
        IV_RACEMIC, assessments=(AssessmentPoint("induction", 2, "First"), AssessmentPoint("induction", 2, "Second"))
    )
    slots = generate(template, MONDAY, include_integration=False)
    assert [(s.label, s.starts_at.date()) for s in slots if s.kind == ASSESSMENT] == [
        ("First", date(2026, 12, 14)),
        ("Second", date(2026, 12, 15)),
    ]


def test_an_assessment_after_an_unknown_phase_is_refused_in_words():
    template = replace(IV_RACEMIC, assessments=(AssessmentPoint("nope", 1, "Review"),))
    with pytest.raises(ScheduleError) as err:
        generate(template, MONDAY)
    assert str(err.value) == "Assessment 'Review' refers to unknown phase 'nope'."


# ---- the calendar ---------------------------------------------------------------------------------------------


def test_the_next_open_day_looks_forward_only():
    calendar = ClinicCalendar(closed_dates=frozenset({date(2026, 12, 7)}))
    assert calendar.next_open_day(date(2026, 12, 4)) == date(2026, 12, 4)  # a Friday, open
    assert calendar.next_open_day(date(2026, 12, 5)) == date(2026, 12, 8)  # Saturday -> past the closed Monday
    assert calendar.next_open_day(date(2026, 12, 4), avoid={date(2026, 12, 4)}) == date(2026, 12, 8)


def test_the_search_for_an_open_day_covers_sixty_days():
    first = date(2026, 12, 1)

    def closed_for(n):
        return ClinicCalendar(closed_dates=frozenset(first + timedelta(days=i) for i in range(n)),
                              open_weekdays=frozenset(range(7)))

    assert closed_for(59).next_open_day(first) == first + timedelta(days=59)
    with pytest.raises(ScheduleError) as err:
        closed_for(60).next_open_day(first)
    assert str(err.value) == "The clinic calendar has no open day within 60 days of 2026-12-01."


def test_an_unknown_template_lists_the_known_ones():
    with pytest.raises(KeyError) as err:
        get_template("nope")
    assert err.value.args == (
        "Unknown protocol template 'nope'; known: esketamine_label, im_racemic_clinic, iv_racemic_standard, "
        "oral_racemic_clinic, sublingual_racemic_clinic.",
    )
