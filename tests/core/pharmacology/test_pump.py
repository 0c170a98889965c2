"""Charted pump events -> engine events (core.pharmacology.pump): segments, changes, the bag, the delivered dose."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketamine_clinic.core.pharmacology import models, pump, schedule, solver
from ketamine_clinic.core.pharmacology.pump import PAUSE, RATE, RESUME, STOP, Change, Segment


def test_segments_become_one_infusion_per_running_segment_and_pauses_add_none():
    events = pump.from_pump_record([(0, 10, 52.5), (10, 15, 0.0), (15, 45, 26.25)], start_min=5)
    assert events == (
        schedule.Infusion(5, 10, pytest.approx(8.75)),
        schedule.Infusion(20, 30, pytest.approx(13.125)),
    )
    assert float(schedule.total_mg(events)) == pytest.approx(8.75 + 13.125)


def test_halved_rate_and_pause_from_changes():
    # 35 mg over 40 min = 52.5 mg/h; halved at 10 min, paused 20-25, ended at 50 min.
    segs = pump.segments_from_changes(
        52.5,
        [Change(10, RATE, 26.25), Change(20, PAUSE), Change(25, RESUME)],
        end_min=50,
        bag_mg=35,
    )
    assert [(s.start_min, s.end_min, s.rate_mg_per_h) for s in segs] == [
        (0, 10, 52.5), (10, 20, 26.25), (20, 25, 0.0), (25, 50, 26.25)
    ]


def test_running_pump_is_projected_until_the_bag_is_empty():
    segs = pump.segments_from_changes(52.5, [Change(10, RATE, 26.25)], bag_mg=35)
    assert sum(s.amount_mg for s in segs) == pytest.approx(35)
    # 8.75 mg in the first 10 min, the other 26.25 mg at 26.25 mg/h: an hour more.
    assert segs[-1].end_min == pytest.approx(70)


def test_a_pump_left_paused_delivers_nothing_more():
    segs = pump.segments_from_changes(52.5, [Change(10, PAUSE)], bag_mg=35)
    assert sum(s.amount_mg for s in segs) == pytest.approx(8.75)


def test_stop_ends_the_infusion_and_later_changes_are_ignored():
    segs = pump.segments_from_changes(60, [Change(15, STOP), Change(20, RESUME)], end_min=40, bag_mg=100)
    assert [(s.start_min, s.end_min) for s in segs] == [(0, 15)]


def test_rate_change_while_paused_is_the_rate_it_resumes_at():
    segs = pump.segments_from_changes(
        60, [Change(5, PAUSE), Change(7, RATE, 30), Change(10, RESUME)], end_min=20, bag_mg=100
    )
    assert [s.rate_mg_per_h for s in segs] == [60, 0, 0, 30]


def test_the_pump_never_delivers_more_than_the_bag():
    segs = pump.segments_from_changes(120, [], end_min=60, bag_mg=35)
    assert sum(s.amount_mg for s in segs) == pytest.approx(35)
    assert segs[-1].end_min == pytest.approx(17.5)


def test_delivered_dose_wins_over_the_charted_times_the_last_segment_takes_the_difference():
    segs = [Segment(0, 10, 52.5), Segment(10, 40, 26.25)]  # 8.75 + 13.125 = 21.875 mg charted
    out = pump.reconcile(segs, 20.0)
    assert out[0] == segs[0]
    assert out[1].amount_mg == pytest.approx(20.0 - 8.75)
    assert (out[1].start_min, out[1].end_min) == (10, 40)


def test_delivered_less_than_the_earlier_segments_scales_every_segment():
    segs = [Segment(0, 10, 52.5), Segment(10, 40, 26.25)]
    out = pump.reconcile(segs, 5.0)
    assert sum(s.amount_mg for s in out) == pytest.approx(5.0)
    assert out[0].rate_mg_per_h / out[1].rate_mg_per_h == pytest.approx(2.0)


@pytest.mark.parametrize(
    "segments, message",
    [
        ([(0, 0, 10)], "end after it starts"),
        ([(0, 10, -1)], "negative"),
        ([(0, 10, 10), (5, 15, 10)], "overlap"),
        ([(0, 10, 0)], "delivered nothing"),
        ([(0, math.nan, 10)], "finite"),
    ],
)
def test_bad_records_are_refused_with_the_reason(segments, message):
    with pytest.raises(schedule.ScheduleError, match=message):
        pump.from_pump_record(segments)


def test_a_delivered_dose_without_a_running_pump_is_refused():
    with pytest.raises(schedule.ScheduleError, match="never ran"):
        pump.reconcile([Segment(0, 10, 0.0)], 5.0)


def test_halved_rate_lowers_the_peak_against_the_planned_infusion():
    model = models.get("domino")
    planned = schedule.iv_infusion(35.0, 40.0)
    given_ = pump.from_pump_record(
        pump.segments_from_changes(52.5, [Change(10, RATE, 26.25)], end_min=50, bag_mg=35)
    )
    ind = solver.individualise(model, 70.0)
    t = [x * 0.5 for x in range(0, 481)]
    cp_planned = solver.solve(ind, planned).evaluate(np.array(t), ("plasma",))[0][0]
    cp_given = solver.solve(ind, given_).evaluate(np.array(t), ("plasma",))[0][0]
    assert cp_given.max() < cp_planned.max()


# A pump is stopped (0) or runs at a real rate; subnormal rates would underflow the mg to 0.
rates = st.one_of(st.just(0.0), st.floats(min_value=1e-6, max_value=600.0))
durations = st.floats(min_value=0.1, max_value=120.0, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(durations, rates), min_size=1, max_size=8), st.floats(min_value=0, max_value=60))
def test_mass_balance_the_events_total_is_the_integral_of_the_rate(pieces, start):
    segs, t = [], 0.0
    for length, rate in pieces:
        segs.append((t, t + length, rate))
        t += length
    integral = sum(r * (b - a) / 60.0 for a, b, r in segs)
    if integral <= 0:
        with pytest.raises(schedule.ScheduleError):
            pump.from_pump_record(segs, start_min=start)
        return
    events = pump.from_pump_record(segs, start_min=start)
    assert float(schedule.total_mg(events)) == pytest.approx(integral, rel=1e-9)
    assert all(ev.start_min >= start for ev in events)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(durations, st.floats(min_value=0.1, max_value=600.0)), min_size=1, max_size=6),
    st.floats(min_value=0.0, max_value=500.0),
)
def test_mass_balance_with_a_delivered_dose_the_total_is_the_delivered_dose(pieces, delivered):
    segs, t = [], 0.0
    for length, rate in pieces:
        segs.append(Segment(t, t + length, rate))
        t += length
    out = pump.reconcile(segs, delivered)
    assert sum(s.amount_mg for s in out) == pytest.approx(delivered, rel=1e-9, abs=1e-9)
    assert [(s.start_min, s.end_min) for s in out] == [(s.start_min, s.end_min) for s in segs]
    assert all(s.rate_mg_per_h >= 0 for s in out)


@settings(max_examples=150, deadline=None)
@given(
    st.floats(min_value=1.0, max_value=300.0),
    st.lists(
        st.tuples(st.floats(min_value=0.0, max_value=90.0), st.sampled_from([RATE, PAUSE, RESUME, STOP]), rates),
        max_size=6,
    ),
    st.floats(min_value=1.0, max_value=200.0),
)
def test_changes_never_exceed_the_bag_and_match_the_rate_integral(rate, changes, bag):
    chs = [Change(a, kind, r if kind == RATE else None) for a, kind, r in changes]
    segs = pump.segments_from_changes(rate, chs, end_min=90.0, bag_mg=bag)
    total = sum(s.amount_mg for s in segs)
    assert total <= bag + 1e-9
    assert all(b.start_min >= a.end_min - 1e-9 for a, b in zip(segs, segs[1:], strict=False))
    if total > 0:
        events = pump.from_pump_record(segs)
        assert float(schedule.total_mg(events)) == pytest.approx(total, rel=1e-9)
