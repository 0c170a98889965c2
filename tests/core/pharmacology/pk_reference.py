"""An independent reference: the PK/PD ODEs written out by hand from the parameter set's published fields and
integrated with scipy.integrate.solve_ivp (DOP853, rtol 1e-10, atol 1e-14 mg), restarted at every dose
event. It shares no code with the engine's matrix builder or modal solution.

A set with a metabolite chain adds dAm/dt = fm * mass_ratio * (CL/V1) * A1 - (CLm/Vm) * Am; a set without an
effect site (ke0 None) carries a dummy effect state that stays zero, and its effect row is NaN."""

import numpy as np
from scipy.integrate import solve_ivp

from ketamine_clinic.core.pharmacology.schedule import Bolus, Extravascular, Infusion

RTOL = 1e-10
ATOL = 1e-14
#: DOP853's dense-output interpolant is less accurate than its steps when steps get long (smooth tails);
#: capping the step keeps the interpolated values at t_eval as accurate as the steps themselves.
MAX_STEP = 0.5


def hand_parameters(model, weight_kg, factors=(1, 1, 1, 1, 1, 1, 1, 1)):
    rw = weight_kg / model.reference_weight_kg
    fv, fc = rw**model.volume_exponent, rw**model.clearance_exponent
    cl = model.cl_l_per_min * fc * factors[0]
    v1 = model.v1_l * fv * factors[1]
    q2 = model.q2_l_per_min * fc * factors[2]
    v2 = model.v2_l * fv * factors[3]
    q3 = model.q3_l_per_min * fc * factors[4]
    v3 = model.v3_l * fv * factors[5]
    met = model.metabolite
    p = dict(v1=v1, cl=cl, q2=q2, v2=v2, q3=q3, v3=v3, ke0=model.ke0_per_min, n=model.compartments)
    if met is not None:
        f6 = factors[6] if len(factors) > 6 else 1.0
        f7 = factors[7] if len(factors) > 7 else 1.0
        p.update(
            clm=met.clearance_l_per_min * fc * f6,
            vm=met.volume_l * fv * f7,
            formed=met.fraction_formed * met.mass_ratio,
        )
    return p


def reference_solution(model, weight_kg, events, times, factors=(1, 1, 1, 1, 1, 1, 1, 1)):
    """Rows: plasma and effect-site concentration (ng/mL; effect NaN without an effect site), parent drug in
    the body (mg) and metabolite concentration (ng/mL; NaN without a metabolite chain) at ``times``."""
    p = hand_parameters(model, weight_kg, factors)
    has_met = "clm" in p
    ke0 = p["ke0"] if p["ke0"] is not None else 0.0
    routes = sorted({ev.route for ev in events if isinstance(ev, Extravascular)})
    ka = {r: model.absorption(r).ka_per_min for r in routes}
    nd = len(routes)

    def infusion_rate(t):
        return sum(
            ev.amount_mg / ev.duration_min
            for ev in events
            if isinstance(ev, Infusion) and ev.start_min <= t < ev.end_min
        )

    def rhs(t, y, rate):
        depots = y[:nd]
        a1, a2, a3, ae, am = y[nd], y[nd + 1], y[nd + 2], y[nd + 3], y[nd + 4]
        absorbed = [ka[r] * depots[i] for i, r in enumerate(routes)]
        to2 = p["q2"] * (a1 / p["v1"] - a2 / p["v2"]) if p["n"] >= 2 else 0.0
        to3 = p["q3"] * (a1 / p["v1"] - a3 / p["v3"]) if p["n"] >= 3 else 0.0
        eliminated = p["cl"] * a1 / p["v1"]
        da1 = rate + sum(absorbed) - eliminated - to2 - to3
        dae = ke0 * (a1 - ae)
        dam = p["formed"] * eliminated - p["clm"] * am / p["vm"] if has_met else 0.0
        return [*(-x for x in absorbed), da1, to2, to3, dae, dam]

    # Breakpoints: every dose and every infusion start/end.
    jumps = {}
    for ev in events:
        if isinstance(ev, Bolus):
            jumps.setdefault(ev.time_min, []).append((nd, ev.amount_mg))
        elif isinstance(ev, Extravascular):
            ab = model.absorption(ev.route)
            jumps.setdefault(ev.time_min + ab.lag_min, []).append(
                (routes.index(ev.route), ab.bioavailability * ev.amount_mg)
            )
    breaks = set(jumps)
    for ev in events:
        if isinstance(ev, Infusion):
            breaks.update((ev.start_min, ev.end_min))
    breaks = sorted(breaks)
    times = np.asarray(times, dtype=float)
    out = np.zeros((4, times.size))
    y = np.zeros(nd + 5)
    for i, t0 in enumerate(breaks):
        for idx, amt in jumps.get(t0, []):
            y[idx] += amt
        t1 = breaks[i + 1] if i + 1 < len(breaks) else max(times.max(), t0) + 1.0
        mask = (times >= t0) & (times < t1) if i + 1 < len(breaks) else times >= t0
        rate = infusion_rate(t0)
        t_eval = np.concatenate([times[mask], [t1]])
        sol = solve_ivp(
            rhs,
            (t0, t1),
            y,
            method="DOP853",
            rtol=RTOL,
            atol=ATOL,
            args=(rate,),
            t_eval=t_eval,
            max_step=MAX_STEP,
        )
        assert sol.success, sol.message
        Y = sol.y[:, :-1]
        out[0, mask] = Y[nd] / p["v1"] * 1000.0
        out[1, mask] = Y[nd + 3] / p["v1"] * 1000.0
        out[2, mask] = Y[: nd + 3].sum(axis=0)
        if has_met:
            out[3, mask] = Y[nd + 4] / p["vm"] * 1000.0
        y = sol.y[:, -1].copy()
    if p["ke0"] is None:
        out[1] = np.nan
    if not has_met:
        out[3] = np.nan
    return out
