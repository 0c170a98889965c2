"""The engine against an independent high-accuracy ODE solution, for every parameter set and route, across
random schedules (hypothesis); plus mass balance, linearity, superposition, non-negativity, effect-site lag,
and for a set with a metabolite chain (Flint 2017) the metabolite output and its own mass balance and lag.

Accuracy criterion: |engine - reference| <= 1e-6 * max(|reference|, floor), floor = 1e-6 * the curve's peak.
The floor exists because in the first instants after a dose (or before absorption has delivered anything)
the true value is ~0 and a relative error is meaningless; below the floor the test demands an absolute error
of at most 1e-12 x peak, far below any assay's limit of quantification.
"""

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pk_reference import reference_solution

from ketamine_clinic.core.pharmacology import models, solver
from ketamine_clinic.core.pharmacology.schedule import Bolus, Extravascular, Infusion

REL = 1e-6
FLOOR = 1e-6

COMBOS = [(key, route) for key, ps in models.PARAMETER_SETS.items() for route in ps.available_routes]
WEIGHT = {"herd": 25.0, "hornik": 20.0, "flint": 7.0}
#: Rows of pk_reference.reference_solution for each engine output.
REF_ROW = {"plasma": 0, "effect": 1, "metabolite": 3}


def _weight(key):
    return WEIGHT.get(key, 70.0)


def assert_close(engine, ref, what):
    peak = np.max(np.abs(ref))
    assert peak > 0, f"{what}: reference is identically zero (test would be vacuous)"
    scale = np.maximum(np.abs(ref), FLOOR * peak)
    err = np.abs(engine - ref) / scale
    worst = int(np.argmax(err))
    assert err[worst] <= REL, (
        f"{what}: rel error {err[worst]:.3g} at index {worst} ({engine[worst]} vs {ref[worst]})"
    )


def schedules(route):
    amount = st.floats(0.5, 120.0)
    start = st.floats(0.0, 300.0)
    if route == "iv":
        bolus = st.builds(Bolus, start, amount)
        infusion = st.builds(Infusion, start, st.floats(0.5, 120.0), amount)
        return st.lists(st.one_of(bolus, infusion), min_size=1, max_size=4)
    return st.lists(st.builds(Extravascular, start, amount, st.just(route)), min_size=1, max_size=4)


@pytest.mark.parametrize("key,route", COMBOS)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_matches_independent_ode_solution(key, route, data):
    model = models.get(key)
    events = data.draw(schedules(route))
    horizon = data.draw(st.floats(60.0, 900.0))
    grid = np.linspace(
        0.0, max(horizon, max(getattr(e, "start_min", getattr(e, "time_min", 0)) for e in events) + 60), 241
    )
    extra = np.array(data.draw(st.lists(st.floats(0.0, float(grid[-1])), min_size=0, max_size=10)))
    times = np.unique(np.concatenate([grid, extra]))
    sol = solver.solve(solver.individualise(model, _weight(key)), events)
    got = sol.evaluate(times, model.outputs)[0]
    ref = reference_solution(model, _weight(key), events, times)
    for i, name in enumerate(model.outputs):
        assert_close(got[i], ref[REF_ROW[name]], f"{key}/{route} {name}")


@pytest.mark.parametrize("key", list(models.PARAMETER_SETS))
def test_population_patients_match_reference(key):
    """Virtual patients with IIV (different micro constants per patient) solved in one batch."""
    from ketamine_clinic.core.pharmacology import population

    model = models.get(key)
    route = model.available_routes[0]
    events = (
        [Infusion(0.0, 40.0, 30.0)]
        if route == "iv"
        else [Extravascular(0.0, 28.0, route), Extravascular(5.0, 28.0, route)]
    )
    pats = population.sample(model, 5, _weight(key), seed=7)
    times = np.linspace(0, 600, 301)
    got = solver.solve(pats, events).evaluate(times, model.outputs)
    w = _weight(key) / 70
    for p in range(5):
        met = model.metabolite
        met_factors = (
            ()
            if met is None
            else (
                pats.metabolite_cl_l_per_min[p] / (met.clearance_l_per_min * w**model.clearance_exponent),
                pats.metabolite_v_l[p] / (met.volume_l * w**model.volume_exponent),
            )
        )
        factors = (
            pats.cl_l_per_min[p] / (model.cl_l_per_min * (_weight(key) / 70) ** model.clearance_exponent),
            pats.v1_l[p] / (model.v1_l * (_weight(key) / 70) ** model.volume_exponent),
            pats.q2_l_per_min[p] / (model.q2_l_per_min * (_weight(key) / 70) ** model.clearance_exponent)
            if model.compartments >= 2
            else 1.0,
            pats.v2_l[p] / (model.v2_l * (_weight(key) / 70) ** model.volume_exponent)
            if model.compartments >= 2
            else 1.0,
            pats.q3_l_per_min[p] / (model.q3_l_per_min * (_weight(key) / 70) ** model.clearance_exponent)
            if model.compartments >= 3
            else 1.0,
            pats.v3_l[p] / (model.v3_l * (_weight(key) / 70) ** model.volume_exponent)
            if model.compartments >= 3
            else 1.0,
            *met_factors,
        )
        ref = reference_solution(model, _weight(key), events, times, factors)
        for i, name in enumerate(model.outputs):
            assert_close(got[p, i], ref[REF_ROW[name]], f"{key} patient {p} {name}")


@pytest.mark.parametrize("key,route", COMBOS)
def test_mass_balance(key, route):
    """Drug absorbed = drug in the body + drug cleared (CL x exact AUC), at every time."""
    model = models.get(key)
    events = (
        [Bolus(0.0, 20.0), Infusion(30.0, 40.0, 35.0)]
        if route == "iv"
        else [Extravascular(0.0, 40.0, route), Extravascular(90.0, 20.0, route)]
    )
    pats = solver.individualise(model, _weight(key))
    sol = solver.solve(pats, events)
    lay = sol.layout
    body_idx = list(range(lay.routes and len(lay.routes) or 0)) + [lay.central, *lay.peripherals]
    times = np.array([0.0, 10.0, 45.0, 70.0, 100.0, 400.0, 2000.0])
    amounts = sol.evaluate(times, tuple(f"amount:{i}" for i in body_idx))[0].sum(axis=0)
    cleared = pats.cl_l_per_min[0] * sol.evaluate(times, ("plasma",), integral=True)[0, 0] / 1000.0
    if route == "iv":
        given_mg = np.where(times >= 0, 20.0, 0) + 35.0 * np.clip((times - 30.0) / 40.0, 0, 1)
    else:
        f = model.absorption(route).bioavailability
        given_mg = f * (40.0 * (times >= 0) + 20.0 * (times >= 90.0))
    np.testing.assert_allclose(amounts + cleared, given_mg, rtol=1e-9, atol=1e-9)
    if model.metabolite is not None:
        # Everything the parent eliminated forms metabolite (x fm x mass ratio): metabolite in the body plus
        # metabolite cleared (CLm x exact metabolite AUC) equals it at every time.
        met = model.metabolite
        m_amount = sol.evaluate(times, (f"amount:{lay.metabolite}",))[0, 0]
        m_cleared = (
            pats.metabolite_cl_l_per_min[0] * sol.evaluate(times, ("metabolite",), integral=True)[0, 0] / 1000.0
        )
        np.testing.assert_allclose(
            m_amount + m_cleared, met.fraction_formed * met.mass_ratio * cleared, rtol=1e-9, atol=1e-9
        )
        assert m_amount[-1] < 1e-6 * m_cleared[-1]  # long after the dose the metabolite is gone too


@pytest.mark.parametrize("key,route", COMBOS)
def test_linear_in_dose_and_superposition(key, route):
    model = models.get(key)
    pats = solver.individualise(model, _weight(key))
    times = np.linspace(0, 720, 361)
    if route == "iv":
        a, b = [Infusion(0.0, 40.0, 30.0)], [Bolus(200.0, 10.0)]
        a3 = [Infusion(0.0, 40.0, 90.0)]
    else:
        a, b = [Extravascular(0.0, 28.0, route)], [Extravascular(200.0, 56.0, route)]
        a3 = [Extravascular(0.0, 84.0, route)]
    ya = solver.solve(pats, a).evaluate(times)
    yb = solver.solve(pats, b).evaluate(times)
    yab = solver.solve(pats, a + b).evaluate(times)
    y3 = solver.solve(pats, a3).evaluate(times)
    np.testing.assert_allclose(y3, 3 * ya, rtol=1e-10, atol=1e-9 * ya.max())
    np.testing.assert_allclose(yab, ya + yb, rtol=1e-10, atol=1e-9 * yab.max())


@pytest.mark.parametrize("key,route", [(k, r) for k, r in COMBOS if models.get(k).has_effect_site])
def test_non_negative_and_effect_site_lags_plasma(key, route):
    model = models.get(key)
    events = [Infusion(0.0, 40.0, 35.0)] if route == "iv" else [Extravascular(0.0, 56.0, route)]
    sol = solver.solve(solver.individualise(model, _weight(key)), events)
    times = np.linspace(0, 1440, 14401)
    cp, ce = sol.concentrations(times)
    scale = cp.max()
    assert cp.min() >= -1e-12 * scale and ce.min() >= -1e-12 * scale
    # Effect site peaks after plasma and below it (ke0 equilibration delay).
    assert times[np.argmax(ce)] >= times[np.argmax(cp)]
    assert ce.max() <= cp.max()
    # While plasma is rising, the effect site is behind it.
    rising = np.nonzero(np.diff(cp[0]) > 0)[0][1:]
    assert np.all(ce[0, rising] < cp[0, rising])


def test_ill_conditioned_patient_uses_exact_matrix_exponential():
    """ka equal to ke0 makes the eigenvectors degenerate; the engine must switch paths and stay exact."""
    model = models.get("domino")
    ab = dataclasses.replace(model.absorption("im"), ka_per_min=model.ke0_per_min)
    odd = dataclasses.replace(model, routes=(ab,))
    events = [Extravascular(0.0, 50.0, "im")]
    sol = solver.solve(solver.individualise(odd, 70.0), events)
    assert not sol.modal.ok[0]
    times = np.linspace(0, 300, 121)
    got = sol.evaluate(times)[0]
    ref = reference_solution(odd, 70.0, events, times)
    assert_close(got[0], ref[0], "degenerate plasma")
    assert_close(got[1], ref[1], "degenerate effect")


METABOLITE_SETS = [k for k, ps in models.PARAMETER_SETS.items() if ps.metabolite is not None]


def test_a_published_metabolite_set_is_shipped():
    assert "flint" in METABOLITE_SETS


@pytest.mark.parametrize("key", METABOLITE_SETS)
def test_metabolite_is_non_negative_and_lags_the_parent(key):
    """Formed only from the parent: zero at the dose, rising to a peak after the parent's (bolus: parent at
    once, metabolite later; infusion: parent at the end of the infusion, metabolite after it)."""
    model = models.get(key)
    pats = solver.individualise(model, _weight(key))
    times = np.linspace(0, 600, 600 * 60 + 1)  # 1-s grid
    bolus = solver.solve(pats, [Bolus(0.0, 5.0)]).evaluate(times, ("plasma", "metabolite"))[0]
    cp, cm = bolus
    assert cp.min() >= -1e-12 * cp.max() and cm.min() >= -1e-12 * cm.max()
    assert abs(cm[0]) <= 1e-12 * cm.max() and times[np.argmax(cp)] == 0.0
    assert times[np.argmax(cm)] > 0.0
    assert np.all(np.diff(cm[: int(np.argmax(cm))]) > 0)  # rises from zero to its peak, no overshoot
    sol = solver.solve(pats, [Infusion(0.0, 60.0, 5.0)])
    inf = sol.evaluate(times, ("plasma", "metabolite"))[0]
    assert times[np.argmax(inf[0])] == pytest.approx(60.0) == times[np.argmax(inf[1])]
    # Flint's metabolite compartment is small and fast (Vsnk/Fm 1 L/70 kg), so the lag is a fraction of a
    # second after the infusion ends: look on a 1-ms grid around the end of the infusion.
    fine = np.linspace(59.5, 61.0, 90001)
    near = sol.evaluate(fine, ("plasma", "metabolite"))[0]
    t_parent, t_met = fine[np.argmax(near[0])], fine[np.argmax(near[1])]
    assert t_parent == pytest.approx(60.0, abs=1e-9)
    assert 60.0 < t_met < 61.0
    # While the parent rises, the metabolite is further below its own steady state than the parent is.
    i = int(np.searchsorted(times, 0.5))
    ss_ratio = pats.cl_l_per_min[0] * model.metabolite.fraction_formed * model.metabolite.mass_ratio
    ss_ratio /= pats.metabolite_cl_l_per_min[0]
    assert inf[1][i] < ss_ratio * inf[0][i]


@pytest.mark.parametrize("key", METABOLITE_SETS)
def test_metabolite_steady_state_is_parent_times_cl_over_cl_metabolite(key):
    """At steady state formation = elimination: Cm = fm x mass ratio x CL / CLm x Cp (exact, a month of
    infusion)."""
    model = models.get(key)
    pats = solver.individualise(model, _weight(key))
    sol = solver.solve(pats, [Infusion(0.0, 30 * 1440.0, 30 * 24 * 1.0)])
    cp, cm = sol.evaluate(np.array([30 * 1440.0 - 1.0]), ("plasma", "metabolite"))[0, :, 0]
    met = model.metabolite
    ratio = met.fraction_formed * met.mass_ratio * pats.cl_l_per_min[0] / pats.metabolite_cl_l_per_min[0]
    assert cm == pytest.approx(ratio * cp, rel=1e-9)
    assert cp * pats.cl_l_per_min[0] / 1000 * 60 == pytest.approx(1.0, rel=1e-9)  # 1 mg/h in, 1 mg/h out


@pytest.mark.parametrize("key", [k for k, ps in models.PARAMETER_SETS.items() if not ps.has_effect_site])
def test_effect_output_is_refused_clearly_without_an_effect_site(key):
    from ketamine_clinic.core.pharmacology import metrics

    model = models.get(key)
    sol = solver.solve(solver.individualise(model, _weight(key)), [Infusion(0.0, 40.0, 5.0)])
    assert sol.layout.effect is None
    assert "effect" not in model.outputs
    for call in (
        lambda: sol.evaluate([10.0], ("effect",)),
        lambda: sol.evaluate([10.0], ("plasma", "effect"), integral=True),
        lambda: sol.concentrations([10.0]),
        lambda: metrics.time_below(sol, 10.0, 600.0, output="effect"),
    ):
        with pytest.raises(models.ModelError, match=f"model '{key}' has no effect site.*no ke0"):
            call()
    s = metrics.summary(sol, np.linspace(0, 600, 601))
    assert s.ce_max_ng_per_ml is None and s.ce_tmax_min is None
    assert metrics.protocol_curve(sol).effect_ng_per_ml is None
    assert sol.evaluate([10.0]).shape == (1, len(model.outputs), 1)  # the set's own outputs by default


def test_metabolite_output_is_refused_clearly_without_a_metabolite_chain():
    sol = solver.solve(solver.individualise(models.get("domino"), 70.0), [Bolus(0.0, 5.0)])
    with pytest.raises(models.ModelError, match="model 'domino' has no metabolite chain"):
        sol.evaluate([10.0], ("metabolite",))
