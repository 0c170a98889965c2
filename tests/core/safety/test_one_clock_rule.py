"""Issue 12: one rule for "a clinical time cannot be in the future", used by assessment and sessions alike."""

import datetime as dt
import importlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketamine_clinic.core.safety.event_time import (
    CLOCK_SKEW,
    FUTURE_TOLERANCE,
    event_time_problem,
    future_problem,
)

NOW = dt.datetime(2025, 3, 4, 12, 0, tzinfo=dt.UTC)


def test_one_module_one_tolerance():
    assert CLOCK_SKEW is FUTURE_TOLERANCE and CLOCK_SKEW == dt.timedelta(minutes=5)
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("ketamine_clinic.core.administration.timing")


@given(ahead_s=st.integers(min_value=-3600, max_value=3600))
def test_assessment_and_session_checks_agree_on_every_time(ahead_s):
    when = NOW + dt.timedelta(seconds=ahead_s)
    refused_by_assessment = future_problem(when, NOW, "The time") is not None
    refused_by_sessions = event_time_problem(when, now=NOW) is not None
    assert refused_by_assessment == refused_by_sessions == (ahead_s > CLOCK_SKEW.total_seconds())


def test_session_check_still_orders_steps():
    before = NOW - dt.timedelta(minutes=10)
    assert "before check-in" in event_time_problem(before, now=NOW, after=NOW - dt.timedelta(minutes=5), after_what="check-in")
    assert "in the future" in event_time_problem(NOW + dt.timedelta(minutes=6), now=NOW)
