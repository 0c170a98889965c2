"""Clinical quantities from a solved schedule: Cmax, Tmax, AUC, concentrations at times, time until the
plasma level falls below a threshold (a discharge-readiness *hint*), and a whole protocol with troughs.

All functions work on every patient of a batch at once. Concentrations are ng/mL, times minutes, AUC ng*h/mL.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .schedule import last_input_end, session_starts
from .solver import Solution

MIN_PER_H = 60.0


@dataclass(frozen=True)
class Summary:
    """Per-patient summary over [0, horizon]; arrays of shape (P,). Effect-site fields are None for a set
    without an effect site; metabolite fields are None for a set without a metabolite chain."""

    cmax_ng_per_ml: np.ndarray
    tmax_min: np.ndarray
    ce_max_ng_per_ml: np.ndarray | None
    ce_tmax_min: np.ndarray | None
    auc_ng_h_per_ml: np.ndarray
    metabolite_cmax_ng_per_ml: np.ndarray | None = None
    metabolite_tmax_min: np.ndarray | None = None


def summary(sol: Solution, times_min: np.ndarray, horizon_min: float | None = None) -> Summary:
    """Cmax/Tmax on the given output grid (their resolution is the grid's) and the exact AUC from the first
    dose to ``horizon_min`` (closed-form integral, not a trapezoid)."""
    t = np.asarray(times_min, dtype=float)
    outputs = sol.patients.model.outputs  # plasma, then effect / metabolite where the set has them
    y = sol.evaluate(t, outputs)
    cp = y[:, 0]
    ce = y[:, outputs.index("effect")] if "effect" in outputs else None
    cm = y[:, outputs.index("metabolite")] if "metabolite" in outputs else None
    horizon = float(t.max()) if horizon_min is None else float(horizon_min)
    return Summary(
        cmax_ng_per_ml=cp.max(axis=1),
        tmax_min=t[np.argmax(cp, axis=1)],
        ce_max_ng_per_ml=None if ce is None else ce.max(axis=1),
        ce_tmax_min=None if ce is None else t[np.argmax(ce, axis=1)],
        auc_ng_h_per_ml=auc(sol, horizon),
        metabolite_cmax_ng_per_ml=None if cm is None else cm.max(axis=1),
        metabolite_tmax_min=None if cm is None else t[np.argmax(cm, axis=1)],
    )


def auc(sol: Solution, until_min: float, output: str = "plasma") -> np.ndarray:
    """Exact area under the curve from the first dose to ``until_min``, in ng*h/mL, per patient."""
    return sol.evaluate(np.array([until_min]), (output,), integral=True)[:, 0, 0] / MIN_PER_H


def time_below(
    sol: Solution,
    threshold_ng_per_ml: float,
    horizon_min: float,
    *,
    step_min: float = 1.0,
    output: str = "plasma",
) -> np.ndarray:
    """Minutes from the start of dosing until the concentration is below ``threshold`` for good (within the
    horizon), after the last dose has gone in; NaN if it is still above at the horizon.

    A discharge-readiness HINT only: the decision rests on the clinician's observation of the patient (the
    SPRAVATO label requires at least 2 hours of observation after each dose, whatever the level).
    Found on a grid of ``step_min`` and then refined by bisection on the exact solution (to ~1e-6 min).
    ``output="effect"`` for a set without an effect site is a ModelError (no hint from an effect site it lacks).
    """
    start = last_input_end(sol.events)
    t = np.arange(start, horizon_min + step_min, step_min)
    t = t[t <= horizon_min]
    if t.size == 0:
        t = np.array([float(horizon_min)])
    c = sol.evaluate(t, (output,))[:, 0]
    above = c >= threshold_ng_per_ml
    P = c.shape[0]
    result = np.full(P, np.nan)
    # Last grid index still at/above the threshold; the crossing lies between it and the next point.
    any_above = above.any(axis=1)
    last = np.where(any_above, t.size - 1 - np.argmax(above[:, ::-1], axis=1), -1)
    for p in range(P):
        if last[p] == t.size - 1:
            continue  # still above at the horizon
        if last[p] < 0:
            result[p] = t[0]  # already below when the last dose finished
            continue
        lo, hi = t[last[p]], t[last[p] + 1]
        sub = _Single(sol, p)
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            if sub.value(mid, output) >= threshold_ng_per_ml:
                lo = mid
            else:
                hi = mid
        result[p] = hi
    return result


class _Single:
    """Evaluate one patient of a batch at a scalar time (for root refinement)."""

    def __init__(self, sol: Solution, p: int):
        self.sol, self.p = sol, p

    def value(self, t: float, output: str) -> float:
        return float(self.sol.evaluate(np.array([t]), (output,))[self.p, 0, 0])


@dataclass(frozen=True)
class ProtocolCurve:
    times_min: np.ndarray
    plasma_ng_per_ml: np.ndarray  # (P, T)
    effect_ng_per_ml: np.ndarray | None  # (P, T); None for a set without an effect site
    session_starts_min: np.ndarray  # (D,)
    peaks_ng_per_ml: np.ndarray  # (P, D): highest level during/after each session, before the next
    troughs_ng_per_ml: np.ndarray  # (P, D): level just before each session starts (first is pre-dose 0)


def protocol_curve(sol: Solution, step_min: float = 1.0, tail_min: float = 24 * 60.0) -> ProtocolCurve:
    """The predicted curve over a whole protocol (e.g. six infusions over 2-3 weeks) with the trough before
    each session (exact, evaluated at the session start) and the peak of each session (on the grid)."""
    starts = np.array(session_starts(sol.events))
    # A session is a cluster of doses (e.g. three devices 5 minutes apart): new session after a 6 h gap.
    sess = [starts[0]]
    for s in starts[1:]:
        if s - sess[-1] > 360.0:
            sess.append(s)
    sess = np.array(sess)
    end = last_input_end(sol.events) + tail_min
    t = np.arange(sess[0], end + step_min, step_min)
    has_effect = sol.patients.model.has_effect_site
    y = sol.evaluate(t, ("plasma", "effect") if has_effect else ("plasma",))
    cp, ce = y[:, 0], (y[:, 1] if has_effect else None)
    troughs = sol.evaluate(sess, ("plasma",))[:, 0]
    # Before the first dose the exact value is 0; the modal sum can leave ~1e-14 of rounding either side.
    troughs[np.abs(troughs) < 1e-9 * max(1.0, float(np.abs(cp).max()))] = 0.0
    bounds = np.append(sess, np.inf)
    peaks = np.stack(
        [cp[:, (t >= bounds[i]) & (t < bounds[i + 1])].max(axis=1) for i in range(sess.size)], axis=1
    )
    return ProtocolCurve(t, cp, ce, sess, peaks, troughs)
