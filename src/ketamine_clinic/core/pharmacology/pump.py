"""What the pump actually did, as engine events: charted rate changes, pauses and a stop -> constant-rate segments
-> one zero-order Infusion per running segment.

Times are minutes from the start of dosing; rates are mg/h (the flowsheet charts mL/h: multiply by the bag's
mg/mL). A pause is a segment at rate 0, so it adds no event. The pump never delivers more than the bag holds:
segments are cut where the running total reaches ``bag_mg``.

When the charted delivered dose is known (the pump's volume infused at the end of dosing) and the segments add
up to something else, the delivered dose wins: the pump's counter is read, the chart's times are written by
hand. The difference is taken from (or added to) the last running segment, whose rate is the one least
certain (it ran until someone read the pump); if the delivered dose is less than the segments before it already
account for, every segment is scaled by the same factor instead. Either way the events' total equals the
delivered dose and every segment keeps its start and end.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .schedule import Event, Infusion, ScheduleError, validate

MIN_PER_H = 60.0

#: The actions a flowsheet charts on a running pump.
RATE, PAUSE, RESUME, STOP = "rate", "pause", "resume", "stop"
ACTIONS = (RATE, PAUSE, RESUME, STOP)

#: A running segment shorter than this (minutes) is dropped: two charted changes at the same minute.
MIN_SEGMENT_MIN = 1e-6

@dataclass(frozen=True)
class Segment:
    """The pump running at ``rate_mg_per_h`` from ``start_min`` to ``end_min`` (0 = paused)."""

    start_min: float
    end_min: float
    rate_mg_per_h: float

    @property
    def amount_mg(self) -> float:
        return self.rate_mg_per_h * (self.end_min - self.start_min) / MIN_PER_H


@dataclass(frozen=True)
class Change:
    """One charted pump action at ``time_min``: RATE (with ``rate_mg_per_h``), PAUSE, RESUME or STOP."""

    time_min: float
    action: str
    rate_mg_per_h: float | None = None


def _finite(x: float, what: str) -> float:
    x = float(x)
    if not math.isfinite(x):
        raise ScheduleError(f"{what} must be a finite number")
    return x


def check_segments(segments: Sequence[Segment]) -> tuple[Segment, ...]:
    """Segments in time order, each of positive length, none overlapping, rates finite and non-negative."""
    out = sorted(segments, key=lambda s: s.start_min)
    last_end = -math.inf
    for s in out:
        start, end = _finite(s.start_min, "segment start"), _finite(s.end_min, "segment end")
        rate = _finite(s.rate_mg_per_h, "pump rate")
        if end <= start:
            raise ScheduleError(f"a pump segment must end after it starts ({start:g} to {end:g} min)")
        if rate < 0:
            raise ScheduleError("a pump rate cannot be negative")
        if start < last_end - 1e-9:
            raise ScheduleError(f"pump segments overlap at {start:g} min")
        last_end = end
    return tuple(out)


def segments_from_changes(
    rate_mg_per_h: float,
    changes: Sequence[Change],
    *,
    start_min: float = 0.0,
    end_min: float | None = None,
    bag_mg: float | None = None,
) -> tuple[Segment, ...]:
    """The pump's segments from its starting rate and the charted changes, in time order.

    A RATE change while paused sets the rate the pump resumes at (it stays paused until RESUME); RESUME restores
    the last running rate; STOP ends it (later changes are ignored). ``end_min``: when dosing ended (None: still
    running, projected until the bag is empty, which needs ``bag_mg``). ``bag_mg``: the pump stops when the
    running total reaches it. Changes before the start or after the end are ignored."""
    rate = _finite(rate_mg_per_h, "pump rate")
    if rate < 0:
        raise ScheduleError("a pump rate cannot be negative")
    if end_min is None and bag_mg is None:
        raise ScheduleError("a running pump is projected until the bag is empty: give the bag's mg")
    horizon = math.inf if end_min is None else float(end_min)
    bag = math.inf if bag_mg is None else float(bag_mg)
    raw: list[Segment] = []
    t, paused = float(start_min), False
    for ch in sorted(changes, key=lambda c: c.time_min):
        if ch.action not in ACTIONS:
            raise ScheduleError(f"unknown pump action {ch.action!r}")
        at = _finite(ch.time_min, "change time")
        if at < t or at > horizon:
            continue
        if at > t:
            raw.append(Segment(t, at, 0.0 if paused else rate))
            t = at
        if ch.action == STOP:
            horizon = t
            break
        if ch.action == PAUSE:
            paused = True
        elif ch.action == RESUME:
            paused = False
        else:
            if ch.rate_mg_per_h is None:
                raise ScheduleError("a rate change needs the new rate")
            rate = _finite(ch.rate_mg_per_h, "pump rate")
            if rate < 0:
                raise ScheduleError("a pump rate cannot be negative")
    if horizon > t:
        if math.isinf(horizon):
            # Projected: at the current rate until the bag is empty (a pump left paused delivers nothing more).
            given = sum(s.amount_mg for s in raw)
            if not paused and rate > 0 and given < bag:
                raw.append(Segment(t, t + (bag - given) / rate * MIN_PER_H, rate))
        else:
            raw.append(Segment(t, horizon, 0.0 if paused else rate))
    return _cut_at_bag([s for s in raw if s.end_min - s.start_min > MIN_SEGMENT_MIN], bag)


def _cut_at_bag(segments: list[Segment], bag: float) -> tuple[Segment, ...]:
    out, given = [], 0.0
    for s in segments:
        if s.rate_mg_per_h > 0 and given + s.amount_mg > bag:
            left = max(bag - given, 0.0)
            if left > 0:
                out.append(Segment(s.start_min, s.start_min + left / s.rate_mg_per_h * MIN_PER_H, s.rate_mg_per_h))
            break
        out.append(s)
        given += s.amount_mg
    return tuple(out)


def reconcile(segments: Sequence[Segment], delivered_mg: float) -> tuple[Segment, ...]:
    """Segments whose total is ``delivered_mg`` (see the module's rule: the last running segment takes the
    difference, or all are scaled when the earlier ones already exceed it). Times never change."""
    delivered = _finite(delivered_mg, "delivered dose")
    if delivered < 0:
        raise ScheduleError("the delivered dose cannot be negative")
    segs = check_segments(segments)
    running = [i for i, s in enumerate(segs) if s.rate_mg_per_h > 0]
    if not running:
        if delivered > 0:
            raise ScheduleError("a dose was delivered but the pump never ran: chart when it ran")
        return segs
    total = sum(s.amount_mg for s in segs)
    if abs(total - delivered) <= 1e-9 * max(1.0, delivered):
        return segs
    last = running[-1]
    before = total - segs[last].amount_mg
    out = list(segs)
    if delivered >= before:
        s = segs[last]
        out[last] = Segment(s.start_min, s.end_min, (delivered - before) / (s.end_min - s.start_min) * MIN_PER_H)
    else:
        k = delivered / total
        out = [Segment(s.start_min, s.end_min, s.rate_mg_per_h * k) for s in segs]
    return tuple(out)


def from_pump_record(
    segments: Sequence[Segment | tuple[float, float, float]],
    *,
    start_min: float = 0.0,
    delivered_mg: float | None = None,
) -> tuple[Event, ...]:
    """Engine events for what the pump delivered: one Infusion per running segment (pauses add none), times
    shifted by ``start_min``. With ``delivered_mg`` the total is made to equal it (module docstring)."""
    segs = check_segments([s if isinstance(s, Segment) else Segment(*s) for s in segments])
    if delivered_mg is not None:
        segs = reconcile(segs, delivered_mg)
    events = [
        Infusion(start_min + s.start_min, s.end_min - s.start_min, s.amount_mg)
        for s in segs
        if s.rate_mg_per_h > 0
    ]
    if not events:
        raise ScheduleError("the pump delivered nothing: no dose to predict from")
    return validate(events)
