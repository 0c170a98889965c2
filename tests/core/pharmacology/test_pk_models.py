"""Parameter sets: citations present, fitted numbers re-derived, sanity against published observations."""

import dataclasses
import math

import numpy as np
import pytest

from ketamine_clinic.core.pharmacology import metrics, models, schedule, solver
from ketamine_clinic.core.pharmacology.schedule import Bolus, Extravascular


@pytest.mark.parametrize("key", list(models.PARAMETER_SETS))
def test_every_set_is_cited_and_complete(key):
    ps = models.get(key)
    assert ps.citation.authors and ps.citation.year and ps.citation.journal
    assert ps.disposition_source and ps.ke0_source
    assert ps.variability is not None and ps.variability.source
    assert 1 <= ps.compartments <= 3
    assert ps.weight_range_kg[0] < ps.weight_range_kg[1]
    for ab in ps.routes:
        assert 0 < ab.bioavailability <= 1 and ab.ka_per_min > 0
        assert ab.bioavailability_source and ab.ka_source


def test_required_sets_exist_with_published_numbers():
    d = models.get("domino")
    pats = solver.individualise(d, 70.0)
    m = pats.micro()
    assert pats.v1_l[0] == pytest.approx(0.063 * 70)
    for k, v in {"k10": 0.4381, "k12": 0.5921, "k13": 0.5900, "k21": 0.2470, "k31": 0.0146}.items():
        assert m[k][0] == pytest.approx(v, rel=1e-12)
    assert models.get("domino").citation.pmid == "7198883"
    assert models.get("clements").citation.pmid == "7459184"
    herd = models.get("herd")
    assert (herd.v1_l, herd.v2_l, herd.cl_l_per_min * 60, herd.q2_l_per_min * 60) == (
        38.7,
        102.0,
        90.0,
        215.0,
    )
    assert models.get("esketamine").absorption("intranasal").bioavailability == 0.48


def test_unknown_model_and_bad_route_and_weight_are_clear_errors():
    with pytest.raises(models.ModelError, match="unknown model"):
        models.get("propofol")
    with pytest.raises(models.ModelError, match="no parameters for route 'im'"):
        models.get("esketamine").check_route("im")
    with pytest.raises(models.ModelError, match="outside model 'herd' range"):
        solver.individualise(models.get("herd"), 90.0)
    with pytest.raises(schedule.ScheduleError):
        schedule.iv_infusion(-1.0, 40.0)


def _tpeak_effect(ps, weight=70.0):
    sol = solver.solve(solver.individualise(ps, weight), [Bolus(0.0, 10.0)])
    t = np.linspace(0, 5, 50001)
    return t[np.argmax(sol.evaluate(t, ("effect",))[0, 0])]


@pytest.mark.parametrize("key", ["domino", "clements", "hornik", "esketamine"])
def test_ke0_gives_time_to_peak_effect_of_one_minute(key):
    """The 'tpeak 1 min' ke0 values claimed in the data really give tpeak 1 min at 70 kg."""
    assert _tpeak_effect(models.get(key)) == pytest.approx(1.0, abs=0.01)


def test_herd_ke0_is_the_published_11_second_half_time():
    assert math.log(2) / models.get("herd").ke0_per_min * 60 == pytest.approx(11.0)


@pytest.mark.parametrize(
    "key,route,target",
    [
        (k, r, t)
        for k in ("domino", "clements")
        for r, t in (("im", 20.0), ("intranasal", 20.0), ("sublingual", 45.0), ("oral", 58.0))
    ],
)
def test_fitted_ka_reproduces_target_tmax(key, route, target):
    sol = solver.solve(solver.individualise(models.get(key), 70.0), [Extravascular(0.0, 50.0, route)])
    t = np.linspace(0, 300, 300001)
    assert t[np.argmax(sol.evaluate(t, ("plasma",))[0, 0])] == pytest.approx(target, abs=0.05)


def test_esketamine_fit_reproduces_label_clearance_volume_and_half_life():
    ps = models.get("esketamine")
    pats = solver.individualise(ps, 70.0)
    assert pats.cl_l_per_min[0] * 60 == pytest.approx(89.0)  # label CL ~89 L/h
    assert pats.v1_l[0] + pats.v2_l[0] == pytest.approx(709.0)  # label Vss ~709 L
    K = solver.system_matrix(pats, solver.layout_for(ps, [Bolus(0, 1)]))[0]
    # disposition eigenvalues (exclude the effect site row/col)
    lay = solver.layout_for(ps, [Bolus(0, 1)])
    idx = [lay.central, *lay.peripherals]
    lam = np.sort(-np.linalg.eigvals(K[np.ix_(idx, idx)]).real)
    assert math.log(2) / lam[0] / 60 == pytest.approx(9.5)  # terminal half-life within label 7-12 h
    assert 7 <= math.log(2) / lam[0] / 60 <= 12
    assert math.log(2) / lam[1] == pytest.approx(40.0)  # chosen alpha half-life


@pytest.mark.parametrize("dose_mg", [56.0, 84.0])
def test_esketamine_nasal_spray_tmax_is_20_to_40_min_after_last_device(dose_mg):
    events = schedule.spravato_devices(dose_mg)
    last_device = max(ev.time_min for ev in events)
    sol = solver.solve(solver.individualise(models.get("esketamine"), 70.0), events)
    t = np.linspace(0, 24 * 60, 24 * 60 * 10 + 1)
    cp = sol.evaluate(t, ("plasma",))[0, 0]
    tmax_after_last = t[np.argmax(cp)] - last_device
    assert 20.0 <= tmax_after_last <= 40.0
    # Terminal log-linear slope between 12 and 24 h gives a half-life inside the label's 7-12 h.
    i12, i24 = np.searchsorted(t, 12 * 60), np.searchsorted(t, 24 * 60)
    half_life_h = math.log(2) / (math.log(cp[i12] / cp[i24]) / (t[i24] - t[i12])) / 60
    assert 7.0 <= half_life_h <= 12.0


def test_esketamine_exposure_is_dose_proportional_28_to_84_mg():
    # Label: exposure roughly dose-proportional 28-84 mg; a linear model makes AUC(0-inf) exactly so.
    pats = solver.individualise(models.get("esketamine"), 70.0)
    aucs = [metrics.auc(solver.solve(pats, schedule.spravato_devices(d)), 1e6)[0] for d in (28, 56, 84)]
    assert aucs[1] / aucs[0] == pytest.approx(2.0, rel=1e-6)
    assert aucs[2] / aucs[0] == pytest.approx(3.0, rel=1e-6)


def test_spravato_devices_must_be_whole_devices():
    assert [ev.time_min for ev in schedule.spravato_devices(84)] == [0.0, 5.0, 10.0]
    with pytest.raises(schedule.ScheduleError, match="whole 28 mg devices"):
        schedule.spravato_devices(70)


def test_domino_standard_antidepressant_infusion_peak():
    """0.5 mg/kg over 40 min in 70 kg: Domino predicts a peak at the end of the infusion of ~240 ng/mL, inside
    the 100-250 ng/mL order reported for antidepressant infusions (clinical-reference sheet; Zanos et al.,
    Pharmacol Rev 2018). Not tuned: this is what the published constants give."""
    sol = solver.solve(solver.individualise(models.get("domino"), 70.0), schedule.iv_infusion(35.0, 40.0))
    s = metrics.summary(sol, np.linspace(0, 240, 24001))
    assert 100.0 <= s.cmax_ng_per_ml[0] <= 250.0
    assert s.tmax_min[0] == pytest.approx(40.0, abs=0.02)


def test_weight_scaling_per_kg_and_allometric():
    d = models.get("domino")
    a, b = solver.individualise(d, 50.0), solver.individualise(d, 100.0)
    assert b.v1_l[0] / a.v1_l[0] == pytest.approx(2.0)
    assert b.micro()["k10"][0] == pytest.approx(a.micro()["k10"][0])
    h = models.get("hornik")
    a, b = solver.individualise(h, 10.0), solver.individualise(h, 40.0)
    assert b.cl_l_per_min[0] / a.cl_l_per_min[0] == pytest.approx(4.0**0.75)
    assert b.v1_l[0] / a.v1_l[0] == pytest.approx(4.0)


def test_metabolite_chain_mass_conversion():
    """A set with a metabolite: the metabolite formed equals fm x parent eliminated (molar-mass converted)."""
    met = models.Metabolite(
        "norketamine",
        0.8,
        100.0,
        1.0,
        models.NORKETAMINE_G_PER_MOL / models.KETAMINE_G_PER_MOL,
        "test-only numbers",
    )
    ps = dataclasses.replace(models.get("domino"), metabolite=met)
    pats = solver.individualise(ps, 70.0)
    sol = solver.solve(pats, [Bolus(0.0, 30.0)])
    t = np.array([30.0, 120.0, 600.0])
    lay = sol.layout
    m_amount = sol.evaluate(t, (f"amount:{lay.metabolite}",))[0, 0]
    parent_cleared = pats.cl_l_per_min[0] * sol.evaluate(t, ("plasma",), integral=True)[0, 0] / 1000
    met_cleared = 1.0 * sol.evaluate(t, ("metabolite",), integral=True)[0, 0] / 1000
    np.testing.assert_allclose(m_amount + met_cleared, 0.8 * met.mass_ratio * parent_cleared, rtol=1e-9)


def test_flint_published_numbers_and_metabolite_scale():
    """Flint 2017 Table 3 at 70 kg; the metabolite on the paper's apparent scale (Fm and molar mass folded
    into CLsnk/Fm and Vsnk/Fm: formation = the parent's whole elimination, no conversion)."""
    f = models.get("flint")
    assert f.citation.doi == "10.1111/pan.13239" and f.drug == "esketamine"
    assert (f.cl_l_per_min * 60, f.v1_l, f.q2_l_per_min * 60, f.v2_l) == pytest.approx((112.0, 7.73, 196.0, 545.0))
    assert (f.volume_exponent, f.clearance_exponent, f.reference_weight_kg) == (1.0, 0.75, 70.0)
    met = f.metabolite
    assert met.name == "S-norketamine"
    assert (met.clearance_l_per_min * 60, met.volume_l) == pytest.approx((53.2, 1.0))
    assert (met.fraction_formed, met.mass_ratio) == (1.0, 1.0)
    assert f.available_routes == ("iv",)
    # No published ke0 and none invented: no effect site.
    assert f.ke0_per_min is None and not f.has_effect_site
    assert f.outputs == ("plasma", "metabolite")
    with pytest.raises(models.ModelError, match="no effect site"):
        f.check_effect_site()
    # The omitted time-after-first-dose effect on CLsnk is said, with its size.
    assert "0.870%/h" in f.notes and "+20.9% at 24 h" in f.notes and "+62.6% at 72 h" in f.notes
    # Allometric scaling of the metabolite like the parent (0.75 clearance, 1.0 volume).
    a, b = solver.individualise(f, 5.0), solver.individualise(f, 20.0)
    assert b.metabolite_cl_l_per_min[0] / a.metabolite_cl_l_per_min[0] == pytest.approx(4.0**0.75)
    assert b.metabolite_v_l[0] / a.metabolite_v_l[0] == pytest.approx(4.0)


def test_flint_variability_with_correlated_clearances():
    """IIV on CL (40.2%) and CLsnk/Fm (104%) only, correlation 0.506, as log-normal omegas
    (omega^2 = ln(1 + CV^2)); the sampled log-parameters show those SDs and that correlation."""
    from ketamine_clinic.core.pharmacology import population

    f = models.get("flint")
    iiv = f.variability
    assert iiv.cl == pytest.approx(math.sqrt(math.log(1 + 0.402**2)))
    assert iiv.metabolite_cl == pytest.approx(math.sqrt(math.log(1 + 1.04**2)))
    assert iiv.cl_metabolite_cl_correlation == 0.506
    assert iiv.v1 == iiv.q2 == iiv.v2 == iiv.metabolite_v == 0.0
    pats = population.sample(f, 200_000, 10.0, seed=3)
    typical = solver.individualise(f, 10.0)
    eta_cl = np.log(pats.cl_l_per_min / typical.cl_l_per_min[0])
    eta_m = np.log(pats.metabolite_cl_l_per_min / typical.metabolite_cl_l_per_min[0])
    assert eta_cl.std() == pytest.approx(iiv.cl, rel=0.01)
    assert eta_m.std() == pytest.approx(iiv.metabolite_cl, rel=0.01)
    assert np.corrcoef(eta_cl, eta_m)[0, 1] == pytest.approx(0.506, abs=0.01)
    for name in ("v1_l", "q2_l_per_min", "v2_l", "metabolite_v_l"):
        np.testing.assert_allclose(getattr(pats, name), getattr(typical, name)[0], rtol=1e-15)
    a, b = population.sample(f, 50, 10.0, seed=4), population.sample(f, 50, 10.0, seed=4)
    np.testing.assert_array_equal(a.metabolite_cl_l_per_min, b.metabolite_cl_l_per_min)  # same seed, same


def test_sets_without_a_metabolite_draw_exactly_as_before():
    """Adding the metabolite rows did not change the virtual patients of the existing sets for a given seed."""
    from ketamine_clinic.core.pharmacology import population

    d = models.get("domino")
    pats = population.sample(d, 20, 70.0, seed=11)
    iiv = d.variability
    eta = np.random.default_rng(11).standard_normal((6, 20)) * np.array(
        [iiv.cl, iiv.v1, iiv.q2, iiv.v2, iiv.q3, iiv.v3]
    )[:, None]
    np.testing.assert_array_equal(pats.cl_l_per_min, d.cl_l_per_min * np.exp(eta[0]))
    np.testing.assert_array_equal(pats.v3_l, d.v3_l * np.exp(eta[5]))
    assert pats.metabolite_cl_l_per_min is None


@pytest.mark.parametrize("weight,age", [(70.0, 40.0), (36.0, None), (30.0, 13.0), (30.0, 18.0), (3.0, 0.5)])
def test_flint_refuses_patients_outside_its_picu_study(weight, age):
    """Flint 2017 studied 3.4-35 kg, 0.02-12.5 y children: adults (and older children) are refused."""
    with pytest.raises(models.ModelError, match="outside model 'flint' range"):
        models.get("flint").check_patient(weight, age)
    models.get("flint").check_patient(7.0, 0.5)


def test_flint_is_never_the_cli_default():
    import argparse

    from ketamine_clinic.cli import simulate

    parser = argparse.ArgumentParser()
    simulate.register(parser.add_subparsers())
    args = parser.parse_args(["simulate", "--dose-mg", "10", "--weight-kg", "70"])
    assert args.model == "domino"
