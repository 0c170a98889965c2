"""The induction series: how far a patient is through it, and whether they are at risk of not finishing.

Pure: the protocol template (its ``induction`` phase) and the patient's induction visits in, a ``SeriesProgress``
out. The numbers come from the template; nothing here restates a dose count or an interval.

A series is at risk of not finishing when (clinic-defined; no published source sets these signs):

- a visit was missed (a no-show);
- a visit still to come (or missed, or cancelled) has been moved twice or more;
- the gap since the last dose given, or to the next one booked, is longer than the protocol allows
  (``max_gap_days``);
- doses are still to be given and none is booked.

A completed series is never at risk.
"""

import math
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache

from .schedule import ClinicCalendar, ScheduleError, generate
from .templates import PER_WEEK, Phase, ProtocolTemplate

INDUCTION = "induction"  # the key of every template's induction phase (templates.py)

DONE = "done"
BOOKED = "booked"  # booked, or checked in and not yet given
MISSED = "missed"  # no-show
CANCELLED = "cancelled"
STATUSES = (DONE, BOOKED, MISSED, CANCELLED)

# Moved this many times or more puts the visit's dose at risk: a visit moved twice (clinic-defined).
MOVED_TOO_OFTEN = 2

# An induction series without a window has only its aimed interval: then a dose a whole interval late is the
# most the clinic allows (clinic-defined; no current template's induction lacks a window or a weekly cadence).
_NO_WINDOW_FACTOR = 2

# Any Monday: the week the induction is generated from, one start per weekday, to find its longest gap.
_REFERENCE_MONDAY = date(2026, 1, 5)


@dataclass(frozen=True)
class InductionVisit:
    """One dosing visit of the induction: its dose number (None for a visit booked by hand), when it is or was
    planned, what became of it, and how many times it was moved."""

    dose_number: int | None
    planned_at: datetime
    status: str
    times_moved: int = 0

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"Visit status must be one of {', '.join(STATUSES)}, not {self.status!r}.")
        if self.times_moved < 0:
            raise ValueError("A visit cannot be moved a negative number of times.")


@dataclass(frozen=True)
class SeriesProgress:
    done: int
    total: int
    days_since_last_done: int | None
    last_done_at: datetime | None
    next_booked_at: datetime | None
    next_booked_dose: int | None
    missed: int
    moved: int  # reschedules of the series' visits, all told
    cancelled: int
    max_gap_days: int
    at_risk_reasons: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return self.done >= self.total

    @property
    def at_risk(self) -> bool:
        return bool(self.at_risk_reasons)

    @property
    def summary(self) -> str:
        """E.g. "3 of 6 done, last 2 days ago"."""
        text = f"{self.done} of {self.total} done"
        if self.days_since_last_done is not None:
            text += f", last {_days_ago(self.days_since_last_done)}"
        return text


def max_gap_days(template: ProtocolTemplate, calendar: ClinicCalendar | None = None) -> int:
    """The longest gap, in whole days, between two induction doses that the protocol allows.

    No template states a maximum gap, so it is derived from the template's own induction cadence: the longest
    gap between consecutive doses in the induction the clinic's generator makes from the template
    (``schedule.generate``), started on each day of the week on the clinic's usual week (its open weekdays;
    one-off closed dates left out, so a holiday does not widen the limit). A gap longer than that is one the
    clinic would never book for that protocol. With the default Monday-Friday clinic:

    - IV racemic (six infusions about every 2 days within 21 days, templates.IV_RACEMIC after Murrough et al.
      2013 and the clinic's 21-day window): 4 days (a Thursday start: Thu, Mon, Wed, Fri, Mon, Wed). Six within
      21 days spread evenly is one every 3.5 days, so 4 is also what the window gives.
    - Esketamine per the SPRAVATO label (twice weekly in weeks 1-4): 5 days (a weekend start puts a week's
      second dose on Wednesday and the next week's first on Monday).

    If the cadence cannot be generated on the calendar at all, the cadence's own period is divided evenly among
    its doses (``_even_spacing_days``).
    """
    return _max_gap_days(template, replace(calendar or ClinicCalendar(), closed_dates=frozenset()))


@lru_cache(maxsize=64)
def _max_gap_days(template: ProtocolTemplate, calendar: ClinicCalendar) -> int:
    phase = template.phase(INDUCTION)
    alone = replace(template, phases=(phase,), integration=None, assessments=())
    longest = 0
    try:
        for offset in range(7):
            days = [
                s.starts_at.date()
                for s in generate(alone, _REFERENCE_MONDAY + timedelta(days=offset), calendar=calendar,
                                  time_of_day=calendar.opens, include_integration=False,
                                  include_assessments=False)
            ]
            longest = max([longest] + [(b - a).days for a, b in zip(days, days[1:], strict=False)])
    except ScheduleError:
        return _even_spacing_days(phase)
    return longest or _even_spacing_days(phase)


def _even_spacing_days(phase: Phase) -> int:
    """The cadence's period divided evenly among its doses, rounded up to whole days: a week (or k weeks) per
    ``doses_per_week`` doses, the window per dose, or twice the aimed interval for a series without a window
    (``_NO_WINDOW_FACTOR``, clinic-defined)."""
    if phase.cadence == PER_WEEK:
        return math.ceil(7 * phase.every_n_weeks / phase.doses_per_week)
    if phase.window_days:
        return math.ceil(phase.window_days / phase.count)
    return math.ceil(_NO_WINDOW_FACTOR * phase.interval_days)


def progress(
    template: ProtocolTemplate,
    visits: list[InductionVisit],
    now: datetime,
    *,
    calendar: ClinicCalendar | None = None,
    tz: tzinfo | None = None,
    dose_word: str = "dose",
) -> SeriesProgress:
    """Where the patient is in ``template``'s induction at ``now``, from their induction ``visits``.

    Days are counted between dates on the clinic's wall clock (``tz``, default ``now``'s zone). Visits after the
    series is complete (the first ``dose_count`` doses of the induction given) are not part of it.
    """
    tz = tz or now.tzinfo
    total = template.phase(INDUCTION).dose_count
    ordered = sorted(visits, key=lambda v: v.planned_at)
    series, given = [], 0
    for visit in ordered:
        if given >= total:
            break
        series.append(visit)
        given += visit.status == DONE
    done_visits = [v for v in series if v.status == DONE]
    today = now.astimezone(tz).date()
    # A booked visit on a past day that was never given is not "next": the desk records it as missed.
    booked = [v for v in series if v.status == BOOKED and v.planned_at.astimezone(tz).date() >= today]
    last_done = done_visits[-1].planned_at if done_visits else None
    next_booked = booked[0] if booked else None
    since = (today - last_done.astimezone(tz).date()).days if last_done else None
    limit = max_gap_days(template, calendar)
    result = dict(
        done=len(done_visits),
        total=total,
        days_since_last_done=since,
        last_done_at=last_done,
        next_booked_at=next_booked.planned_at if next_booked else None,
        next_booked_dose=next_booked.dose_number if next_booked else None,
        missed=sum(v.status == MISSED for v in series),
        moved=sum(v.times_moved for v in series),
        cancelled=sum(v.status == CANCELLED for v in series),
        max_gap_days=limit,
    )
    if len(done_visits) >= total:
        return SeriesProgress(**result, at_risk_reasons=())
    reasons = [f"missed visit on {_day(v.planned_at, tz)}" for v in series if v.status == MISSED]
    reasons += [
        f"{_which(v, tz)} moved {_times(v.times_moved)}"
        for v in series
        if v.status != DONE and v.times_moved >= MOVED_TOO_OFTEN
    ]
    if last_done is not None and since > limit:
        reasons.append(
            f"{since} days since the last {dose_word}; the protocol allows at most {limit}"
        )
    elif last_done is not None and next_booked is not None:
        ahead = (next_booked.planned_at.astimezone(tz).date() - last_done.astimezone(tz).date()).days
        if ahead > limit:
            reasons.append(
                f"next {dose_word} booked {_day(next_booked.planned_at, tz)}, {ahead} days after the last; "
                f"the protocol allows at most {limit}"
            )
    started = bool(done_visits) or any(v.status in (MISSED, CANCELLED) for v in series)
    if started and next_booked is None:
        left = total - len(done_visits)
        reasons.append(f"no {dose_word} booked for the {left} still to give")
    return SeriesProgress(**result, at_risk_reasons=tuple(reasons))


def _day(when: datetime, tz) -> str:
    """E.g. "Tue 1 Dec" on the clinic's calendar."""
    local = when.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b}"


def _which(visit: InductionVisit, tz) -> str:
    if visit.dose_number is not None:
        return f"dose {visit.dose_number}"
    return f"the visit of {_day(visit.planned_at, tz)}"


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _days_ago(n: int) -> str:
    return {0: "today", 1: "yesterday"}.get(n, f"{n} days ago")
