"""One prediction as a JSON-ready dict: used by the CLI (`ketamine-clinic simulate`) and the prediction API,
so both report the same quantities with the same names and units."""

from __future__ import annotations

import numpy as np

from . import metrics, population, schedule, solver
from .models import ParameterSet

NOTE = (
    "Model prediction from a published population model to support clinical judgement; not a measured level."
)


def event_json(ev) -> dict:
    """A dose event as {kind, start_min, duration_min, amount_mg} (kind: infusion, bolus or the route)."""
    if isinstance(ev, schedule.Infusion):
        return {
            "kind": "infusion",
            "start_min": ev.start_min,
            "duration_min": ev.duration_min,
            "amount_mg": float(ev.amount_mg),
        }
    kind = "bolus" if isinstance(ev, schedule.Bolus) else ev.route
    return {"kind": kind, "start_min": ev.time_min, "duration_min": 0.0, "amount_mg": float(ev.amount_mg)}


def output_times(horizon_min: float, step_min: float) -> np.ndarray:
    times = np.arange(0.0, horizon_min + 0.5 * step_min, step_min)
    return times[times <= horizon_min + 1e-9]


def prediction(
    model: ParameterSet,
    weight_kg: float,
    events,
    *,
    horizon_min: float,
    step_min: float,
    route: str,
    age_years=None,
    threshold_ng_per_ml: float | None = None,
    population_size: int = 0,
    seed: int | None = None,
    protocol: bool = False,
) -> dict:
    """Typical-patient curve (plasma and effect site, ng/mL) with Cmax/Tmax/AUC; optionally the time the
    plasma level falls below a threshold (a hint), 5/50/95th percentile bands of a virtual population, and
    (protocol=True) the trough before and the peak of each session of a repeated schedule.

    A set without an effect site (no published ke0) has no effect_site_* keys; a set with a metabolite chain
    adds metabolite_name, metabolite_ng_per_ml, metabolite_cmax_ng_per_ml and metabolite_tmax_min."""
    times = output_times(horizon_min, step_min)
    sol = solver.solve(solver.individualise(model, weight_kg, age_years), events)
    outputs = model.outputs
    y = sol.evaluate(times, outputs)[0]
    cp = y[0]
    s = metrics.summary(sol, times, horizon_min)
    total = float(schedule.total_mg(events))
    out = {
        "model": model.key,
        "model_name": model.name,
        "drug": model.drug,
        "citation": model.citation.short(),
        "route": route,
        "bioavailability": 1.0 if route == "iv" else model.absorption(route).bioavailability,
        "weight_kg": float(weight_kg),
        "dose_mg": round(total, 6),
        "doses": [event_json(ev) for ev in events],
        "horizon_min": float(horizon_min),
        "cmax_ng_per_ml": float(s.cmax_ng_per_ml[0]),
        "tmax_min": float(s.tmax_min[0]),
        "auc_ng_h_per_ml": float(s.auc_ng_h_per_ml[0]),
        "times_min": times.tolist(),
        "concentration_ng_per_ml": cp.tolist(),
        "note": NOTE,
    }
    if model.has_effect_site:
        out.update(_effect_site(s, y, outputs))
    if model.metabolite is not None:
        out.update(_metabolite(model, s, y, outputs))
    if protocol:
        out["sessions"] = _sessions(sol, events, horizon_min=horizon_min, step_min=step_min)
    if threshold_ng_per_ml:
        out.update(_time_below_threshold(sol, threshold_ng_per_ml, horizon_min))
    if population_size:
        out["population"] = _population_bands(
            model, weight_kg, events, times, horizon_min, population_size, seed, age_years
        )
    return out


def _effect_site(s, y, outputs) -> dict:
    return {
        "effect_site_cmax_ng_per_ml": float(s.ce_max_ng_per_ml[0]),
        "effect_site_tmax_min": float(s.ce_tmax_min[0]),
        "effect_site_ng_per_ml": y[outputs.index("effect")].tolist(),
    }


def _metabolite(model: ParameterSet, s, y, outputs) -> dict:
    return {
        "metabolite_name": model.metabolite.name,
        "metabolite_cmax_ng_per_ml": float(s.metabolite_cmax_ng_per_ml[0]),
        "metabolite_tmax_min": float(s.metabolite_tmax_min[0]),
        "metabolite_ng_per_ml": y[outputs.index("metabolite")].tolist(),
    }


def _sessions(sol, events, *, horizon_min: float, step_min: float) -> list[dict]:
    """The trough before and the peak of each session of a repeated schedule."""
    curve = metrics.protocol_curve(
        sol, step_min=step_min, tail_min=max(0.0, horizon_min - schedule.last_input_end(events))
    )
    return [
        {"start_min": float(t0), "trough_ng_per_ml": float(tr), "peak_ng_per_ml": float(pk)}
        for t0, tr, pk in zip(
            curve.session_starts_min, curve.troughs_ng_per_ml[0], curve.peaks_ng_per_ml[0], strict=True
        )
    ]


def _time_below_threshold(sol, threshold_ng_per_ml: float, horizon_min: float) -> dict:
    """When plasma falls below the threshold: a hint only."""
    tb = metrics.time_below(sol, threshold_ng_per_ml, horizon_min)[0]
    return {
        "threshold_ng_per_ml": float(threshold_ng_per_ml),
        "time_below_threshold_min": None if np.isnan(tb) else float(tb),
        "time_below_threshold_is_hint": True,
    }


def _population_bands(model, weight_kg, events, times, horizon_min, population_size, seed, age_years) -> dict:
    """5/50/95th percentile bands of a virtual population."""
    pats = population.sample(model, population_size, weight_kg, seed=seed, age_years=age_years)
    psol = solver.solve(pats, events)
    pcp = psol.evaluate(times, ("plasma",))[:, 0]
    ps = metrics.summary(psol, times, horizon_min)
    return {
        "n": population_size,
        "seed": seed,
        "variability_source": model.variability.source if model.variability else "none",
        "concentration_ng_per_ml": {k: v.tolist() for k, v in population.bands(pcp).items()},
        "cmax_ng_per_ml": {k: float(v) for k, v in population.bands(ps.cmax_ng_per_ml).items()},
        "auc_ng_h_per_ml": {k: float(v) for k, v in population.bands(ps.auc_ng_h_per_ml).items()},
    }
