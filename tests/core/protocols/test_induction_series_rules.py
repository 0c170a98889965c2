"""The induction series: n of N done, days since the last dose, and the reasons a patient may not finish."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketamine_clinic.core.protocols.schedule import DOSING, ClinicCalendar, generate
from ketamine_clinic.core.protocols.series import (
    BOOKED,
    CANCELLED,
    DONE,
    MISSED,
    InductionVisit,
    max_gap_days,
    progress,
)
from ketamine_clinic.core.protocols.templates import ESKETAMINE_LABEL, IV_RACEMIC, TEMPLATES

NY = ZoneInfo("America/New_York")
INDUCTION = IV_RACEMIC.phase("induction")
MONDAY = date(2026, 11, 30)


def at(d: date, hour: int = 9) -> datetime:
    return datetime.combine(d, time(hour), tzinfo=NY)


def series_from_schedule(template, start, done: int):
    """The template's generated induction, the first ``done`` doses given and the rest booked."""
    slots = [s for s in generate(template, start, tz=NY) if s.kind == DOSING and s.phase_key == "induction"]
    return [
        InductionVisit(s.dose_number, s.starts_at, DONE if i < done else BOOKED) for i, s in enumerate(slots)
    ]


def test_the_numbers_come_from_the_template():
    assert INDUCTION.dose_count == 6
    # The longest gap of the clinic's own generated induction (Mon-Fri clinic, any start day).
    assert max_gap_days(IV_RACEMIC) == 4  # Thu, Mon, Wed, ...; also six within 21 days spread evenly (3.5)
    assert max_gap_days(ESKETAMINE_LABEL) == 5  # a weekend start: Mon, Wed, then Mon
    assert progress(ESKETAMINE_LABEL, [], at(MONDAY)).total == 8  # twice weekly for four weeks


def test_a_clinic_open_fewer_days_allows_the_gaps_its_week_forces():
    three_days = ClinicCalendar(open_weekdays=frozenset({0, 2, 4}))
    assert max_gap_days(IV_RACEMIC, three_days) == 3  # Mon/Wed/Fri only: Fri -> Mon
    closed_week = ClinicCalendar(closed_dates=frozenset(MONDAY + timedelta(days=n) for n in range(7)))
    assert max_gap_days(IV_RACEMIC, closed_week) == 4  # a one-off closure does not widen the protocol's limit


def test_on_track_series_is_not_at_risk_and_says_where_it_is():
    visits = series_from_schedule(IV_RACEMIC, MONDAY, done=3)  # Mon, Wed, Fri given; next Mon booked
    result = progress(IV_RACEMIC, visits, at(MONDAY + timedelta(days=6), 12))  # Sunday
    assert (result.done, result.total, result.days_since_last_done) == (3, 6, 2)
    assert result.next_booked_dose == 4 and result.next_booked_at == at(MONDAY + timedelta(days=7))
    assert result.at_risk_reasons == ()
    assert result.summary == "3 of 6 done, last 2 days ago"


def test_a_missed_visit_is_named_with_its_day():
    visits = series_from_schedule(IV_RACEMIC, MONDAY, done=1)
    visits[1] = InductionVisit(2, visits[1].planned_at, MISSED)  # Wed 2 Dec
    result = progress(IV_RACEMIC, visits, at(date(2026, 12, 3), 12))
    assert result.missed == 1
    assert "missed visit on Wed 2 Dec" in result.at_risk_reasons


def test_a_dose_moved_twice_is_named():
    visits = series_from_schedule(IV_RACEMIC, MONDAY, done=2)
    visits[2] = InductionVisit(3, visits[2].planned_at, BOOKED, times_moved=2)
    visits[3] = InductionVisit(4, visits[3].planned_at, BOOKED, times_moved=1)
    result = progress(IV_RACEMIC, visits, at(MONDAY + timedelta(days=3)))
    assert result.moved == 3
    assert result.at_risk_reasons == ("dose 3 moved twice",)


def test_moved_twice_then_given_is_no_longer_a_risk():
    visits = series_from_schedule(IV_RACEMIC, MONDAY, done=3)
    visits[2] = InductionVisit(3, visits[2].planned_at, DONE, times_moved=2)
    assert progress(IV_RACEMIC, visits, at(MONDAY + timedelta(days=5))).at_risk_reasons == ()


def test_a_gap_over_the_protocols_maximum_since_the_last_dose():
    visits = [InductionVisit(1, at(MONDAY), DONE), InductionVisit(2, at(MONDAY + timedelta(days=14)), BOOKED)]
    result = progress(IV_RACEMIC, visits, at(MONDAY + timedelta(days=9)), dose_word="infusion")
    assert result.days_since_last_done == 9
    assert "9 days since the last infusion; the protocol allows at most 4" in result.at_risk_reasons


def test_the_next_booked_dose_too_far_after_the_last_is_a_risk_before_the_gap_opens():
    visits = [InductionVisit(1, at(MONDAY), DONE), InductionVisit(2, at(MONDAY + timedelta(days=7)), BOOKED)]
    result = progress(IV_RACEMIC, visits, at(MONDAY + timedelta(days=1)), dose_word="infusion")
    assert result.at_risk_reasons == (
        "next infusion booked Mon 7 Dec, 7 days after the last; the protocol allows at most 4",
    )


def test_the_longest_allowed_gap_is_not_flagged():
    visits = [InductionVisit(1, at(MONDAY), DONE), InductionVisit(2, at(MONDAY + timedelta(days=4)), BOOKED)]
    assert progress(IV_RACEMIC, visits, at(MONDAY + timedelta(days=4), 8)).at_risk_reasons == ()


def test_a_started_series_with_nothing_booked_is_at_risk():
    visits = [InductionVisit(1, at(MONDAY), DONE), InductionVisit(2, at(MONDAY + timedelta(days=2)), CANCELLED)]
    result = progress(IV_RACEMIC, visits, at(MONDAY + timedelta(days=1)))
    assert result.cancelled == 1
    assert result.at_risk_reasons == ("no dose booked for the 5 still to give",)


def test_a_series_not_started_nor_booked_is_not_flagged():
    assert progress(IV_RACEMIC, [], at(MONDAY)).at_risk_reasons == ()


def test_a_completed_series_is_never_at_risk_and_later_visits_are_not_part_of_it():
    visits = [InductionVisit(n, at(MONDAY + timedelta(days=2 * n)), DONE) for n in range(1, 7)]
    visits.insert(2, InductionVisit(None, at(MONDAY + timedelta(days=5)), MISSED))
    visits.append(InductionVisit(None, at(MONDAY + timedelta(days=40)), MISSED))  # a booster, after the series
    result = progress(IV_RACEMIC, visits, at(MONDAY + timedelta(days=60)))
    assert result.complete and result.done == 6 and result.at_risk_reasons == ()
    assert result.missed == 1


def test_a_hand_booked_visit_is_named_by_its_day():
    visits = [InductionVisit(1, at(MONDAY), DONE),
              InductionVisit(None, at(MONDAY + timedelta(days=2)), BOOKED, times_moved=3)]
    assert progress(IV_RACEMIC, visits, at(MONDAY)).at_risk_reasons == ("the visit of Wed 2 Dec moved 3 times",)


def test_a_stale_booked_visit_is_not_the_next_one():
    visits = [InductionVisit(1, at(MONDAY), DONE), InductionVisit(2, at(MONDAY + timedelta(days=2)), BOOKED)]
    result = progress(IV_RACEMIC, visits, at(MONDAY + timedelta(days=3)))
    assert result.next_booked_at is None
    assert "no dose booked for the 5 still to give" in result.at_risk_reasons


def test_bad_visit_status_is_refused():
    with pytest.raises(ValueError, match="status"):
        InductionVisit(1, at(MONDAY), "attended")


@given(
    start=st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)),
    done=st.integers(min_value=0, max_value=6),
    template=st.sampled_from([IV_RACEMIC, ESKETAMINE_LABEL, TEMPLATES["im_racemic_clinic"]]),
)
@settings(max_examples=80, deadline=None)
def test_any_generated_schedule_followed_to_the_day_is_never_at_risk(start, done, template):
    phase = template.phase("induction")
    visits = series_from_schedule(template, start, done=min(done, phase.dose_count))
    given_ = min(done, phase.dose_count)
    # The morning of the next booked dose (or the day of the last one, when all are given).
    now = visits[given_].planned_at.replace(hour=8) if given_ < len(visits) else visits[-1].planned_at
    result = progress(template, visits, now)
    assert result.done == given_ and result.total == phase.dose_count
    assert result.at_risk_reasons == ()


@given(
    gaps=st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=5),
    since=st.integers(min_value=0, max_value=15),
)
@settings(max_examples=80, deadline=None)
def test_the_gap_reason_appears_exactly_when_the_gap_exceeds_the_maximum(gaps, since):
    days, visits = 0, []
    for n, gap in enumerate(gaps, start=1):
        visits.append(InductionVisit(n, at(MONDAY + timedelta(days=days)), DONE))
        days += gap
    last = days - gaps[-1]
    visits.append(InductionVisit(len(gaps) + 1, at(MONDAY + timedelta(days=last + since + 1)), BOOKED))
    result = progress(IV_RACEMIC, visits, at(MONDAY + timedelta(days=last + since), 8))
    flagged = any("since the last" in r for r in result.at_risk_reasons)
    assert result.days_since_last_done == since
    assert flagged == (since > max_gap_days(IV_RACEMIC))
