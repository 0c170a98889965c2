"""The engine's evaluation paths agree with each other and with the independent ODE reference.

Evenly spaced output times (the usual grid) go through a row-blocked matrix product (``_evaluate_grid``), other
times through one exponential per mode and time (``_evaluate_direct``); one patient uses LAPACK directly, a
batch uses ``np.linalg.eig``. These tests pin each path against the other and against ``pk_reference``, with
dose events on grid times, between grid times, several inside one row, before and after the output window.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pk_reference import reference_solution
from test_pk_exactness import assert_close

from ketamine_clinic.core.pharmacology import models, solver
from ketamine_clinic.core.pharmacology.schedule import Bolus, Extravascular, Infusion


def _direct(sol, times, outputs=("plasma", "effect")):
    """The same outputs evaluated in pieces too short for the grid path (each < _GRID_MIN_TIMES times)."""
    step = solver._GRID_MIN_TIMES - 1
    return np.concatenate(
        [sol.evaluate(times[i : i + step], outputs) for i in range(0, times.shape[0], step)], axis=2
    )


def _agree(a, b, rel=1e-11):
    peak = np.max(np.abs(b))
    np.testing.assert_allclose(a, b, rtol=rel, atol=rel * peak)


def test_grid_detection():
    assert solver._grid_step(np.arange(0, 4 * 3600 + 1) / 60.0) == pytest.approx(1 / 60)
    assert solver._grid_step(np.arange(0.0, 14 * 1440 + 1)) == 1.0
    assert solver._grid_step(np.linspace(30.0, 900.0, 241)) == pytest.approx(870.0 / 240)
    assert solver._grid_step(np.arange(0, 8 * 3600 + 1) / 60.0 + 1e6) is not None  # large offsets too
    t = np.arange(0, 1000) / 60.0
    for bad in (1e-9, np.nan, np.inf):
        u = t.copy()
        u[500] += bad
        assert solver._grid_step(u) is None
    assert solver._grid_step(t[::-1]) is None
    assert solver._grid_step(np.zeros(100)) is None
    assert solver._grid_step(t[:10]) is None  # too short to pay off


events_iv = st.lists(
    st.one_of(
        st.builds(Bolus, st.floats(0.0, 300.0), st.floats(0.5, 80.0)),
        st.builds(Infusion, st.floats(0.0, 300.0), st.floats(0.5, 90.0), st.floats(0.5, 80.0)),
        # Events exactly on minute marks (on grid times) as clinics schedule them.
        st.builds(Infusion, st.integers(0, 300).map(float), st.sampled_from([40.0, 60.0]), st.just(35.0)),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    events=events_iv,
    start=st.floats(0.0, 200.0),
    step=st.sampled_from([1 / 60, 0.25, 1.0, 7.3]),
    count=st.integers(64, 3000),
)
def test_grid_path_matches_direct_path(events, start, step, count):
    sol = solver.solve(solver.individualise(models.get("domino"), 70.0), events)
    times = start + step * np.arange(count)
    assert solver._grid_step(times) is not None
    _agree(sol.evaluate(times), _direct(sol, times))


def test_grid_path_with_many_events_in_one_row_and_absorbing_route():
    model = models.get("esketamine")
    events = [Extravascular(t, 28.0, "intranasal") for t in (10.0, 10.05, 10.1, 10.5, 61.3, 400.0)]
    sol = solver.solve(solver.individualise(model, 70.0), events)
    times = np.arange(0, 12 * 3600 + 1) / 60.0  # 1-s output for 12 h: rows of ~208 s hold several doses
    got = sol.evaluate(times, ("plasma", "effect", "amount:0"))
    _agree(got, _direct(sol, times, ("plasma", "effect", "amount:0")))


@pytest.mark.parametrize("key", ["domino", "clements", "hornik", "flint"])
def test_grid_path_matches_independent_ode_solution(key):
    model = models.get(key)
    weight = {"hornik": 20.0, "flint": 7.0}.get(key, 70.0)
    # Doses on and between grid times; the window starts before the first dose.
    events = [Bolus(3.3, 10.0), Infusion(20.0, 40.0, 30.0), Infusion(33.7, 12.25, 5.0), Bolus(200.0, 5.0)]
    times = np.arange(0, 6 * 60 * 4 + 1) / 4.0  # every 15 s for 6 h
    assert solver._grid_step(times) is not None
    got = solver.solve(solver.individualise(model, weight), events).evaluate(times)[0]  # the set's outputs
    ref = reference_solution(model, weight, events, times)
    for i, name in enumerate(model.outputs):
        assert_close(got[i], ref[{"plasma": 0, "effect": 1, "metabolite": 3}[name]], f"{key} {name} (grid path)")


def test_unsorted_times_give_the_same_values_in_the_caller_order():
    sol = solver.solve(solver.individualise(models.get("domino"), 70.0), [Infusion(0.0, 40.0, 35.0)])
    times = np.arange(0, 2001) / 10.0
    order = np.random.default_rng(3).permutation(times.shape[0])
    np.testing.assert_array_equal(sol.evaluate(times[order]), sol.evaluate(times)[:, :, order])
    np.testing.assert_array_equal(sol.evaluate(times[::-1]), sol.evaluate(times)[:, :, ::-1])


def test_one_patient_path_matches_batched_path():
    """A single patient (LAPACK directly) and the same patient inside a batch (np.linalg.eig) agree."""
    model = models.get("domino")
    events = [Bolus(0.0, 20.0), Infusion(10.0, 40.0, 35.0), Extravascular(100.0, 50.0, "im")]
    times = np.linspace(0.0, 600.0, 1201)
    one = solver.solve(solver.individualise(model, 70.0), events)
    many = solver.solve(solver.individualise(model, np.array([55.0, 70.0, 90.0])), events)
    assert one.modal.ok.all() and many.modal.ok.all()
    _agree(one.evaluate(times)[0], many.evaluate(times)[1], rel=1e-10)
    _agree(one.evaluate(times, integral=True)[0], many.evaluate(times, integral=True)[1], rel=1e-10)


def test_infusion_rates_are_exactly_zero_after_every_infusion_ends():
    sol = solver.solve(
        solver.individualise(models.get("domino"), 70.0),
        [Infusion(0.0, 40.0, 35.0 / 3.0), Infusion(10.0, 7.1, 0.1), Infusion(100.0, 40.0, 1.0 / 3.0)],
    )
    rates = sol.inputs.rates[0, :, sol.layout.central]
    breaks = sol.inputs.breaks.tolist()
    assert rates[breaks.index(40.0)] == 0.0 and rates[-1] == 0.0


@pytest.mark.parametrize(
    "times",
    [np.array([0.0, np.nan, 2.0]), np.array([0.0, np.inf]), np.zeros((2, 2)), np.full(100, np.nan)],
)
def test_bad_times_are_clear_errors(times):
    sol = solver.solve(solver.individualise(models.get("domino"), 70.0), [Bolus(0.0, 10.0)])
    with pytest.raises(ValueError, match="finite minutes"):
        sol.evaluate(times)


def test_bad_weights_and_doses_are_clear_errors():
    from ketamine_clinic.core.pharmacology.schedule import ScheduleError

    domino = models.get("domino")
    for w in (np.nan, [70.0, np.nan], -1.0, [70.0, 0.0]):
        with pytest.raises(models.ModelError, match="positive number of kg"):
            solver.individualise(domino, w)
    with pytest.raises(models.ModelError, match="outside model"):
        solver.individualise(domino, [70.0, 200.0])
    pats = solver.individualise(domino, [60.0, 70.0])
    for amount in (np.nan, np.array([1.0, np.nan]), np.array([1.0, -1.0])):
        with pytest.raises(ScheduleError, match="finite, non-negative"):
            solver.solve(pats, [Bolus(0.0, amount)])
    with pytest.raises(ValueError, match="one per patient"):
        solver.solve(pats, [Bolus(0.0, np.array([1.0, 2.0, 3.0]))])
