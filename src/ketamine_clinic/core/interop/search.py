"""FHIR search on dates (pure: no Django): a ``date`` parameter such as ``ge2026-11-01`` or ``lt2026-12-01T09:30``.

Source: FHIR R4 Search, "date" (https://hl7.org/fhir/R4/search.html#date) and "prefix"
(https://hl7.org/fhir/R4/search.html#prefix). A date parameter's value stands for the whole range of its precision
(``2026-11`` is all of November); so does the element searched (a date is its whole day, a dateTime to the second
its second). The prefixes compare those ranges:
- eq: the element's range lies within the parameter's; ne: it does not;
- gt / lt: some of the element's range lies after the parameter's end / before its start;
- ge / le: some of it lies after the parameter's start / before its end (that is: gt or lt, or overlapping);
- sa / eb: the element starts after the parameter's end / ends before the parameter's start.
"If no prefix is present, the prefix eq is assumed." R4 leaves a value without a time zone to the server: the
clinic reads it in its own time zone, as its pages show times.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")

# The FHIR dateTime forms (https://hl7.org/fhir/R4/datatypes.html#dateTime): YYYY, YYYY-MM, YYYY-MM-DD, and a time to
# the minute or second with an optional fraction and zone (search allows minutes; the datatype needs seconds).
_DATE = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


class DateSearchError(ValueError):
    """A date parameter the clinic cannot read; its message says why, in words."""


@dataclasses.dataclass(frozen=True)
class DateRange:
    start: dt.datetime  # inclusive
    end: dt.datetime  # exclusive


@dataclasses.dataclass(frozen=True)
class DateTest:
    prefix: str
    range: DateRange

    def matches(self, target: DateRange) -> bool:
        p, t = self.range, target
        overlaps = t.start < p.end and p.start < t.end
        return {
            "eq": p.start <= t.start and t.end <= p.end,
            "ne": not (p.start <= t.start and t.end <= p.end),
            "gt": t.end > p.end,
            "lt": t.start < p.start,
            "ge": t.end > p.end or overlaps,
            "le": t.start < p.start or overlaps,
            "sa": t.start >= p.end,
            "eb": t.end <= p.start,
        }[self.prefix]


def parse_date_test(value: str, zone: dt.tzinfo) -> DateTest:
    """``ge2026-11-01`` -> DateTest("ge", that day in ``zone``). Raises DateSearchError naming the problem."""
    prefix = value[:2] if value[:2].isalpha() else "eq"
    text = value[2:] if value[:2].isalpha() else value
    if prefix not in PREFIXES:
        raise DateSearchError(f"{prefix!r} is not a date prefix (use one of {', '.join(PREFIXES)}).")
    return DateTest(prefix, date_range(text, zone))


def date_range(text: str, zone: dt.tzinfo) -> DateRange:
    """The range a FHIR date or dateTime string stands for, at its precision."""
    m = _DATE.match(text.strip())
    if not m:
        raise DateSearchError(f"{text!r} is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss][zone]).")
    g = m.groupdict()
    tz = zone
    if g["zone"]:
        tz = dt.UTC if g["zone"] == "Z" else dt.timezone(
            (1 if g["zone"][0] == "+" else -1) * dt.timedelta(hours=int(g["zone"][1:3]), minutes=int(g["zone"][4:6])))
    try:
        year = int(g["year"])
        if g["month"] is None:
            return DateRange(_at(year, 1, 1, tz), _at(year + 1, 1, 1, tz))
        month = int(g["month"])
        if g["day"] is None:
            nxt = (year + 1, 1) if month == 12 else (year, month + 1)
            return DateRange(_at(year, month, 1, tz), _at(*nxt, 1, tz))
        day = dt.date(year, month, int(g["day"]))
        if g["hour"] is None:
            return of_date(day, tz)
        start = dt.datetime(year, month, day.day, int(g["hour"]), int(g["minute"]), int(g["second"] or 0), tzinfo=tz)
    except ValueError as exc:
        raise DateSearchError(f"{text!r} is not a date that exists ({exc}).") from None
    return DateRange(start, start + (dt.timedelta(seconds=1) if g["second"] else dt.timedelta(minutes=1)))


def of_date(day: dt.date, zone: dt.tzinfo) -> DateRange:
    """A date element: its whole day in ``zone``."""
    start = dt.datetime(day.year, day.month, day.day, tzinfo=zone)
    return DateRange(start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone))


def of_instant(when: dt.datetime) -> DateRange:
    """A dateTime element to the second (the clinic's times are to the second)."""
    return DateRange(when, when + dt.timedelta(seconds=1))


def _at(year, month, day, tz):
    return dt.datetime(year, month, day, tzinfo=tz)
