"""Times of clinical events cannot lie in the future.

Vital signs, a screening, a decision or a consent happen before they are charted. A time ahead of the clinic's
clock is a typing slip (a wrong month or day, AM for PM) and would make the record lie about when the patient
was seen: an intake "taken" next month would outlive its real validity, sort as the newest, and date the chart
weight that doses are calculated from.

A small tolerance allows for clocks that differ between a workstation or device and the server.
"""

import datetime as dt

# Clinic-defined: how far ahead of the server's clock a charted time may be (workstation and device clocks drift
# by seconds to a few minutes; more than this is a wrong time, not skew).
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


def future_problem(when: dt.datetime | None, now: dt.datetime, what: str) -> str | None:
    """Why ``when`` cannot be charted (it is more than FUTURE_TOLERANCE ahead of ``now``), or None."""
    if when is None or when <= now + FUTURE_TOLERANCE:
        return None
    minutes = int(FUTURE_TOLERANCE.total_seconds() // 60)
    return (
        f"{what} cannot be in the future: enter the time it actually happened (at most {minutes} minutes ahead "
        "of the clinic's clock is accepted, for clock differences)."
    )


def future_date_problem(day: dt.date | None, today: dt.date, what: str) -> str | None:
    """Why the calendar date ``day`` cannot be charted (it is after ``today``), or None."""
    if day is None or day <= today:
        return None
    return f"{what} cannot be in the future: enter the date it happened."
