"""Exact solution of the linear PK/PD system for any schedule, vectorised over patients and output times.

The model is dx/dt = K x + u(t) with x = amounts (mg) in [depots..., central, peripherals..., metabolite?,
effect?]. The effect "compartment" holds V1 * Ce (a massless virtual amount, dAe/dt = ke0 (A1 - Ae)), so that
Ce = Ae / V1; a set without a published ke0 has no effect compartment. u(t) is piecewise constant (infusion rates) and doses are jumps (boluses, depot doses).

Between breakpoints the solution is exact in modal coordinates z = V^-1 x (K = V diag(lam) V^-1, one
eigendecomposition per patient, batched with ``np.linalg.eig`` on stacked matrices):
    z(t) = exp(lam tau) (z_s + w_s / lam) - w_s / lam,    w_s = V^-1 u_s,   tau = t - t_s,
so any output that is a linear function of x is a sum of exponentials evaluated directly at the requested
times. No step-by-step integration happens anywhere. Areas under curves are integrated in closed form too.
Evenly spaced output times (the usual grid) need far fewer exponentials: exp(lam (s + i d)) = exp(lam s) *
exp(lam i d), so the sum over modes becomes one matrix product per patient (``_evaluate_grid``).

A patient whose eigenvectors are ill-conditioned (two rate constants almost equal, e.g. ka ~ an eigenvalue of
the disposition) is solved instead with the matrix exponential of the augmented system (scipy.linalg.expm),
which is also exact; that path is slower and only taken when needed.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np

from .models import ModelError, ParameterSet
from .schedule import Bolus, Extravascular, Infusion, validate

#: Above this condition number of the eigenvector matrix the modal path could lose more than ~1e-8
#: relative accuracy, so the patient is solved by matrix exponential instead.
_MAX_EIGVEC_CONDITION = 1e7

#: Elements per temporary array while evaluating outputs (bounds memory for 10,000-patient runs). Patients
#: are processed in blocks so that each block still gets long runs of output times.
_CHUNK_ELEMENTS = 8_000_000
_MIN_TIMES_PER_CHUNK = 512

#: Evenly spaced output times (the usual grid) are evaluated by ``_evaluate_grid`` when there are at least
#: this many of them. A grid is recognised if every time lies within _GRID_ULPS units in the last place (of
#: the largest time) of t_0 + k d: the rounding that times like ``np.arange(n) / 60`` carry anyway.
_GRID_MIN_TIMES = 64
_GRID_ULPS = 16
_EPS = float(np.finfo(float).eps)


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
    ke0_per_min: np.ndarray | None  # None: the set has no effect site
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
    return scale(model, w)


def scale(model: ParameterSet, w: np.ndarray, factors: np.ndarray | None = None) -> Patients:
    """Scale typical values to weights ``w`` and multiply by per-patient ``factors`` rows
    (cl, v1, q2, v2, q3, v3[, metabolite cl, metabolite v]); no factors means typical values. The metabolite
    rows are used only if present (a set with a metabolite sampled without them keeps typical values)."""
    rw = w / model.reference_weight_kg
    fv = rw**model.volume_exponent
    fc = fv if model.clearance_exponent == model.volume_exponent else rw**model.clearance_exponent

    def typical(value: float, f: np.ndarray, i: int) -> np.ndarray:
        return value * f if factors is None else value * f * factors[i]

    def typical_met(value: float, f: np.ndarray, i: int) -> np.ndarray:
        return value * f if factors is None or factors.shape[0] <= i else value * f * factors[i]

    met = model.metabolite
    return Patients(
        model=model,
        weight_kg=w,
        cl_l_per_min=typical(model.cl_l_per_min, fc, 0),
        v1_l=typical(model.v1_l, fv, 1),
        q2_l_per_min=typical(model.q2_l_per_min, fc, 2),
        v2_l=typical(model.v2_l, fv, 3) if model.compartments >= 2 else np.ones_like(w),
        q3_l_per_min=typical(model.q3_l_per_min, fc, 4),
        v3_l=typical(model.v3_l, fv, 5) if model.compartments >= 3 else np.ones_like(w),
        ke0_per_min=None if model.ke0_per_min is None else np.full_like(w, model.ke0_per_min),
        metabolite_v_l=None if met is None else typical_met(met.volume_l, fv, 7),
        metabolite_cl_l_per_min=None if met is None else typical_met(met.clearance_l_per_min, fc, 6),
    )


@dataclass(frozen=True)
class Layout:
    """Where each quantity lives in the state vector."""

    routes: tuple[str, ...]  # one depot per absorbing route used by the schedule, in this order
    central: int
    peripherals: tuple[int, ...]
    metabolite: int | None
    effect: int | None  # None: the set has no effect site (no ke0)
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
    if model.ke0_per_min is None:
        return Layout(routes, central, peripherals, metabolite, None, i)
    return Layout(routes, central, peripherals, metabolite, i, i + 1)


def system_matrix(pats: Patients, lay: Layout) -> np.ndarray:
    """K with dx/dt = K x, shape (P, n, n). Built from the model's micro constants."""
    model = pats.model
    P, n = pats.count, lay.size
    K = np.zeros((P, n, n))
    c = lay.central
    k10 = pats.cl_l_per_min / pats.v1_l
    out_of_central = k10
    # Peripheral j exchanges with the central compartment: k1j = Qj/V1 out, kj1 = Qj/Vj back.
    for j, q, v in zip(
        lay.peripherals, (pats.q2_l_per_min, pats.q3_l_per_min), (pats.v2_l, pats.v3_l), strict=False
    ):
        k1j, kj1 = q / pats.v1_l, q / v
        K[:, j, c] = k1j
        K[:, c, j] = kj1
        K[:, j, j] = -kj1
        out_of_central = out_of_central + k1j
    K[:, c, c] = -out_of_central
    for d, route in enumerate(lay.routes):
        ka = model.absorption(route).ka_per_min
        K[:, d, d] = -ka
        K[:, c, d] = ka
    if lay.metabolite is not None:
        met = model.metabolite
        K[:, lay.metabolite, c] = met.fraction_formed * k10 * met.mass_ratio
        K[:, lay.metabolite, lay.metabolite] = -pats.metabolite_cl_l_per_min / pats.metabolite_v_l
    if lay.effect is not None:
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
    """Breakpoints, jumps and segment rates. Each segment's rate is the plain sum of the infusions running in it
    (no running sums), so it is exactly zero once every infusion has stopped."""
    model, P, n = pats.model, pats.count, lay.size
    keyed = []  # (event, breakpoint time or (start, end))
    for ev in events:
        if isinstance(ev, Infusion):
            keyed.append((ev, (float(ev.start_min), float(ev.end_min))))
        elif isinstance(ev, Bolus):
            keyed.append((ev, float(ev.time_min)))
        else:
            keyed.append((ev, float(ev.time_min) + model.absorption(ev.route).lag_min))
    times: set[float] = set()
    for _, key in keyed:
        times.update(key) if isinstance(key, tuple) else times.add(key)
    ordered = sorted(times)
    index = {t: i for i, t in enumerate(ordered)}
    S = len(ordered)
    jumps = np.zeros((P, S, n))
    rates = np.zeros((P, S, n))
    for ev, key in keyed:
        amount = np.asarray(ev.amount_mg, dtype=float)
        if amount.ndim and amount.shape != (P,):
            raise ValueError(f"dose amounts must be one number or one per patient ({P}), not {amount.shape}")
        if isinstance(ev, Infusion):
            rates[:, index[key[0]] : index[key[1]], lay.central] += (amount / ev.duration_min)[..., None]
        elif isinstance(ev, Bolus):
            jumps[:, index[key], lay.central] += amount
        else:
            ab = model.absorption(ev.route)
            jumps[:, index[key], lay.routes.index(ev.route)] += ab.bioavailability * amount
    return Inputs(np.array(ordered), jumps, rates)


_LAPACK = None


def _eig_one(K: np.ndarray):
    """Single patient: eigenvalues, right eigenvectors and their inverse straight from LAPACK (dgeev, dgetrf,
    dgetri: the routines np.linalg.eig/inv call, without their per-call Python overhead), and the squared
    Frobenius condition number of the eigenvectors. Returns None if any eigenvalue has an imaginary part or
    LAPACK reports a problem, so that the caller takes the general path (which raises the clear error if the
    system is not a valid model)."""
    global _LAPACK
    if _LAPACK is None:
        from scipy.linalg import lapack  # imported on first use: importing this module stays cheap

        _LAPACK = (lapack.dgeev, lapack.dgetrf, lapack.dgetri)
    dgeev, dgetrf, dgetri = _LAPACK
    wr, wi, _, vr, info = dgeev(K[0], compute_vl=0)
    if info != 0 or wi.any() or not np.isfinite(vr).all():
        return None
    lu, piv, info = dgetrf(vr)
    if info != 0:
        return None
    inv, info = dgetri(lu, piv)
    if info != 0:
        return None
    cond2 = float(np.vdot(vr, vr)) * float(np.vdot(inv, inv))
    return wr[None], np.ascontiguousarray(vr)[None], np.ascontiguousarray(inv)[None], np.array([cond2])


class _Modal:
    """Per-patient eigendecomposition and the modal state at the start of every segment."""

    def __init__(self, K: np.ndarray, inp: Inputs):
        one = _eig_one(K) if K.shape[0] == 1 else None
        if one is not None:
            lam, V, W, cond2 = one
        else:
            lam, V = np.linalg.eig(K)
            if np.iscomplexobj(lam):
                if np.max(np.abs(lam.imag)) > 1e-9 * np.max(np.abs(lam.real)):
                    raise ModelError("PK system has complex eigenvalues (not a valid mammillary model)")
                lam, V = lam.real, V.real
            W = np.linalg.inv(V)
            # Frobenius-norm condition number of V, squared (no square roots needed for the comparison).
            cond2 = np.einsum("pij,pij->p", V, V) * np.einsum("pij,pij->p", W, W)
        self.ok = cond2 < _MAX_EIGVEC_CONDITION**2
        self.lam, self.V, self.W = lam, V, W
        Wt = W.transpose(0, 2, 1)
        b = (inp.rates @ Wt) / lam[:, None, :]  # modal input rates over the eigenvalues (P, S, n)
        dj = inp.jumps @ Wt  # modal jumps (P, S, n)
        S = inp.breaks.shape[0]
        # a_s = z(start of s) + b_s, with z(start of s) = a_{s-1} exp(lam L_{s-1}) - b_{s-1} + jump_s.
        a = dj + b
        if S > 1:
            lengths = inp.breaks[1:] - inp.breaks[:-1]
            decay = np.exp(lam[:, None, :] * lengths[:, None])  # (P, S-1, n)
            for s in range(1, S):
                a[:, s] += a[:, s - 1] * decay[:, s - 1] - b[:, s - 1]
        self.a, self.b = a, b


def _output_rows(pats: Patients, lay: Layout, outputs: tuple[str, ...]) -> np.ndarray:
    """Linear functionals of the state giving each output (P, r, n); concentrations in ng/mL."""
    P, n = pats.count, lay.size
    R = np.zeros((P, len(outputs), n))
    for k, name in enumerate(outputs):
        if name == "plasma":
            R[:, k, lay.central] = 1000.0 / pats.v1_l  # mg/L -> ng/mL
        elif name == "effect":
            if lay.effect is None:
                pats.model.check_effect_site()
            R[:, k, lay.effect] = 1000.0 / pats.v1_l
        elif name == "metabolite":
            if lay.metabolite is None:
                raise ModelError(f"model '{pats.model.key}' has no metabolite chain; ask for plasma or effect")
            R[:, k, lay.metabolite] = 1000.0 / pats.metabolite_v_l
        elif name.startswith("amount:"):
            R[:, k, int(name.split(":")[1])] = 1.0
        else:
            raise ValueError(f"unknown output {name!r}")
    return R


_COUNT = np.arange(0.0)
_COUNT_CACHE_MAX = 1 << 20


def _counting(T: int) -> np.ndarray:
    """0.0, 1.0, ..., T-1 (read-only). Kept between calls up to 2**20 entries: making it is the slowest part
    of the grid check."""
    global _COUNT
    if T > _COUNT.shape[0]:
        if T > _COUNT_CACHE_MAX:
            return np.arange(T, dtype=float)
        count = np.arange(min(max(T, 2 * _COUNT.shape[0], 4096), _COUNT_CACHE_MAX), dtype=float)
        count.flags.writeable = False
        _COUNT = count
    return _COUNT[:T]


def _grid_step(t: np.ndarray) -> float | None:
    """The step d if ``t`` is an evenly spaced ascending grid t_k = t_0 + k d (to within _GRID_ULPS units in
    the last place of the largest time, i.e. the rounding the times themselves carry), else None.
    NaN or infinite times are never a grid."""
    T = t.shape[0]
    if T < _GRID_MIN_TIMES:
        return None
    t0, t1 = float(t[0]), float(t[-1])
    if not (math.isfinite(t0) and math.isfinite(t1)) or t1 <= t0:
        return None
    d = (t1 - t0) / (T - 1)
    tol = _GRID_ULPS * _EPS * max(abs(t0), abs(t1))
    if tol > 0.25 * d:
        return None
    e = np.multiply(_counting(T), d)
    e -= t  # e_k = k d - t_k, which is -t_0 for every k on an exact grid
    hi, lo = float(e.max()), float(e.min())
    if hi + t0 <= tol and -(lo + t0) <= tol:  # False for NaN
        return d
    return None


def _evaluate_modal(
    md: _Modal,
    R: np.ndarray,
    breaks: np.ndarray,
    times: np.ndarray,
    integral: bool,
    out: np.ndarray,
    step: float | None = None,
) -> np.ndarray:
    """Outputs (P, r, T) into ``out`` at sorted times: value, or the integral from the first breakpoint to t.
    ``step``: the grid step if the times are evenly spaced (``_grid_step``), which enables ``_evaluate_grid``."""
    C = R @ md.V  # output weights on modes (P, r, n)
    if step is not None and not integral and times.shape[0] >= _GRID_MIN_TIMES:
        _evaluate_grid(md, C, breaks, times, step, out)
    else:
        _evaluate_direct(md, C, breaks, times, integral, out)
    return out


def _evaluate_direct(
    md: _Modal, C: np.ndarray, breaks: np.ndarray, times: np.ndarray, integral: bool, out: np.ndarray
) -> None:
    """Segment by segment, one exponential per mode and time (any sorted times)."""
    lam = md.lam  # (P, n)
    P, r, n = C.shape
    T = times.shape[0]
    S = breaks.shape[0]
    # Times are sorted, so segment s (breaks[s] <= t < breaks[s+1]) is the contiguous run bounds[s]:bounds[s+1].
    bounds = np.searchsorted(times, breaks, side="left").tolist() + [T]
    out[:, :, : bounds[0]] = 0.0  # before the first dose
    if integral:
        # Full-segment integrals, prefix-summed, so each time only needs its own partial segment.
        L = np.diff(breaks)
        full = np.zeros((P, r, S))
        if L.size:
            phi = np.expm1(lam[:, None, :] * L[None, :, None]) / lam[:, None, :]  # (P, S-1, n)
            seg_int = np.einsum("prn,psn->prs", C, md.a[:, :-1] * phi - md.b[:, :-1] * L[None, :, None])
            full[:, :, 1:] = np.cumsum(seg_int, axis=2)
    chunk = max(_MIN_TIMES_PER_CHUNK, _CHUNK_ELEMENTS // max(1, P * n * r))
    for s in range(S):
        first, last = bounds[s], bounds[s + 1]
        if first == last:
            continue
        Ca = C * md.a[:, None, s, :]  # (P, r, n)
        Cb = (C * md.b[:, None, s, :]).sum(axis=2)  # (P, r)
        for lo in range(first, last, chunk):
            hi = min(lo + chunk, last)
            tau = times[lo:hi] - breaks[s]
            dst = out[:, :, lo:hi]
            if integral:
                phi = np.expm1(lam[:, :, None] * tau) / lam[:, :, None]  # (P, n, t)
                np.matmul(Ca, phi, out=dst)
                dst += full[:, :, s, None] - Cb[:, :, None] * tau
            else:
                np.matmul(Ca, np.exp(lam[:, :, None] * tau), out=dst)
                dst -= Cb[:, :, None]


def _evaluate_grid(
    md: _Modal, C: np.ndarray, breaks: np.ndarray, times: np.ndarray, d: float, out: np.ndarray
) -> None:
    """Values at evenly spaced times t_k ~ t_0 + k d (``_grid_step``), all segments in one matrix product.

    The T times are cut into rows of B = ceil(sqrt(T)): k = B j + i. Row j starts at t_{Bj}, in segment s(j),
    and within the row exp(lam (t_{Bj} - break_s + i d)) = exp(lam (t_{Bj} - break_s)) * exp(lam i d). The
    first factor goes into the row's amplitudes (P, r, rows, n), the second is one table (P, n, B) shared by
    every row, so the sum over modes is one (rows x n+1) @ (n+1 x B) product per patient and output, written
    straight into ``out`` (the extra column carries the segment's constant -Cb against a row of ones). No
    (P, n, T) table of exponentials is built: B + rows exponentials per mode instead of T. Rows in which a
    dose event falls (the segment changes inside the row) are then redone piece by piece with the same table.
    Each factor is correctly rounded, so the result matches the direct evaluation to within a few ulp.
    """
    lam = md.lam  # (P, n)
    P, r, n = C.shape
    T = times.shape[0]
    bounds = np.searchsorted(times, breaks, side="left").tolist()  # index of the first time of each segment
    B = _row_length(T, bounds)
    q, rem = divmod(T, B)
    rows = q + (rem > 0)
    Cb = C @ md.b.transpose(0, 2, 1)  # (P, r, S): each segment's constant term
    starts = times[::B]  # (rows,) first time of each row
    seg = np.searchsorted(breaks, starts, side="right") - 1  # segment of each row start; -1 before any dose
    live = seg >= 0
    sg = np.where(live, seg, 0)
    tau = np.maximum(starts - breaks[sg], 0.0)  # (rows before the first dose are zeroed below)
    amp = md.a[:, sg, :] * np.exp(lam[:, None, :] * tau[:, None])  # (P, rows, n)
    Wq = np.empty((P, r, rows, n + 1))
    np.multiply(C[:, :, None, :], amp[:, None], out=Wq[..., :n])
    np.negative(Cb[:, :, sg], out=Wq[..., n])
    if not live[0]:  # seg is non-decreasing: rows before the first dose come first
        Wq[:, :, ~live] = 0.0
    fine = np.empty((P, n + 1, B))
    np.exp(lam[:, :, None] * (d * np.arange(B)), out=fine[:, :n])
    fine[:, n] = 1.0
    if q:
        # Splitting only the last (unit-stride) axis, so this reshape is always a view into ``out``.
        np.matmul(Wq[:, :, :q], fine[:, None], out=out[:, :, : q * B].reshape(P, r, q, B))
    if rem:
        np.matmul(Wq[:, :, q], fine[:, :, :rem], out=out[:, :, q * B :])
    # A segment starting inside a row (index k not a multiple of B): from k to the row's end (or to the next
    # such start), the row used the previous segment's coefficients. Redo those pieces with the same table.
    inner = sorted({k for k in bounds if 0 < k < T and k % B})
    for i, k in enumerate(inner):
        end = min((k // B + 1) * B, T)
        if i + 1 < len(inner):
            end = min(end, inner[i + 1])
        s = bisect.bisect_right(bounds, k) - 1  # segment of times[k] (the last of any that start at k)
        dst = out[:, :, k:end]
        w = C * (md.a[:, s, :] * np.exp(lam * (times[k] - breaks[s])))[:, None, :]
        np.matmul(w, fine[:, :n, : end - k], out=dst)
        dst -= Cb[:, :, s, None]


def _row_length(T: int, bounds: list[int]) -> int:
    """Row length for ``_evaluate_grid``: ceil(sqrt(T)), or a nearby length that divides every index at which a
    segment starts (dose events on grid times, the usual case), so that no row needs redoing."""
    B0 = math.isqrt(T - 1) + 1
    g = math.gcd(*(k for k in bounds if 0 < k < T))
    if g == 0 or g % B0 == 0:
        return B0
    for delta in range(1, B0 // 4 + 1):
        for B in (B0 - delta, B0 + delta):
            if g % B == 0:
                return B
    return B0


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

    def evaluate(self, times_min, outputs=None, *, integral: bool = False) -> np.ndarray:
        """Array (P, len(outputs), T). Outputs: "plasma", "effect", "metabolite" (ng/mL) or "amount:<i>" (mg);
        by default the model's own concentrations (``ParameterSet.outputs``: plasma, then effect and metabolite
        where the set has them). "effect" for a set without an effect site, or "metabolite" for one without a
        metabolite chain, is a ModelError. With integral=True, the area under each output from the first dose
        to each time (ng*min/mL)."""
        if outputs is None:
            outputs = self.patients.model.outputs
        t = np.asarray(times_min, dtype=float)
        if t.ndim != 1:
            raise ValueError("times must be a 1-D array of finite minutes")
        step = _grid_step(t)  # an evenly spaced grid is also sorted and finite
        order = None
        ts = t
        if step is None:
            if not np.isfinite(t).all():
                raise ValueError("times must be a 1-D array of finite minutes")
            if t.shape[0] > 1 and not (t[1:] >= t[:-1]).all():
                order = np.argsort(t, kind="stable")
                ts = t[order]
                step = _grid_step(ts)
        R = _output_rows(self.patients, self.layout, tuple(outputs))
        P = self.patients.count
        res = np.empty((P, len(outputs), t.shape[0]))
        ok = self.modal.ok
        breaks = self.inputs.breaks
        if ok.all():
            # Blocks of patients (slices, written in place) so each block gets long runs of output times.
            block = max(1, _CHUNK_ELEMENTS // (_MIN_TIMES_PER_CHUNK * self.layout.size * len(outputs)))
            for lo in range(0, P, block):
                sl = slice(lo, min(lo + block, P))
                sub = self.modal if (lo == 0 and block >= P) else _subset(self.modal, sl)
                _evaluate_modal(sub, R[sl], breaks, ts, integral, res[sl], step)
        else:
            good, bad = np.nonzero(ok)[0], np.nonzero(~ok)[0]
            if good.size:
                part = np.empty((good.size, len(outputs), t.shape[0]))
                res[good] = _evaluate_modal(
                    _subset(self.modal, good), R[good], breaks, ts, integral, part, step
                )
            sub_inp = Inputs(breaks, self.inputs.jumps[bad], self.inputs.rates[bad])
            res[bad] = _evaluate_expm(self.K[bad], sub_inp, R[bad], ts, integral)
        if order is None:
            return res
        out = np.empty_like(res)
        out[:, :, order] = res
        return out

    def concentrations(self, times_min) -> tuple[np.ndarray, np.ndarray]:
        """(plasma, effect-site) concentrations in ng/mL, each (P, T). A ModelError for a set without an effect
        site (ask ``evaluate`` for "plasma" / "metabolite" instead)."""
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
