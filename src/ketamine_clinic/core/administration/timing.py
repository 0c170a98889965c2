"""When a clinical event may be recorded as having happened: not in the future, not before what it follows.

Clinic-defined: clocks on tablets and servers drift, so a time up to ``CLOCK_SKEW`` ahead of the server's clock is
accepted as "now"; anything later is a typing error or a wrong date, and is refused rather than charted.
"""

from __future__ import annotations

import datetime as dt

CLOCK_SKEW = dt.timedelta(minutes=5)  # clinic-defined tolerance for device clock drift


def event_time_problem(
    at: dt.datetime, *, now: dt.datetime, after: dt.datetime | None = None, after_what: str = ""
) -> str | None:
    """Why ``at`` cannot be the time of a clinical event (None when it can)."""
    if at > now + CLOCK_SKEW:
        return f"{_fmt(at)} is in the future; clinical events are recorded when they happen."
    if after is not None and at < after:
        return f"{_fmt(at)} is before {after_what or 'the event it follows'} ({_fmt(after)})."
    return None


def _fmt(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")
