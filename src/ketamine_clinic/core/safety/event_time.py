"""Times of clinical events cannot lie in the future.

Vital signs, a screening, a decision or a consent happen before they are charted. A time ahead of the clinic's
clock is a typing slip (a wrong month or day, AM for PM) and would make the record lie about when the patient
was seen: an intake "taken" next month would outlive its real validity, sort as the newest, and date the chart
weight that doses are calculated from.

A small tolerance allows for clocks that differ between a workstation or device and the server. This is the one
home of that rule: assessment (intake vitals, screenings, decisions, consents) and sessions (check-in, readings,
state changes, the ``verify`` invariants) all read ``CLOCK_SKEW`` from here.
"""

from __future__ import annotations

import datetime as dt

# Clinic-defined: how far ahead of the server's clock a charted time may be (workstation, tablet and device clocks
# drift by seconds to a few minutes; more than this is a wrong time, not skew).
CLOCK_SKEW = dt.timedelta(minutes=5)
FUTURE_TOLERANCE = CLOCK_SKEW  # the same constant, under the name assessment's callers use


def is_in_future(when: dt.datetime, now: dt.datetime) -> bool:
    """The one comparison: ``when`` is more than CLOCK_SKEW ahead of ``now``."""
    return when > now + CLOCK_SKEW


def future_problem(when: dt.datetime | None, now: dt.datetime, what: str) -> str | None:
    """Why ``when`` cannot be charted (it is more than CLOCK_SKEW ahead of ``now``), or None."""
    if when is None or not is_in_future(when, now):
        return None
    minutes = int(CLOCK_SKEW.total_seconds() // 60)
    return (
        f"{what} cannot be in the future: enter the time it actually happened (at most {minutes} minutes ahead "
        "of the clinic's clock is accepted, for clock differences)."
    )


def future_date_problem(day: dt.date | None, today: dt.date, what: str) -> str | None:
    """Why the calendar date ``day`` cannot be charted (it is after ``today``), or None."""
    if day is None or day <= today:
        return None
    return f"{what} cannot be in the future: enter the date it happened."


def event_time_problem(
    at: dt.datetime, *, now: dt.datetime, after: dt.datetime | None = None, after_what: str = ""
) -> str | None:
    """Why ``at`` cannot be the time of a session event (None when it can): more than CLOCK_SKEW ahead of
    ``now``, or before ``after`` (the step it follows)."""
    if is_in_future(at, now):
        return f"{_fmt(at)} is in the future; clinical events are recorded when they happen."
    if after is not None and at < after:
        return f"{_fmt(at)} is before {after_what or 'the event it follows'} ({_fmt(after)})."
    return None


def _fmt(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")
