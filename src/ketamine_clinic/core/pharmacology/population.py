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
    the source publishes none the set says "clinic-assumed"). Same seed, same patients.

    A set with a metabolite chain also draws eta for the metabolite's clearance and volume (two more rows,
    drawn after the parent's six, so sets without a metabolite draw exactly as before), with the published
    correlation between eta_CL and eta_CLm: eta_CLm = omega_m (r z_CL + sqrt(1 - r^2) z_m)."""
    if n < 1:
        raise ValueError("population size must be at least 1")
    w = np.broadcast_to(np.asarray(weight_kg, dtype=float), (n,)).copy()
    model.check_patient(w, age_years)
    gen = rng if rng is not None else np.random.default_rng(seed)
    iiv = model.variability
    omegas = np.zeros(6) if iiv is None else np.array([iiv.cl, iiv.v1, iiv.q2, iiv.v2, iiv.q3, iiv.v3])
    z = gen.standard_normal((6, n))
    eta = z * omegas[:, None]
    if model.metabolite is not None:
        zm = gen.standard_normal((2, n))
        om_cl, om_v, r = (0.0, 0.0, 0.0) if iiv is None else (
            iiv.metabolite_cl,
            iiv.metabolite_v,
            iiv.cl_metabolite_cl_correlation,
        )
        if not -1.0 <= r <= 1.0:
            raise ValueError("correlation between CL and metabolite CL must be between -1 and 1")
        eta_m = np.stack([om_cl * (r * z[0] + np.sqrt(1.0 - r * r) * zm[0]), om_v * zm[1]])
        eta = np.concatenate([eta, eta_m])
    return scale(model, w, np.exp(eta))


def bands(values: np.ndarray, percentiles=BAND_PERCENTILES) -> dict[str, np.ndarray]:
    """Percentile bands across patients (axis 0): {"p5": ..., "p50": ..., "p95": ...}."""
    q = np.percentile(values, percentiles, axis=0)
    return {f"p{p:g}": q[i] for i, p in enumerate(percentiles)}
