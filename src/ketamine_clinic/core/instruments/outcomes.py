"""Outcome logic over a patient's score time series: change from baseline, response, remission, relapse,
time to response.

Definitions (Frank E et al. Arch Gen Psychiatry 1991;48(9):851-855, doi 10.1001/archpsyc.1991.01810330075011;
Rush AJ et al., ACNP Task
Force, Neuropsychopharmacology 2006;31(9):1841-1853, PMID 16794566):
- baseline: the first score of the series (taken at intake / before the first infusion);
- response: score reduced by >= 50% from baseline (the conventional threshold used by both sources and by the
  NCQA/HEDIS depression response measure);
- remission: score at or below the instrument's published remission cut-off (``Instrument.remission_max``);
- relapse: here operationalised as loss of response after response was reached, i.e. a later score above the
  50%-reduction line (the ACNP report defines relapse as return of the episode after remission; the issue asks
  for loss of response, which is the earlier and more sensitive signal - clinic-defined);
- time to response: time from the baseline measurement to the first responding score.

Arrays in, arrays out: ``times_days`` are days since any fixed origin (float64), ``scores`` are totals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: >= 50% reduction from baseline (Frank et al. 1991; Rush et al. 2006).
RESPONSE_FRACTION = 0.5


def _arr(x) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim != 1:
        raise ValueError("expected a 1-D series")
    return a


def change_from_baseline(scores) -> tuple[np.ndarray, np.ndarray]:
    """(absolute change, percent change) of each score versus the first (negative = improvement).

    Percent change is NaN where the baseline is 0 (no room to improve).
    """
    s = _arr(scores)
    if s.size == 0:
        return s.copy(), s.copy()
    base = s[0]
    delta = s - base
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(base != 0, 100.0 * delta / base, np.nan)
    return delta, pct


def response_mask(scores, *, fraction: float = RESPONSE_FRACTION) -> np.ndarray:
    """True where the score is reduced by at least ``fraction`` of the baseline (index 0 is never a response)."""
    s = _arr(scores)
    if s.size == 0:
        return np.zeros(0, dtype=bool)
    base = s[0]
    mask = (base > 0) & (s <= base * (1.0 - fraction))
    mask[0] = False
    return mask


def remission_mask(scores, remission_max: float | None) -> np.ndarray:
    """True where the score is at or below the instrument's remission cut-off (all False if it has none)."""
    s = _arr(scores)
    if remission_max is None:
        return np.zeros(s.shape, dtype=bool)
    mask = s <= remission_max
    if s.size:
        mask[0] = False  # the baseline itself is not an outcome
    return mask


def first_index(mask) -> int | None:
    idx = np.flatnonzero(np.asarray(mask))
    return int(idx[0]) if idx.size else None


def relapse_index(scores, *, fraction: float = RESPONSE_FRACTION) -> int | None:
    """Index of the first score that loses response after response was reached, else None."""
    resp = response_mask(scores, fraction=fraction)
    first = first_index(resp)
    if first is None:
        return None
    after = ~resp[first + 1 :]
    lost = first_index(after)
    return None if lost is None else first + 1 + lost


def time_to_response_days(times_days, scores, *, fraction: float = RESPONSE_FRACTION) -> float | None:
    """Days from the baseline measurement to the first responding score, or None if never reached."""
    t = _arr(times_days)
    s = _arr(scores)
    if t.shape != s.shape:
        raise ValueError("times and scores must have the same length")
    i = first_index(response_mask(s, fraction=fraction))
    return None if i is None else float(t[i] - t[0])


@dataclass(frozen=True)
class OutcomeStatus:
    """Response/remission/relapse status of one instrument's series, for the chart's at-a-glance line."""

    n: int
    baseline: float | None
    latest: float | None
    change: float | None
    percent_change: float | None
    ever_responded: bool
    responding_now: bool
    remitted_now: bool
    relapsed: bool
    time_to_response_days: float | None
    #: "baseline only", "remission", "response", "relapse", "partial response", "no response", "worse"
    label: str


def outcome_status(times_days, scores, *, remission_max: float | None, fraction: float = RESPONSE_FRACTION):
    """Summarise a series (sorted by time). Vectorised over the whole series with NumPy."""
    t = _arr(times_days)
    s = _arr(scores)
    if t.shape != s.shape:
        raise ValueError("times and scores must have the same length")
    order = np.argsort(t, kind="stable")
    t, s = t[order], s[order]
    if s.size == 0:
        return OutcomeStatus(0, None, None, None, None, False, False, False, False, None, "no data")
    delta, pct = change_from_baseline(s)
    resp = response_mask(s, fraction=fraction)
    rem = remission_mask(s, remission_max)
    ever = bool(resp.any())
    now_resp = bool(resp[-1]) if s.size > 1 else False
    now_rem = bool(rem[-1]) if s.size > 1 else False
    relapse_i = relapse_index(s, fraction=fraction)
    # relapsed = response was lost and has not been regained at the latest score
    relapsed = relapse_i is not None and not now_resp
    if s.size == 1:
        label = "baseline only"
    elif now_rem:
        label = "remission"
    elif now_resp:
        label = "response"
    elif relapsed:
        label = "relapse"
    elif delta[-1] < 0 and pct[-1] <= -25.0:
        # 25-49% reduction shown as "partial response": clinic-defined display label only (no decision uses it).
        label = "partial response"
    elif delta[-1] > 0:
        label = "worse"
    else:
        label = "no response"
    ttr = time_to_response_days(t, s, fraction=fraction)
    pct_last = None if np.isnan(pct[-1]) else float(pct[-1])
    return OutcomeStatus(
        n=int(s.size),
        baseline=float(s[0]),
        latest=float(s[-1]),
        change=float(delta[-1]),
        percent_change=pct_last,
        ever_responded=ever,
        responding_now=now_resp,
        remitted_now=now_rem,
        relapsed=relapsed,
        time_to_response_days=ttr,
        label=label,
    )


def response_threshold(baseline: float, response_fraction: float = RESPONSE_FRACTION) -> float:
    """Highest total that still counts as a response for this baseline (lower totals = fewer symptoms)."""
    return float(baseline) * (1.0 - response_fraction)


def is_response(baseline: float, total: float, response_fraction: float = RESPONSE_FRACTION) -> bool:
    """True when ``total`` is reduced by at least ``response_fraction`` of ``baseline`` (outcomes.response_mask)."""
    return bool(response_mask([baseline, total], fraction=response_fraction)[1])


def as_datetime(when: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(when, dt.datetime):
        return when
    if isinstance(when, dt.date):
        return dt.datetime.combine(when, dt.time.min)
    raise TypeError(f"Expected a date or datetime, got {type(when).__name__}.")


@dataclass(frozen=True)
class Trajectory:
    """One instrument's totals over time for one patient (lower totals = fewer symptoms).

    ``taken_at`` are datetimes (or dates, read as midnight); ``totals`` the matching instrument totals.
    """

    instrument: str
    taken_at: tuple[dt.datetime, ...]
    totals: tuple[float, ...]

    def __post_init__(self):
        if len(self.taken_at) != len(self.totals):
            raise ValueError(
                f"Trajectory needs one total per date: got {len(self.taken_at)} dates and {len(self.totals)} totals."
            )
        if any(not np.isfinite(t) or t < 0 for t in self.totals):
            raise ValueError("Totals must be finite and not negative.")

    @classmethod
    def from_points(
        cls, instrument: str, points: Sequence[tuple[dt.date | dt.datetime, float]]
    ) -> Trajectory:
        """Build from (when, total) pairs in any order."""
        ordered = sorted(((as_datetime(when), float(total)) for when, total in points), key=lambda p: p[0])
        return cls(instrument, tuple(p[0] for p in ordered), tuple(p[1] for p in ordered))
