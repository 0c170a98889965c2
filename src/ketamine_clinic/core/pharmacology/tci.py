"""Target-controlled infusion (TCI): the piecewise-constant pump rates that bring the predicted plasma or
effect-site concentration to a target as fast as the pump allows and then hold it (pure core, NumPy only).

The pump is updated every ``update_s`` seconds and runs at a constant rate in between. Over one interval of
length h the model's state moves by the engine's closed-form transition (``solver``: the same system matrix
and the same modal solution, z(t + h) = exp(lam h) z(t) + u (exp(lam h) - 1) / lam * W e_c), so any
concentration at a later time is *linear in the rate u of the interval*: c = c_free + u c_unit. That makes
each update an exact one-line solve instead of a search or an integration:

- **Plasma targeting**, the rule of Jacobs JR (1990), the one STANPUMP and most TCI pumps use (the R
  ``tci`` package cites "Jacobs (1990)" for it; the paper, IEEE Trans Biomed Eng 37(1):107-109 as far as
  this module's author recalls, was not re-read). The idea, rate and end-of-interval concentration being
  linearly related, is set out in Jacobs' US patent 5,010,473 (Duke University, 1991; abstract read):
  u = (target - c_free(h)) / c_unit(h), clipped to [0, maximum rate]. The pump runs at its maximum until the target is within one interval's reach, then
  follows the exponentially falling rate that holds it; after a lower target it stays off until the
  concentration has fallen to it.
- **Effect-site targeting**, the peak-effect approach of Shafer SL & Gregg KM (1992), "Algorithms to
  rapidly achieve and maintain stable drug concentrations at the site of drug effect with a
  computer-controlled infusion pump", J Pharmacokinet Biopharm 20(2):147-169 (title as the R ``tci``
  package's documentation cites it; journal, volume and pages not re-read): each interval's rate is the
  largest for which the effect-site concentration, assuming the pump is then switched off, peaks *at* the
  target and never above it. Plasma overshoots (that is what drives the effect site up quickly); the effect
  site does not. With c(tau) = f(tau) + u g(tau) over the future times tau, the condition
  max_tau c(tau) <= target is u <= min over tau of (target - f) / g: one vectorised minimum over a grid of
  future times, then refined to the exact continuous peak by Newton's method on dc/dtau = 0 and on the rate
  (the "find the time of peak, recompute the dose, repeat" iteration of Shafer & Gregg, which converges from
  above, so the effect site never ends above the target by more than the numerical tolerance).
  Once the effect site has come within 1% of the target (its peak), the plan *holds* it: plasma is aimed at
  the target, offset in proportion to the effect site's remaining gap (Ce' = ke0 (Cp - Ce); a fifth of the
  offset that would close the gap in one interval), and the rate is capped by the same peak rule. After a
  lowered target the pump goes off and the same hold rule, capped so that the effect site never rises
  while it is still above the new target, lands it on the target without undershooting. This maintenance
  rule is this module's own choice (the pure peak rule alternates pump-on / pump-off steps in maintenance);
  what is from the literature is the peak rule and the plasma rule.

Known behaviour: after an effect-site target is first touched the pump is off until the next update, and
plasma (falling back from its overshoot) is briefly below the effect site, so the effect site dips under the
target before settling: measured at most 0.5% / 1.8% / 3.5% with 5 / 10 / 15-s updates.

Speed: the rules above are applied update by update only where the rule changes. In between the
rate is an affine function of the state (the hold rule; the pump off; the pump at its maximum), so a run of
updates is one linear recurrence, computed for all its updates at once by squaring the one-update map, and
checked at once on the peak grid: the first update where its rule no longer applies (the rate would leave
[0, max], the peak rule's cap might bind, loading gives way to holding) is done on its own. While loading, once
an update has put the effect-site peak (pump off from then on) on the target, the peak rule gives zero, to
rounding, until that peak: those updates are off. Plasma targeting runs the same way (Jacobs' rule is affine in
the state until it is clipped). The plans are those of the update-by-update planner to
rounding (tests/core/pharmacology/test_tci_reference_plans.py compares them with its saved plans).

Nothing here is integrated numerically; tests/core/pharmacology/test_tci.py re-simulates every plan with an
independent ODE solution.

A prediction from a published population model, to support, never replace, clinical judgement.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import solver
from .models import ModelError, ParameterSet
from .schedule import Infusion

#: Default maximum pump rate, mg/h (a setting-like constant: callers pass their own pump's limit).
#: 1200 mL/h is the maximum flow of the syringe pumps used for TCI (the limit the R ``tci`` package takes
#: as its default, "the maximum infusion rate of 1200 ml/h permitted by existing TCI pumps", and opentiva
#: 1.1.2's ``Pump`` default ``max_infusion_rate=1200`` mL/h); at a 1 mg/mL ketamine dilution in the syringe
#: (an assumption of this default, not a sourced figure) that is 1200 mg/h. Far above any antidepressant
#: infusion rate: the limit only shapes the first seconds of a plan, and the plan says when it binds.
DEFAULT_MAX_RATE_MG_PER_H = 1200.0

#: A target counts as reached when the targeted concentration is within this fraction of it (from below
#: for a rise, from above for a fall). Plasma targeting lands on the target to rounding error; the
#: effect site peaks on it between two updates (and dips by a fraction of a percent just after, while the
#: plasma falls back from its overshoot), so the band covers that.
REACHED_FRACTION = 5e-3

#: Effect-site targeting loads by the peak-effect rule while the effect site is more than this fraction
#: below the target, and holds by the plasma rule (capped by the peak rule) once it has come within it,
#: until the target changes (so the dip after the peak does not start a second load: that would cycle).
LOADING_FRACTION = 0.01

#: Fraction of the one-interval (deadbeat) correction used when holding an effect-site target: the full
#: correction rings (the pump alternates: seen from a third of it on); a fifth brings the effect site back
#: within 1% a minute after the peak without ringing for every set shipped (tests/.../test_tci.py).
HOLD_GAIN = 0.2

#: The effect-site peak search allows the predicted peak to exceed the target by this fraction (rounding:
#: without it a concentration sitting on the target to 1e-16 would switch the pump off for an interval).
_EFFECT_SLACK = 1e-10

#: Once the effect site is within this fraction of the target (settled), the cap of the hold rule allows it this
#: fraction above the target instead of the loading slack. The hold brings the effect site onto the target to
#: about 1e-10, where the loading slack would put the cap on a knife edge: a rounding-level difference in the
#: state decided between the hold rate and an update with the pump off (then one at about twice the rate), a
#: disturbance of up to 0.2% (seen in about 2% of random plans). 1e-7 of the target is far below anything
#: measurable and keeps the cap off that edge; before the effect site has settled the cap is as it was.
_HOLD_SLACK = 1e-7

#: Future times searched for the effect-site peak after an interval: the interval itself and then up to
#: this many effect-site equilibration time constants (1 / ke0) after it (the peak after a pump stop comes
#: when plasma falls to the effect-site level, well within one or two time constants for these models).
_PEAK_HORIZON_KE0 = 12.0
_PEAK_GRID = 240
_WITHIN_UNIT = np.geomspace(1e-3, 1.0, 40)  # times within the interval, as fractions of it
_AFTER_UNIT = np.linspace(0.0, 1.0, _PEAK_GRID - _WITHIN_UNIT.size)  # exponents of the geometric grid after it

_MAX_STEPS = 200_000
SITES = ("plasma", "effect")


class TCIError(ValueError):
    """A target-controlled infusion that cannot be planned (bad input, or a target the pump cannot reach)."""


@dataclass(frozen=True)
class TCIPlan:
    """A TCI plan: the pump's rate steps and what they are predicted to give.

    ``times_min`` is the start of each rate step (the pump holds ``rates_mg_per_h[k]`` from ``times_min[k]``
    until the next step, and stops at ``duration_min``). ``concentration_ng_per_ml`` and
    ``effect_site_ng_per_ml`` are the predicted plasma and effect-site levels on ``grid_min`` (by default
    the step starts, i.e. the level at each pump update); the effect site is None for a set without one.
    ``reached_min[i]`` is when the i-th target is first reached (a multiple of the update interval).
    """

    model_key: str
    weight_kg: float
    site: str
    targets: tuple[tuple[float, float], ...]  # (from minute, ng/mL), the first from 0
    update_min: float
    duration_min: float
    max_rate_mg_per_h: float
    times_min: np.ndarray
    rates_mg_per_h: np.ndarray
    total_mg: float
    grid_min: np.ndarray
    concentration_ng_per_ml: np.ndarray
    effect_site_ng_per_ml: np.ndarray | None
    reached_min: tuple[float, ...]

    def events(self) -> tuple[Infusion, ...]:
        """The plan as a dosing schedule (one infusion per non-zero step) for ``solver.solve``."""
        ends = np.append(self.times_min[1:], self.duration_min)
        return tuple(
            Infusion(float(t0), float(t1 - t0), float(r * (t1 - t0) / 60.0))
            for t0, t1, r in zip(self.times_min, ends, self.rates_mg_per_h, strict=True)
            if r > 0
        )


def _targets(target_ng_per_ml, duration_min: float) -> tuple[tuple[float, float], ...]:
    if isinstance(target_ng_per_ml, (int, float, np.floating, np.integer)):
        steps = [(0.0, float(target_ng_per_ml))]
    else:
        steps = [(float(t), float(c)) for t, c in target_ng_per_ml]
        if not steps:
            raise TCIError("give a target concentration")
    for _, c in steps:
        if not (math.isfinite(c) and c > 0):
            raise TCIError("target concentration must be a positive number of ng/mL")
    if steps[0][0] != 0.0:
        raise TCIError("the first target must start at minute 0")
    times = [t for t, _ in steps]
    if (
        any(not math.isfinite(t) for t in times)
        or any(b <= a for a, b in zip(times, times[1:], strict=False))
        or (times[-1] >= duration_min)
    ):
        raise TCIError(
            "each change of target must come after the one before it and before the end of the infusion"
        )
    return tuple(steps)


class _Transition:
    """The engine's closed-form one-interval transition in modal coordinates, for one patient.

    State z = V^-1 x (x: amounts in the model's compartments, the engine's layout). Over an interval of length
    h at a constant rate u (mg/min) into the central compartment: z' = decay(h) * z + u * gain(h). Plasma and
    effect-site concentrations are the rows ``plasma`` / ``effect`` (ng/mL per modal unit)."""

    def __init__(self, model: ParameterSet, weight_kg: float):
        pats = solver.individualise(model, weight_kg)
        lay = solver.layout_for(model, (Infusion(0.0, 1.0, 1.0),))
        K = solver.system_matrix(pats, lay)
        # A dummy one-segment schedule: only the eigendecomposition of the engine's modal solution is used.
        zero = np.zeros((1, 1, lay.size))
        modal = solver._Modal(K, solver.Inputs(np.array([0.0]), zero, zero))
        if not bool(modal.ok[0]):
            # Never the case for the IV sets shipped (distinct eigenvalues); refuse rather than lose accuracy.
            raise TCIError(
                f"model '{model.key}' cannot be used for TCI at this weight (ill-conditioned system)"
            )
        self.lam = modal.lam[0]
        V, W = modal.V[0], modal.W[0]
        self.w = W[:, lay.central]  # modal image of 1 mg/min into the central compartment
        scale = 1000.0 / float(pats.v1_l[0])  # mg/L -> ng/mL
        self.plasma = scale * V[lay.central]
        self.effect = None if lay.effect is None else scale * V[lay.effect]
        self.ke0 = model.ke0_per_min

    def decay(self, h: float) -> np.ndarray:
        return np.exp(self.lam * h)

    def gain(self, h: float) -> np.ndarray:
        return np.expm1(self.lam * h) / self.lam * self.w


def plan(
    model: ParameterSet,
    weight_kg: float,
    target_ng_per_ml: float | Sequence[tuple[float, float]],
    duration_min: float,
    *,
    site: str = "plasma",
    update_s: float = 10.0,
    max_rate_mg_per_h: float = DEFAULT_MAX_RATE_MG_PER_H,
    grid_min=None,
) -> TCIPlan:
    """Plan a TCI for one patient. ``target_ng_per_ml`` is one target, or a list of (minute, ng/mL) steps
    starting at minute 0 (a change applies from the first pump update at or after its minute).
    ``grid_min``: times (min) at which to report the predicted levels (default: the step starts).
    Raises TCIError with the reason, in the clinic's words."""
    _check_infusion_settings(duration_min, update_s, max_rate_mg_per_h, site, weight_kg)
    targets = _targets(target_ng_per_ml, duration_min)
    if site == "effect" and not model.has_effect_site:
        raise TCIError(
            f"model '{model.key}' has no effect site (its source publishes no ke0 and none is assumed): "
            "target plasma instead"
        )
    h = update_s / 60.0
    steps = math.ceil(duration_min / h - 1e-9)
    if steps > _MAX_STEPS:
        raise TCIError("too many pump updates: lengthen the update interval or shorten the duration")
    try:
        tr = _Transition(model, float(weight_kg))
    except ModelError as exc:
        raise TCIError(str(exc)) from None
    starts, lengths = _pump_updates(duration_min, h, steps)
    first_step, target_of_step = _target_of_each_update(targets, h, steps, update_s)
    umax = max_rate_mg_per_h / 60.0  # mg/min
    rates, cp_ends, ce_ends = _rates_and_levels(tr, site, lengths, target_of_step, umax)
    site_ends = cp_ends if site == "plasma" else ce_ends
    reached = _reached(targets, first_step, starts + lengths, site_ends, site, umax, duration_min)
    rates_h = rates * 60.0
    rates_h[rates == umax] = max_rate_mg_per_h  # exactly the pump's maximum, not (max / 60) * 60
    total = float(np.dot(rates, lengths))
    grid, cp, ce = _predicted_levels(model, weight_kg, tr, grid_min, starts, lengths, rates, cp_ends, ce_ends)
    return TCIPlan(
        model_key=model.key,
        weight_kg=float(weight_kg),
        site=site,
        targets=targets,
        update_min=h,
        duration_min=float(duration_min),
        max_rate_mg_per_h=float(max_rate_mg_per_h),
        times_min=starts,
        rates_mg_per_h=rates_h,
        total_mg=total,
        grid_min=grid,
        concentration_ng_per_ml=cp,
        effect_site_ng_per_ml=ce,
        reached_min=reached,
    )


def _check_infusion_settings(
    duration_min: float, update_s: float, max_rate_mg_per_h: float, site: str, weight_kg: float
) -> None:
    if not (isinstance(duration_min, (int, float)) and math.isfinite(duration_min) and duration_min > 0):
        raise TCIError("duration must be a positive number of minutes")
    if not (isinstance(update_s, (int, float)) and math.isfinite(update_s) and update_s > 0):
        raise TCIError("pump update interval must be a positive number of seconds")
    if not (math.isfinite(max_rate_mg_per_h) and max_rate_mg_per_h > 0):
        raise TCIError("maximum pump rate must be a positive number of mg/h")
    if site not in SITES:
        raise TCIError("site must be 'plasma' or 'effect'")
    if not (math.isfinite(weight_kg) and weight_kg > 0):
        raise TCIError("weight must be a positive number of kg")


def _rates_and_levels(tr: _Transition, site: str, lengths: np.ndarray, target_of_step: np.ndarray, umax: float):
    """Each update's rate (mg/min) by the site's rule, and plasma and effect-site levels at each update's end."""
    if site == "plasma":
        rates, states = _plan_plasma(tr, lengths, target_of_step, umax)
    else:
        rates, states = _plan_effect(tr, lengths, target_of_step, umax)
    cp_ends = states @ tr.plasma  # at the end of each step
    ce_ends = None if tr.effect is None else states @ tr.effect
    return rates, cp_ends, ce_ends


def _pump_updates(duration_min: float, h: float, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and length (min) of each of the ``steps`` pump updates of ``h`` minutes over the infusion."""
    starts = np.arange(steps) * h
    lengths = np.full(steps, h)
    lengths[-1] = duration_min - starts[-1]  # the last step stops at the end of the infusion
    return starts, lengths


def _target_of_each_update(targets, h: float, steps: int, update_s: float) -> tuple[list[int], np.ndarray]:
    """The first update of each target, and each update's target."""
    # Each step's target: a change applies from the first update at or after its minute.
    first_step = [math.ceil(t / h - 1e-9) for t, _ in targets]
    if any(b <= a for a, b in zip(first_step, first_step[1:], strict=False)) or first_step[-1] >= steps:
        raise TCIError(
            f"changes of target must be at least one pump update ({update_s:g} s) apart and before the last update"
        )
    target_of_step = np.empty(steps)
    for i, (k0, (_, c)) in enumerate(zip(first_step, targets, strict=True)):
        k1 = first_step[i + 1] if i + 1 < len(targets) else steps
        target_of_step[k0:k1] = c
    return first_step, target_of_step


def _predicted_levels(model, weight_kg, tr, grid_min, starts, lengths, rates, cp_ends, ce_ends):
    """Predicted plasma and effect-site levels at the step starts, or on ``grid_min`` by solving the plan."""
    if grid_min is None:
        grid = starts
        cp = np.concatenate([[0.0], cp_ends[:-1]])
        ce = None if ce_ends is None else np.concatenate([[0.0], ce_ends[:-1]])
        return grid, cp, ce
    grid = np.asarray(grid_min, dtype=float)
    events = [
        Infusion(float(t), float(L), float(r * L))
        for t, L, r in zip(starts, lengths, rates, strict=True)
        if r > 0
    ]
    outputs = ("plasma", "effect") if tr.effect is not None else ("plasma",)
    if events:
        y = solver.solve(solver.individualise(model, float(weight_kg)), events).evaluate(grid, outputs)[0]
    else:  # pragma: no cover - a positive target always needs some drug
        y = np.zeros((len(outputs), grid.size))
    cp, ce = y[0], (y[1] if tr.effect is not None else None)
    return grid, cp, ce


def _plan_plasma(tr: _Transition, lengths: np.ndarray, target: np.ndarray, umax: float):
    """Jacobs' rule at each update: the rate that puts plasma on the target at the end of the interval.

    The rule's rate is affine in the state (then clipped to [0, max]), so, as for the effect site, a run of updates
    with the same clipping (none, pump off, pump at its maximum) and the same target is computed at once."""
    steps = lengths.shape[0]
    n = tr.lam.shape[0]
    row = tr.plasma
    rates = np.empty(steps)
    states = np.empty((steps, n))
    h = float(lengths[0])
    # As for the effect site: a last update that only rounds the interval uses the same transition.
    runs_until = steps if abs(float(lengths[-1]) - h) <= 1e-12 * h else steps - 1
    change = np.nonzero(np.diff(target))[0] + 1
    segment_end = np.append(change, steps)[np.searchsorted(change, np.arange(steps), side="right")]
    d, g = tr.decay(h), tr.gain(h)
    z = np.zeros(n)
    k = 0
    while k < steps:
        if k >= runs_until:
            d, g = tr.decay(float(lengths[k])), tr.gain(float(lengths[k]))
        inv_unit = 1.0 / float(row @ g)
        c0, c = float(target[k]) * inv_unit, -(d * row) * inv_unit  # u = (target - plasma_free . z) / unit
        count = min(max(min(int(segment_end[k]), runs_until) - k, 1), 1024)
        u0 = c0 + float(c @ z)
        if u0 <= 0.0:
            Z = _affine_run(d, g, 0.0, None, z, count)
            u_all = c0 + Z[:-1] @ c
            valid, u = u_all <= 0.0, np.zeros(count)
        elif u0 >= umax:
            Z = _affine_run(d, g, umax, None, z, count)
            u_all = c0 + Z[:-1] @ c
            valid, u = u_all >= umax, np.full(count, umax)
        else:
            Z = _affine_run(d, g, c0, c, z, count)
            u = c0 + Z[:-1] @ c
            valid = (u > 0.0) & (u < umax)
        done = count if valid.all() else max(int(np.argmin(valid)), 1)
        rates[k : k + done] = u[:done]
        states[k : k + done] = Z[1 : done + 1]
        k += done
        z = states[k - 1]
    return rates, states


def _plan_effect(tr: _Transition, lengths: np.ndarray, target: np.ndarray, umax: float):
    """Shafer & Gregg's peak-effect rule while the effect site is on its way to the target; once it is there,
    Jacobs' plasma rule with the same target (at the effect-site peak plasma and effect site are equal, so
    holding plasma there holds the effect site), never above the peak-effect rate (see the module docstring).
    The pure peak rule alone alternates pump-on / pump-off steps in maintenance: each step's pulse fills the
    allowed peak, so the next step may add nothing.

    Between changes of rule the rate is an affine function of the state (held: the plasma rule; pump off;
    pump at its maximum), so a run of updates under one rule is computed at once (the state after 1, 2, 4, ...
    updates by squaring the one-update map) and checked at once: where the rule still applies (the rate within
    [0, max], the peak rule not binding, still loading or already holding), the run is kept; the first update
    where it does not is done on its own, update by update as before."""
    steps = lengths.shape[0]
    n = tr.lam.shape[0]
    rates = np.empty(steps)
    states = np.empty((steps, n))
    h = float(lengths[0])
    main = _PeakSearch(tr, h)
    last_length = float(lengths[-1])
    # The last update stops at the end of the infusion; when that only rounds the interval (a duration that is a
    # multiple of it), the same transition is used.
    same_last = abs(last_length - h) <= 1e-12 * h
    runs_until = steps if same_last else steps - 1
    # Each update's index of the next change of target (a run never crosses one).
    change = np.nonzero(np.diff(target))[0] + 1
    segment_end = np.append(change, steps)[np.searchsorted(change, np.arange(steps), side="right")]
    z = np.zeros(n)
    held_target = None
    first_hold = False  # the first hold update, where the peak cap usually binds, is done on its own
    peak_ahead = None  # (from update, minutes ahead, target): the effect-site peak a loading update put on it
    k = 0
    while k < steps:
        ps = main if k < runs_until else _PeakSearch(tr, last_length)
        T = float(target[k])
        end = min(int(segment_end[k]), runs_until)
        ce_now = float(tr.effect @ z)
        if T != held_target and ce_now >= T * (1.0 - LOADING_FRACTION):
            held_target = T  # from here on hold, even through the dip after the peak (no second loading)
            first_hold = True
        done = 0
        if T == held_target:
            if not first_hold and k < end:
                done = ps.hold_run(z, T, umax, end - k, rates[k:end], states[k:end])
            if done == 0:
                u = ps.hold_rate(z, T, ce_now, umax)
                z = ps.decay * z + ps.gain * u
                rates[k], states[k] = u, z
                done = 1
            first_hold = False
            peak_ahead = None
        else:
            if k < end:
                ahead = None
                if peak_ahead is not None and peak_ahead[2] == T:
                    ahead = peak_ahead[1] - (k - peak_ahead[0]) * h
                done, mode = ps.loading_run(z, T, umax, end - k, ahead, rates[k:end], states[k:end])
                if mode == "max":
                    peak_ahead = None
            if done == 0:
                u, tau = ps.rate(z, T, umax, with_time=True)
                peak_ahead = (k + 1, tau - h, T) if 0.0 < u < umax and tau is not None else None
                z = ps.decay * z + ps.gain * u
                rates[k], states[k] = u, z
                done = 1
        k += done
        z = states[k - 1]
    return rates, states


class _PeakSearch:
    """Future concentrations after one interval of length h at rate u with the pump off afterwards, on a grid of
    future times tau (effect site: F z + u G; plasma: P z + u PG), and the effect site exactly at any tau."""

    def __init__(self, tr: _Transition, h: float):
        lam, w = tr.lam, tr.w
        self.h = h
        self.decay, self.gain = tr.decay(h), tr.gain(h)
        horizon = h + _PEAK_HORIZON_KE0 / tr.ke0
        # Within the interval h/1000 .. h, then h + h/200 .. horizon, each geometric (as np.geomspace).
        after = h + (h / 200.0) * ((horizon - h) / (h / 200.0)) ** _AFTER_UNIT
        after[-1] = horizon
        tau = np.concatenate([h * _WITHIN_UNIT, after])
        self.tau = tau
        n_within = _WITHIN_UNIT.size
        lt = tau[:, None] * lam  # (J, n)
        e = np.exp(lt)  # from the current state with the pump off
        unit = np.empty_like(e)  # 1 mg/min during the interval only
        unit[:n_within] = np.expm1(lt[:n_within]) * (w / lam)
        unit[n_within:] = np.exp(lt[n_within:] - h * lam) * self.gain
        self.F, self.G = e * tr.effect, unit @ tr.effect
        self.P, self.PG = e * tr.plasma, unit @ tr.plasma
        self.positive = np.nonzero(self.G > 0)[0]
        self.F_pos, self.inv_G_pos = self.F[self.positive], 1.0 / self.G[self.positive]
        self.plasma_free = self.decay * tr.plasma  # plasma at the end of the interval: free . z + u unit
        self.plasma_unit = float(self.gain @ tr.plasma)
        left = math.exp(-tr.ke0 * h)
        self.effect_gain = left / (1.0 - left)  # plasma excess that would close the effect-site gap in one interval
        # Plain floats for the refinement of one update (a handful of modes).
        self._lam = lam.tolist()
        self._ce = tr.effect.tolist()
        self._wl = (w / lam).tolist()
        self._decay = self.decay.tolist()
        self._gain = self.gain.tolist()
        # For runs of updates (arrays over updates x grid times).
        self.lam, self.lam2, self.effect = lam, lam * lam, tr.effect
        self.FG_T = np.vstack([self.F.T, self.G])  # [z, u] -> the effect site on the grid
        self.F_pos_T = self.F_pos.T.copy()
        self.FG_pos_T = np.vstack([self.F_pos_T, self.G[self.positive]])
        self.ce_wl = tr.effect * (w / lam)
        self.ce_wl_sum = float(np.sum(self.ce_wl))
        self.ce_decay, self.ce_gain = tr.effect * self.decay, self.gain * tr.effect

    def hold_law(self, target: float) -> tuple[float, np.ndarray]:
        """The hold rule's rate before clipping, as c0 + c . z: plasma at the interval's end on the target offset by
        a fifth of the effect site's gap (see _plan_effect)."""
        k = HOLD_GAIN * self.effect_gain
        return target * (1.0 + k) / self.plasma_unit, -(self.plasma_free + k * self.effect) / self.plasma_unit

    def hold_rate(self, z: np.ndarray, target: float, ce_now: float, umax: float) -> float:
        """One update of the hold rule, capped by the peak rule."""
        settled = abs(ce_now - target) <= _HOLD_SLACK * target
        limit = target * (1.0 + (_HOLD_SLACK if settled else _EFFECT_SLACK))
        # Plasma aimed off the target in proportion to the effect site's gap (above it while the effect site is
        # below, below it while the effect site comes down after a lowered target), so that the effect site
        # closes the gap within a minute or so without overshooting it either way.
        aim = target + HOLD_GAIN * self.effect_gain * (target - ce_now)
        u = (aim - float(self.plasma_free @ z)) / self.plasma_unit
        u = 0.0 if u < 0.0 else (umax if u > umax else u)
        # Cap by the peak rule: the effect site must not rise above the target (nor, while it is still above a
        # lowered target, above where it is now). It is a running average of plasma, so if plasma stays below
        # that level from here on (pump off after this interval), no search is needed.
        cap = max(limit, ce_now)
        if float(np.max(self.P @ z + u * self.PG)) > cap:
            u = min(u, self.rate(z, cap / (1.0 + _EFFECT_SLACK), umax))
        return u

    def hold_run(self, z, target: float, umax: float, count: int, rates_out, states_out) -> int:
        """Hold updates from state z while the hold rule needs no clipping to the pump's maximum and the peak
        rule does not bind (or while it asks for a negative rate: the pump is off). Writes the rates and the
        states at each update's end; returns how many updates it did (0: do the next one on its own)."""
        count = min(count, 256)  # bounded memory: the check is updates x grid times
        c0, c = self.hold_law(target)
        u0 = c0 + float(c @ z)
        if 0.0 <= u0 <= umax:
            Z = _affine_run(self.decay, self.gain, c0, c, z, count)
            starts = Z[:-1]
            u = c0 + starts @ c
            valid = (u >= 0.0) & (u <= umax)
            valid &= self._peak_not_binding(starts, u, target)
        elif u0 < 0.0:
            Z = _affine_run(self.decay, self.gain, 0.0, None, z, count)
            starts = Z[:-1]
            valid = c0 + starts @ c <= 0.0  # the rule asks for less than nothing: off (the cap cannot bind)
            u = np.zeros(count)
        else:
            return 0
        done = count if valid.all() else int(np.argmin(valid))
        rates_out[:done] = u[:done]
        states_out[:done] = Z[1 : done + 1]
        return done

    def loading_run(self, z, target: float, umax: float, count: int, peak_ahead, rates_out, states_out):
        """Loading updates from state z while the peak rule gives the pump's maximum, or nothing: its grid
        search finds no room (as in ``rate``), or an earlier update has already put the effect-site peak, with
        the pump off from then on, on this target and that peak is still ahead (``peak_ahead`` minutes: the
        rule then gives zero to rounding). Returns (updates done, 'max' or 'off')."""
        count = min(count, 64)
        limit = target * (1.0 + _EFFECT_SLACK)
        first = float(np.min((limit - self.F_pos @ z) * self.inv_G_pos))
        ahead_ok = peak_ahead is not None and peak_ahead >= self.h / 100.0
        if first >= umax:
            mode, rate = "max", umax
        elif first <= 0.0 or ahead_ok:
            mode, rate = "off", 0.0
        else:
            return 0, None
        Z = _affine_run(self.decay, self.gain, rate, None, z, count)
        starts = Z[:-1]
        valid = starts @ self.effect < target * (1.0 - LOADING_FRACTION)  # still loading
        if mode == "max":
            # The grid's smallest ratio (limit - F z) / G is at least umax: F z + umax G <= limit everywhere.
            valid &= np.max(np.column_stack([starts, np.full(count, umax)]) @ self.FG_pos_T, axis=1) <= limit
        else:
            room = np.max(starts @ self.F_pos_T, axis=1) >= limit  # some ratio <= 0
            if peak_ahead is not None:
                room |= peak_ahead - np.arange(count) * self.h >= self.h / 100.0
            valid &= room
        done = count if valid.all() else int(np.argmin(valid))
        rates_out[:done] = rate
        states_out[:done] = Z[1 : done + 1]
        return done, mode

    def _peak_not_binding(self, starts, u, target: float) -> np.ndarray:
        """For updates from the given states at rates u: True where the peak-rule cap of the hold rule certainly
        leaves u as it is, i.e. where the effect site's continuous peak (the grid's highest point, then Newton on
        its time) stays below the cap by more than rounding. False where it binds or may bind: that update is
        then done on its own by ``hold_rate`` (which also tries plasma first, so nothing is lost)."""
        ce_now = starts @ self.effect
        settled = np.abs(ce_now - target) <= _HOLD_SLACK * target
        cap = np.maximum(target * (1.0 + np.where(settled, _HOLD_SLACK, _EFFECT_SLACK)), ce_now)
        j = np.argmax(np.column_stack([starts, u]) @ self.FG_T, axis=1)
        tau = self.tau
        lo = tau[np.maximum(j - 1, 0)]  # within the grid's range, as in ``rate``
        hi = tau[np.minimum(j + 1, tau.size - 1)]
        # Ce(tau) = sum_i K_i exp(lam_i (tau - offset)) + B, within the interval and after it.
        k_in = starts * self.effect + u[:, None] * self.ce_wl
        k_after = starts * self.ce_decay + u[:, None] * self.ce_gain
        lam, lam2, h = self.lam, self.lam2, self.h
        t = tau[j]
        width = hi - lo
        below = cap * (1.0 - 1e-12)  # by more than rounding
        grid_peak = None
        for i in range(8):
            inside = t <= h
            e = np.where(inside[:, None], k_in, k_after) * np.exp(np.where(inside, t, t - h)[:, None] * lam)
            value = e.sum(axis=1) + np.where(inside, -u * self.ce_wl_sum, 0.0)
            d1, d2 = e @ lam, e @ lam2
            if i == 0:
                grid_peak = value
            # An upper bound of Ce over the bracket: its value where Newton has got to plus what a first and second
            # derivative this size could add (nothing once Newton has converged onto a maximum).
            concave = d2 < 0.0
            step = np.where(concave, d1 / np.where(concave, d2, -1.0), 0.0)
            converged = concave & (np.abs(step) <= 1e-9 * width)
            bound = np.where(converged, value, value + np.abs(d1) * width + 0.5 * np.abs(d2) * width**2)
            ok = np.maximum(bound, grid_peak) <= below
            if ok.all() or i == 7:
                return ok
            t = np.clip(t - step, lo, hi)
        return ok  # pragma: no cover

    def _at(self, z, u: float, tau: float):
        """(free part, unit part, first and second tau-derivative of the total) of Ce at tau."""
        free = unit = d1 = d2 = 0.0
        exp = math.exp
        if tau <= self.h:
            for lam, ce, wl, x in zip(self._lam, self._ce, self._wl, z, strict=True):
                e = exp(lam * tau)
                free += ce * e * x
                unit += ce * math.expm1(lam * tau) * wl
                s = ce * e * (x + u * wl) * lam
                d1 += s
                d2 += s * lam
        else:
            t = tau - self.h
            for lam, ce, dk, gk, x in zip(self._lam, self._ce, self._decay, self._gain, z, strict=True):
                e = ce * exp(lam * t)
                free += e * dk * x
                unit += e * gk
                s = e * (dk * x + u * gk) * lam
                d1 += s
                d2 += s * lam
        return free, unit, d1, d2

    def rate(self, z: np.ndarray, target: float, umax: float, *, with_time: bool = False):
        """The largest rate in [0, umax] whose effect-site peak (pump off after the interval) is the target;
        ``with_time``: also the time of that peak after the interval's start (None when the rate is 0 or umax
        without a search)."""
        limit = target * (1.0 + _EFFECT_SLACK)
        pos = self.positive
        ratios = (limit - self.F_pos @ z) * self.inv_G_pos
        j = int(np.argmin(ratios))
        u = float(ratios[j])
        if u >= umax:
            return (umax, None) if with_time else umax
        if u <= 0.0:
            return (0.0, None) if with_time else 0.0
        # Refine to the continuous peak: Newton on dCe/dtau = 0 near the grid's binding time, then the rate that
        # puts that peak on the target; repeat. The rate iteration is Newton's on a convex function from
        # above, so it decreases monotonically onto the exact rate.
        idx = int(pos[j])
        lo = 0.0 if idx == 0 else float(self.tau[idx - 1])
        hi = float(self.tau[min(idx + 1, self.tau.size - 1)])
        tau = float(self.tau[idx])
        zl = z.tolist()
        for _ in range(10):
            for _ in range(8):
                _, _, d1, d2 = self._at(zl, u, tau)
                if d2 >= 0.0:
                    break  # not near a smooth maximum (the peak is at the grid's edge): keep this time
                step = d1 / d2
                tau = min(max(tau - step, lo), hi)
                if abs(step) < 1e-13 * max(tau, 1.0):
                    break
            free, unit, _, _ = self._at(zl, u, tau)
            new = (limit - free) / unit
            if new >= u or u - new <= 1e-14 * u:
                u = min(u, new)
                break
            u = new
        u = min(max(u, 0.0), umax)
        return (u, tau) if with_time else u


def _affine_run(decay, gain, c0: float, c, z0, count: int) -> np.ndarray:
    """States at the start of updates 0..count under z' = decay * z + gain * u with u = c0 + c . z (c None:
    constant u = c0): the states after 1, 2, 4, ... updates by squaring the one-update map (log2(count)
    matrix products instead of count steps)."""
    M = np.diag(decay) if c is None else np.diag(decay) + np.outer(gain, c)
    b = gain * c0
    Z = z0[None, :]
    while Z.shape[0] <= count:
        Z = np.concatenate([Z, Z @ M.T + b])
        b = M @ b + b
        M = M @ M
    return Z[: count + 1]


def _reached(targets, first_step, ends, c_ends, site, umax, duration_min):
    """When each target is first reached (end of a step), or TCIError if it is not before the next change."""
    out = []
    steps = ends.shape[0]
    for i, (k0, (_, c)) in enumerate(zip(first_step, targets, strict=True)):
        k1 = first_step[i + 1] if i + 1 < len(targets) else steps
        before = 0.0 if k0 == 0 else float(c_ends[k0 - 1])
        rising = before < c
        seg = c_ends[k0:k1]
        ok = seg >= c * (1.0 - REACHED_FRACTION) if rising else seg <= c * (1.0 + REACHED_FRACTION)
        hit = np.nonzero(ok)[0]
        if hit.size == 0:
            until = (
                f"the change at minute {targets[i + 1][0]:g}"
                if i + 1 < len(targets)
                else (f"the end at minute {duration_min:g}")
            )
            where = "effect-site" if site == "effect" else "plasma"
            if rising:
                raise TCIError(
                    f"the {where} target of {c:g} ng/mL cannot be reached before {until} with the pump's "
                    f"maximum of {umax * 60.0:g} mg/h: raise the maximum rate, allow longer or lower the target"
                )
            raise TCIError(
                f"the {where} concentration cannot fall to {c:g} ng/mL before {until}, even with the pump "
                "off: allow longer before the change"
            )
        out.append(float(ends[k0 + int(hit[0])]))
    return tuple(out)
