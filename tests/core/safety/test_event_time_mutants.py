"""The one clock rule's words and edges (mutation testing, docs/mutation.md): an event may share the minute of
the step it follows, and the refusal names the time, the step and the tolerance exactly."""

import datetime as dt

from ketamine_clinic.core.safety.event_time import CLOCK_SKEW, event_time_problem, future_problem

NOW = dt.datetime(2026, 3, 2, 13, 0)


def test_an_event_at_the_same_time_as_the_step_it_follows_is_accepted():
    assert event_time_problem(NOW, now=NOW, after=NOW) is None


def test_event_time_refusals_word_for_word():
    early = NOW - dt.timedelta(minutes=5)
    assert event_time_problem(early, now=NOW, after=NOW) == (
        "2026-03-02 12:55 is before the event it follows (2026-03-02 13:00)."
    )
    assert event_time_problem(early, now=NOW, after=NOW, after_what="the dose") == (
        "2026-03-02 12:55 is before the dose (2026-03-02 13:00)."
    )
    ahead = NOW + CLOCK_SKEW + dt.timedelta(minutes=1)
    assert event_time_problem(ahead, now=NOW) == (
        f"{ahead:%Y-%m-%d %H:%M} is in the future; clinical events are recorded when they happen."
    )


def test_future_problem_names_the_tolerance_in_whole_minutes():
    minutes = int(CLOCK_SKEW.total_seconds()) // 60
    assert future_problem(NOW + CLOCK_SKEW + dt.timedelta(seconds=1), NOW, "The reading") == (
        f"The reading cannot be in the future: enter the time it actually happened (at most {minutes} minutes "
        "ahead of the clinic's clock is accepted, for clock differences)."
    )
    assert future_problem(NOW + CLOCK_SKEW, NOW, "The reading") is None
