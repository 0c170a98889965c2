"""FHIR date search (core.interop.search): a parameter stands for the range of its precision, and the prefixes
compare ranges as the FHIR R4 search page says (https://hl7.org/fhir/R4/search.html#date)."""

import datetime as dt
import zoneinfo

import pytest

from ketamine_clinic.core.interop.search import (
    DateSearchError,
    date_range,
    of_date,
    of_instant,
    parse_date_test,
)

NY = zoneinfo.ZoneInfo("America/New_York")


def at(*args):
    return of_instant(dt.datetime(*args, tzinfo=NY))


def test_precision_gives_the_range():
    assert date_range("2026", NY).start == dt.datetime(2026, 1, 1, tzinfo=NY)
    assert date_range("2026", NY).end == dt.datetime(2027, 1, 1, tzinfo=NY)
    assert date_range("2026-12", NY).end == dt.datetime(2027, 1, 1, tzinfo=NY)
    assert date_range("2026-02", NY).end == dt.datetime(2026, 3, 1, tzinfo=NY)
    assert date_range("2026-12-01", NY) == of_date(dt.date(2026, 12, 1), NY)
    minute = date_range("2026-12-01T10:30", NY)
    assert minute.end - minute.start == dt.timedelta(minutes=1)
    utc = date_range("2026-12-01T15:00:00Z", NY)
    assert utc.start == dt.datetime(2026, 12, 1, 10, 0, tzinfo=NY)
    assert date_range("2026-12-01T10:00:00-05:00", NY).start == utc.start


@pytest.mark.parametrize("value, when, expected", [
    ("2026-12-01", (2026, 12, 1, 23, 59, 59), True),  # no prefix: eq, the whole day
    ("eq2026-12-01", (2026, 12, 2, 0, 0, 0), False),
    ("ne2026-12-01", (2026, 12, 2, 0, 0, 0), True),
    ("lt2026-12-01", (2026, 11, 30, 23, 59, 59), True),
    ("lt2026-12-01", (2026, 12, 1, 0, 0, 0), False),
    ("gt2026-12-01", (2026, 12, 1, 23, 59, 59), False),
    ("gt2026-12-01", (2026, 12, 2, 0, 0, 0), True),
    ("ge2026-12-01", (2026, 12, 1, 0, 0, 0), True),
    ("ge2026-12-01", (2026, 11, 30, 23, 59, 59), False),
    ("le2026-12-01", (2026, 12, 1, 23, 59, 59), True),
    ("le2026-12-01", (2026, 12, 2, 0, 0, 0), False),
    ("sa2026-12", (2027, 1, 1, 0, 0, 0), True),
    ("eb2026-12", (2026, 11, 30, 23, 0, 0), True),
    ("eb2026-12", (2026, 12, 1, 0, 0, 0), False),
])
def test_prefixes(value, when, expected):
    assert parse_date_test(value, NY).matches(at(*when)) is expected


def test_a_date_element_is_its_whole_day():
    day = of_date(dt.date(2026, 12, 1), NY)
    assert parse_date_test("eq2026-12", NY).matches(day)
    assert not parse_date_test("eq2026-12-01T10:00", NY).matches(day)  # the day is wider than the minute
    assert parse_date_test("ge2026-12-01T10:00", NY).matches(day)  # but overlaps it


@pytest.mark.parametrize("value, says", [
    ("xx2026-12-01", "not a date prefix"),
    ("2026-13-01", "not a date that exists"),
    ("2026-02-30", "not a date that exists"),
    ("1/12/2026", "not a FHIR date"),
    ("ge", "not a FHIR date"),
])
def test_what_is_not_a_date_is_said(value, says):
    with pytest.raises(DateSearchError, match=says):
        parse_date_test(value, NY)
