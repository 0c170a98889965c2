"""Inter-individual variability: log-normal virtual patients, reproducible from a seed, and percentile bands."""

from __future__ import annotations

import numpy as np

from .models import ParameterSet
from .solver import Patients, scale

#: Percentiles of the prediction band shown to clinicians (5th, median, 95th).
BAND_PERCENTILES = (5.0, 50.0, 95.0)


def sample(
    model: ParameterSet,
    n: int,
    weight_kg,
    *,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
    age_years=None,
) -> Patients:
    """``n`` virtual patients: typical values at ``weight_kg`` (scalar or array of n) times exp(eta), with
    eta ~ Normal(0, omega) independently for CL, V1, Q2, V2, Q3, V3 (omegas from ``model.variability``; where
    the source publishes none the set says "clinic-assumed"). Same seed, same patients."""
    if n < 1:
        raise ValueError("population size must be at least 1")
    w = np.broadcast_to(np.asarray(weight_kg, dtype=float), (n,)).copy()
    model.check_patient(w, age_years)
    gen = rng if rng is not None else np.random.default_rng(seed)
    iiv = model.variability
    omegas = np.zeros(6) if iiv is None else np.array([iiv.cl, iiv.v1, iiv.q2, iiv.v2, iiv.q3, iiv.v3])
    eta = gen.standard_normal((6, n)) * omegas[:, None]
    return scale(model, w, np.exp(eta))


def bands(values: np.ndarray, percentiles=BAND_PERCENTILES) -> dict[str, np.ndarray]:
    """Percentile bands across patients (axis 0): {"p5": ..., "p50": ..., "p95": ...}."""
    q = np.percentile(values, percentiles, axis=0)
    return {f"p{p:g}": q[i] for i, p in enumerate(percentiles)}
