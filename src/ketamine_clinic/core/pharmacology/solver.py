"""Exact solution of the linear PK/PD system for any schedule, vectorised over patients and output times.

The model is dx/dt = K x + u(t) with x = amounts (mg) in [depots..., central, peripherals..., metabolite?,
effect]. The effect "compartment" holds V1 * Ce (a massless virtual amount, dAe/dt = ke0 (A1 - Ae)), so that
Ce = Ae / V1. u(t) is piecewise constant (infusion rates) and doses are jumps (boluses, depot doses).

Between breakpoints the solution is exact in modal coordinates z = V^-1 x (K = V diag(lam) V^-1, one
eigendecomposition per patient, batched with ``np.linalg.eig`` on stacked matrices):
    z(t) = exp(lam tau) (z_s + w_s / lam) - w_s / lam,    w_s = V^-1 u_s,   tau = t - t_s,
so any output that is a linear function of x is a sum of exponentials evaluated directly at the requested
times. No step-by-step integration happens anywhere. Areas under curves are integrated in closed form too.

A patient whose eigenvectors are ill-conditioned (two rate constants almost equal, e.g. ka ~ an eigenvalue of
the disposition) is solved instead with the matrix exponential of the augmented system (scipy.linalg.expm),
which is also exact; that path is slower and only taken when needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .models import ModelError, ParameterSet
from .schedule import Bolus, Extravascular, Infusion, validate

#: Above this condition number of the eigenvector matrix the modal path could lose more than ~1e-8
#: relative accuracy, so the patient is solved by matrix exponential instead.
_MAX_EIGVEC_CONDITION = 1e7

#: Elements per temporary array while evaluating outputs (bounds memory for 10,000-patient runs). Patients
#: are processed in blocks so that each block still gets long runs of output times (the evenly-spaced-grid
#: exponential shortcut in ``_exp_grid`` needs at least 64 consecutive times to pay off).
_CHUNK_ELEMENTS = 8_000_000
_MIN_TIMES_PER_CHUNK = 512


@dataclass(frozen=True)
class Patients:
    """Individual (per-patient) parameters of one parameter set, as arrays of shape (P,).

    Built by ``individualise`` (typical values at each weight) or ``population.sample`` (with IIV).
    """

    model: ParameterSet
    weight_kg: np.ndarray
    v1_l: np.ndarray
    cl_l_per_min: np.ndarray
    v2_l: np.ndarray
    q2_l_per_min: np.ndarray
    v3_l: np.ndarray
    q3_l_per_min: np.ndarray
    ke0_per_min: np.ndarray
    metabolite_v_l: np.ndarray | None = None
    metabolite_cl_l_per_min: np.ndarray | None = None

    @property
    def count(self) -> int:
        return int(self.v1_l.shape[0])

    def micro(self) -> dict[str, np.ndarray]:
        """Micro rate constants (1/min) of the disposition model."""
        z = np.zeros_like(self.v1_l)
        n = self.model.compartments
        return {
            "k10": self.cl_l_per_min / self.v1_l,
            "k12": self.q2_l_per_min / self.v1_l if n >= 2 else z,
            "k21": self.q2_l_per_min / self.v2_l if n >= 2 else z,
            "k13": self.q3_l_per_min / self.v1_l if n >= 3 else z,
            "k31": self.q3_l_per_min / self.v3_l if n >= 3 else z,
        }


def individualise(model: ParameterSet, weight_kg, age_years=None) -> Patients:
    """Typical-value parameters for each weight (scalar or array), after checking the model's valid range."""
    w = np.atleast_1d(np.asarray(weight_kg, dtype=float))
    model.check_patient(w, age_years)
    return scale(model, w, np.ones((6, w.shape[0])))


def scale(model: ParameterSet, w: np.ndarray, factors: np.ndarray) -> Patients:
    """Scale typical values to weights ``w`` and multiply by per-patient ``factors`` rows
    (cl, v1, q2, v2, q3, v3)."""
    rw = w / model.reference_weight_kg
    fv = rw**model.volume_exponent
    fc = rw**model.clearance_exponent
    met = model.metabolite
    return Patients(
        model=model,
        weight_kg=w,
        cl_l_per_min=model.cl_l_per_min * fc * factors[0],
        v1_l=model.v1_l * fv * factors[1],
        q2_l_per_min=model.q2_l_per_min * fc * factors[2],
        v2_l=model.v2_l * fv * factors[3] if model.compartments >= 2 else np.ones_like(w),
        q3_l_per_min=model.q3_l_per_min * fc * factors[4],
        v3_l=model.v3_l * fv * factors[5] if model.compartments >= 3 else np.ones_like(w),
        ke0_per_min=np.full_like(w, model.ke0_per_min),
        metabolite_v_l=None if met is None else met.volume_l * fv,
        metabolite_cl_l_per_min=None if met is None else met.clearance_l_per_min * fc,
    )


@dataclass(frozen=True)
class Layout:
    """Where each quantity lives in the state vector."""

    routes: tuple[str, ...]  # one depot per absorbing route used by the schedule, in this order
    central: int
    peripherals: tuple[int, ...]
    metabolite: int | None
    effect: int
    size: int


def layout_for(model: ParameterSet, events) -> Layout:
    routes = tuple(sorted({ev.route for ev in events if isinstance(ev, Extravascular)}))
    for r in routes:
        model.check_route(r)
    if any(isinstance(ev, (Bolus, Infusion)) for ev in events):
        model.check_route("iv")
    i = len(routes)
    central = i
    peripherals = tuple(range(i + 1, i + model.compartments))
    i += model.compartments
    metabolite = None
    if model.metabolite is not None:
        metabolite = i
        i += 1
    return Layout(routes, central, peripherals, metabolite, i, i + 1)


def system_matrix(pats: Patients, lay: Layout) -> np.ndarray:
    """K with dx/dt = K x, shape (P, n, n). Built from the model's micro constants."""
    model = pats.model
    P, n = pats.count, lay.size
    K = np.zeros((P, n, n))
    m = pats.micro()
    c = lay.central
    K[:, c, c] = -(m["k10"] + m["k12"] + m["k13"])
    for j, (kout, kin) in zip(lay.peripherals, (("k12", "k21"), ("k13", "k31")), strict=False):
        K[:, j, c] = m[kout]
        K[:, c, j] = m[kin]
        K[:, j, j] = -m[kin]
    for d, route in enumerate(lay.routes):
        ka = model.absorption(route).ka_per_min
        K[:, d, d] = -ka
        K[:, c, d] = ka
    if lay.metabolite is not None:
        met = model.metabolite
        K[:, lay.metabolite, c] = met.fraction_formed * m["k10"] * met.mass_ratio
        K[:, lay.metabolite, lay.metabolite] = -pats.metabolite_cl_l_per_min / pats.metabolite_v_l
    K[:, lay.effect, c] = pats.ke0_per_min
    K[:, lay.effect, lay.effect] = -pats.ke0_per_min
    return K


@dataclass(frozen=True)
class Inputs:
    """The schedule as breakpoints: jumps at each breakpoint and constant rates in each segment."""

    breaks: np.ndarray  # (S,) ascending, minutes
    jumps: np.ndarray  # (P, S, n) mg added at each breakpoint
    rates: np.ndarray  # (P, S, n) mg/min from breaks[s] to breaks[s+1] (last segment open-ended)


def inputs_for(pats: Patients, lay: Layout, events) -> Inputs:
    model, P, n = pats.model, pats.count, lay.size
    times: set[float] = set()
    for ev in events:
        if isinstance(ev, Infusion):
            times.update((float(ev.start_min), float(ev.end_min)))
        elif isinstance(ev, Bolus):
            times.add(float(ev.time_min))
        else:
            times.add(float(ev.time_min) + model.absorption(ev.route).lag_min)
    breaks = np.array(sorted(times))
    S = breaks.shape[0]
    jumps = np.zeros((P, S, n))
    rate_changes = np.zeros((P, S, n))
    index = {t: i for i, t in enumerate(breaks.tolist())}
    for ev in events:
        amount = np.broadcast_to(np.asarray(ev.amount_mg, dtype=float), (P,))
        if isinstance(ev, Infusion):
            r = amount / ev.duration_min
            rate_changes[:, index[float(ev.start_min)], lay.central] += r
            rate_changes[:, index[float(ev.end_min)], lay.central] -= r
        elif isinstance(ev, Bolus):
            jumps[:, index[float(ev.time_min)], lay.central] += amount
        else:
            ab = model.absorption(ev.route)
            jumps[:, index[float(ev.time_min) + ab.lag_min], lay.routes.index(ev.route)] += (
                ab.bioavailability * amount
            )
    rates = np.cumsum(rate_changes, axis=1)
    rates[np.abs(rates) < 1e-12 * (np.abs(rate_changes).max() + 1e-300)] = (
        0.0  # exact zero after infusions end
    )
    return Inputs(breaks, jumps, rates)


class _Modal:
    """Per-patient eigendecomposition and the modal state at the start of every segment."""

    def __init__(self, K: np.ndarray, inp: Inputs):
        lam, V = np.linalg.eig(K)
        if np.iscomplexobj(lam):
            if np.max(np.abs(lam.imag)) > 1e-9 * np.max(np.abs(lam.real)):
                raise ModelError("PK system has complex eigenvalues (not a valid mammillary model)")
            lam, V = lam.real, V.real
        W = np.linalg.inv(V)
        cond = np.linalg.norm(V, axis=(1, 2)) * np.linalg.norm(W, axis=(1, 2))
        self.ok = cond < _MAX_EIGVEC_CONDITION
        self.lam, self.V, self.W = lam, V, W
        P, S, n = inp.jumps.shape
        w = np.einsum("pij,psj->psi", W, inp.rates)  # modal input rates (P, S, n)
        dj = np.einsum("pij,psj->psi", W, inp.jumps)
        b = w / lam[:, None, :]
        a = np.empty_like(b)
        z = np.zeros((P, n))
        lengths = np.diff(inp.breaks)
        for s in range(S):
            z = z + dj[:, s]
            a[:, s] = z + b[:, s]
            if s + 1 < S:
                z = a[:, s] * np.exp(lam * lengths[s]) - b[:, s]
        self.a, self.b = a, b


def _output_rows(pats: Patients, lay: Layout, outputs: tuple[str, ...]) -> np.ndarray:
    """Linear functionals of the state giving each output (P, r, n); concentrations in ng/mL."""
    P, n = pats.count, lay.size
    R = np.zeros((P, len(outputs), n))
    for k, name in enumerate(outputs):
        if name == "plasma":
            R[:, k, lay.central] = 1000.0 / pats.v1_l  # mg/L -> ng/mL
        elif name == "effect":
            R[:, k, lay.effect] = 1000.0 / pats.v1_l
        elif name == "metabolite":
            if lay.metabolite is None:
                raise ModelError(f"model '{pats.model.key}' has no metabolite")
            R[:, k, lay.metabolite] = 1000.0 / pats.metabolite_v_l
        elif name.startswith("amount:"):
            R[:, k, int(name.split(":")[1])] = 1.0
        else:
            raise ValueError(f"unknown output {name!r}")
    return R


def _evaluate_modal(
    md: _Modal,
    R: np.ndarray,
    breaks: np.ndarray,
    times: np.ndarray,
    integral: bool,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Outputs (P, r, T) at sorted times: value, or the integral from the first breakpoint to t."""
    lam = md.lam  # (P, n)
    C = np.einsum("prn,pnm->prm", R, md.V)  # output weights on modes (P, r, n)
    P, r, n = C.shape
    T = times.shape[0]
    if out is None:
        out = np.empty((P, r, T))
    seg = np.searchsorted(breaks, times, side="right") - 1  # -1: before the first dose -> zero
    out[:, :, seg < 0] = 0.0
    if integral:
        # Full-segment integrals, prefix-summed, so each time only needs its own partial segment.
        L = np.diff(breaks)
        full = np.zeros((P, r, breaks.shape[0]))
        if L.size:
            phi = np.expm1(lam[:, None, :] * L[None, :, None]) / lam[:, None, :]  # (P, S-1, n)
            seg_int = np.einsum("prn,psn->prs", C, md.a[:, :-1] * phi - md.b[:, :-1] * L[None, :, None])
            full[:, :, 1:] = np.cumsum(seg_int, axis=2)
    step = max(_MIN_TIMES_PER_CHUNK, _CHUNK_ELEMENTS // max(1, P * n * r))
    present = seg[np.concatenate(([0], np.flatnonzero(np.diff(seg)) + 1))] if seg.size else seg  # sorted
    for s in present:
        if s < 0:
            continue
        # Times are sorted, so each segment's times are one contiguous run: slices, not index arrays.
        first, last = np.searchsorted(seg, s, side="left"), np.searchsorted(seg, s, side="right")
        Ca = C * md.a[:, None, s, :]  # (P, r, n)
        Cb = np.einsum("prn,pn->pr", C, md.b[:, s, :])
        for lo in range(first, last, step):
            j = slice(lo, min(lo + step, last))
            tau = times[j] - breaks[s]
            if integral:
                phi = np.expm1(lam[:, :, None] * tau[None, None, :]) / lam[:, :, None]  # (P, n, t)
                out[:, :, j] = full[:, :, s, None] + Ca @ phi - Cb[:, :, None] * tau[None, None, :]
            else:
                y = _modal_sum(Ca, lam, tau)
                np.subtract(y[:, :, : tau.shape[0]], Cb[:, :, None], out=out[:, :, j])
    return out


def _modal_sum(Ca: np.ndarray, lam: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """sum_i Ca[p, r, i] * exp(lam[p, i] * tau[t]) for every patient, output and time: (P, r, >= t).

    When the times are evenly spaced (the usual output grid), tau_m = tau_0 + m*d with m = B*q + s, and
    exp(lam tau_m) = exp(lam B d q) * exp(lam (tau_0 + s d)): two small tables of exponentials (B + Q of them
    instead of B * Q). The sum over modes then becomes, per patient and output, a (Q x n) @ (n x B) matrix
    product, so the (P, n, T) table of exponentials is never built. Each factor is correctly rounded, so the
    result matches the direct evaluation to within a few ulp. The caller ignores the Q*B - T extra columns.
    """
    m = tau.shape[0]
    if m >= 64:
        d = (tau[-1] - tau[0]) / (m - 1)
        steps = np.diff(tau)
        if d > 0 and float(np.max(np.abs(steps - d))) <= 1e-12 * d:
            b = int(np.ceil(np.sqrt(m)))
            q = -(-m // b)
            fine = np.exp(lam[:, :, None] * (tau[0] + d * np.arange(b))[None, None, :])  # (P, n, b)
            coarse = np.exp(lam[:, None, :] * (d * b * np.arange(q))[None, :, None])  # (P, q, n)
            weighted = coarse[:, None, :, :] * Ca[:, :, None, :]  # (P, r, q, n)
            y = weighted @ fine[:, None, :, :]  # (P, r, q, b)
            return y.reshape(Ca.shape[0], Ca.shape[1], q * b)
    return Ca @ np.exp(lam[:, :, None] * tau[None, None, :])


def _evaluate_expm(
    K: np.ndarray, inp: Inputs, R: np.ndarray, times: np.ndarray, integral: bool
) -> np.ndarray:
    """Same outputs by the matrix exponential of the augmented system [[K, u, 0], [0, 0, 0], [R, 0, 0]]
    (exact; used for patients whose eigenvectors are ill-conditioned)."""
    from scipy.linalg import expm

    P, n, _ = K.shape
    r = R.shape[1]
    S = inp.breaks.shape[0]
    out = np.zeros((P, r, times.shape[0]))
    seg = np.searchsorted(inp.breaks, times, side="right") - 1
    for p in range(P):
        m = n + 1 + r
        x = np.zeros(n)
        acc = np.zeros(r)  # integral of outputs up to the current breakpoint
        states = []
        for s in range(S):
            x = x + inp.jumps[p, s]
            states.append((x.copy(), acc.copy()))
            if s + 1 < S:
                M = np.zeros((m, m))
                M[:n, :n] = K[p]
                M[:n, n] = inp.rates[p, s]
                M[n + 1 :, :n] = R[p]
                E = expm(M * (inp.breaks[s + 1] - inp.breaks[s]))
                y = E @ np.concatenate([x, [1.0], np.zeros(r)])
                x, acc = y[:n], acc + y[n + 1 :]
        for s in np.unique(seg):
            if s < 0:
                continue
            j = np.nonzero(seg == s)[0]
            M = np.zeros((m, m))
            M[:n, :n] = K[p]
            M[:n, n] = inp.rates[p, s]
            M[n + 1 :, :n] = R[p]
            Es = expm(M[None] * (times[j] - inp.breaks[s])[:, None, None])
            x0, acc0 = states[s]
            y = Es @ np.concatenate([x0, [1.0], np.zeros(r)])
            out[p, :, j] = (acc0 + y[:, n + 1 :]) if integral else (y[:, :n] @ R[p].T)
    return out


@dataclass(frozen=True)
class Solution:
    """A solved schedule for a batch of patients; evaluate any output at any times, exactly."""

    patients: Patients
    events: tuple
    layout: Layout
    K: np.ndarray
    inputs: Inputs
    modal: _Modal

    def evaluate(self, times_min, outputs=("plasma", "effect"), *, integral: bool = False) -> np.ndarray:
        """Array (P, len(outputs), T). Outputs: "plasma", "effect", "metabolite" (ng/mL) or "amount:<i>" (mg).
        With integral=True, the area under each output from the first dose to each time (ng*min/mL)."""
        t = np.asarray(times_min, dtype=float)
        if t.ndim != 1 or not np.all(np.isfinite(t)):
            raise ValueError("times must be a 1-D array of finite minutes")
        presorted = bool(np.all(np.diff(t) >= 0))
        order = None if presorted else np.argsort(t, kind="stable")
        ts = t if presorted else t[order]
        R = _output_rows(self.patients, self.layout, tuple(outputs))
        P = self.patients.count
        res = np.empty((P, len(outputs), t.shape[0]))
        ok = self.modal.ok
        good = np.nonzero(ok)[0]
        if good.size == P:
            # Blocks of patients (slices, written in place) so each block gets long runs of output times.
            block = max(1, _CHUNK_ELEMENTS // (_MIN_TIMES_PER_CHUNK * self.layout.size * len(outputs)))
            for lo in range(0, P, block):
                sl = slice(lo, min(lo + block, P))
                sub = self.modal if (lo == 0 and block >= P) else _subset(self.modal, sl)
                _evaluate_modal(sub, R[sl], self.inputs.breaks, ts, integral, out=res[sl])
        else:
            bad = np.nonzero(~ok)[0]
            if good.size:
                res[good] = _evaluate_modal(
                    _subset(self.modal, good), R[good], self.inputs.breaks, ts, integral
                )
            sub_inp = Inputs(self.inputs.breaks, self.inputs.jumps[bad], self.inputs.rates[bad])
            res[bad] = _evaluate_expm(self.K[bad], sub_inp, R[bad], ts, integral)
        if presorted:
            return res
        out = np.empty_like(res)
        out[:, :, order] = res
        return out

    def concentrations(self, times_min) -> tuple[np.ndarray, np.ndarray]:
        """(plasma, effect-site) concentrations in ng/mL, each (P, T)."""
        y = self.evaluate(times_min, ("plasma", "effect"))
        return y[:, 0], y[:, 1]


def _subset(md: _Modal, idx) -> _Modal:
    sub = object.__new__(_Modal)
    sub.lam, sub.V, sub.W = md.lam[idx], md.V[idx], md.W[idx]
    sub.a, sub.b, sub.ok = md.a[idx], md.b[idx], md.ok[idx]
    return sub


def solve(patients: Patients, events) -> Solution:
    """Solve ``events`` (a schedule) for every patient in ``patients``: one eigendecomposition per patient."""
    events = validate(events)
    lay = layout_for(patients.model, events)
    K = system_matrix(patients, lay)
    inp = inputs_for(patients, lay, events)
    return Solution(patients, events, lay, K, inp, _Modal(K, inp))
