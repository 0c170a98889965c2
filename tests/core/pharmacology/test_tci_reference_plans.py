"""TCI computed in runs of updates (core.pharmacology.tci) against the plans of the update-by-update planner it
replaced, saved in tci_reference_plans.json (written by tci.py as of commit 84542d1: effect-site plans for
Domino with a pump limit, target changes up and down, 5/10/15-s updates, a shortened last update and every other
set with an effect site; plasma plans likewise, with a set without an effect site), and against the independent
ODE reference (pk_reference: solve_ivp of the hand-written model, fed the new rates). Effect site: it reaches
each target, holds it within 1% once settled, never goes more than 1% above it. Plasma: it is on the target at
every update once reached and never above a raised target. Rates within [0, the pump's maximum].
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from pk_reference import reference_solution

from ketamine_clinic.core.pharmacology import models, tci

REFERENCE = json.loads((Path(__file__).parent / "tci_reference_plans.json").read_text())["cases"]
EFFECT = [c for c in REFERENCE if c["site"] == "effect"]
PLASMA = [c for c in REFERENCE if c["site"] == "plasma"]
HOLD = 0.01
OVERSHOOT = 1e-6
#: After an effect-site target is first touched the pump is off until the next update and plasma, falling back
#: from its overshoot, dips below the effect site for a moment (see tci.py): the effect site is checked within
#: HOLD from this many updates after the target is reached, and within the dip allowance before that.
SETTLE_UPDATES = 8
DIP_PER_S = 0.003


def _plan(case):
    target = case["target"]
    if not isinstance(target, float):
        target = [tuple(step) for step in target]
    return tci.plan(
        models.get(case["model"]),
        case["weight"],
        target,
        case["duration"],
        site=case["site"],
        update_s=case["update_s"],
        max_rate_mg_per_h=case["max_rate"],
    )


def _windows(plan):
    """(target, reached, start, end) of each target: from the update it applies at to the next change."""
    edges = [math.ceil(t / plan.update_min - 1e-9) * plan.update_min for t, _ in plan.targets[1:]]
    edges.append(plan.duration_min + 1.0)
    starts = [0.0, *edges[:-1]]
    levels = [c for _, c in plan.targets]
    return list(zip(levels, plan.reached_min, starts, edges, strict=True))


@pytest.mark.parametrize("case", REFERENCE, ids=[c["name"] for c in REFERENCE])
def test_same_plan_as_the_update_by_update_planner(case):
    plan = _plan(case)
    old = np.array(case["rates_mg_per_h"])
    assert plan.rates_mg_per_h.shape == old.shape
    # Rounding only: the old planner's "nothing" was sometimes 1e-13 mg/h, hence the absolute part.
    assert np.allclose(plan.rates_mg_per_h, old, rtol=1e-9, atol=1e-9 * case["max_rate"])
    assert np.allclose(plan.concentration_ng_per_ml, case["concentration_ng_per_ml"], rtol=1e-9, atol=1e-9)
    if case["effect_site_ng_per_ml"] is None:
        assert plan.effect_site_ng_per_ml is None
    else:
        assert np.allclose(plan.effect_site_ng_per_ml, case["effect_site_ng_per_ml"], rtol=1e-9, atol=1e-9)
    assert plan.reached_min == pytest.approx(tuple(case["reached_min"]), abs=1e-9)
    assert plan.total_mg == pytest.approx(case["total_mg"], rel=1e-10)


@pytest.mark.parametrize("case", EFFECT, ids=[c["name"] for c in EFFECT])
def test_effect_site_rates_simulated_independently_reach_and_hold_the_target(case):
    plan = _plan(case)
    r = plan.rates_mg_per_h
    assert r.min() >= 0.0 and r.max() <= case["max_rate"]
    grid = np.arange(0, math.floor(plan.duration_min * 120 + 1e-9) + 1) / 120.0  # every 0.5 s to the pump stop
    ce = reference_solution(models.get(case["model"]), plan.weight_kg, plan.events(), grid)[1]
    previous = 0.0
    for level, reached, start, end in _windows(plan):
        window = (grid >= start) & (grid < end)
        if level > previous:
            # Reached (within 0.5%), and never more than 1% above the target.
            assert ce[window].max() >= level * (1 - tci.REACHED_FRACTION)
            assert ce[window].max() <= level * (1 + HOLD)
        after = window & (grid >= reached)
        if after.any():
            assert ce[after].max() <= level * (1 + HOLD)
            assert ce[after].min() >= level * (1 - max(HOLD, DIP_PER_S * case["update_s"]))
        settled = window & (grid >= reached + SETTLE_UPDATES * plan.update_min)
        if settled.any():
            assert np.max(np.abs(ce[settled] - level)) <= level * HOLD
        previous = level


@pytest.mark.parametrize("case", PLASMA, ids=[c["name"] for c in PLASMA])
def test_plasma_rates_simulated_independently_reach_and_hold_the_target(case):
    plan = _plan(case)
    r = plan.rates_mg_per_h
    assert r.min() >= 0.0 and r.max() <= case["max_rate"]
    grid = np.arange(0, math.floor(plan.duration_min * 60 + 1e-9) + 1) / 60.0  # every second to the pump stop
    model = models.get(case["model"])
    cp = reference_solution(model, plan.weight_kg, plan.events(), grid)[0]
    at_updates = reference_solution(model, plan.weight_kg, plan.events(), plan.times_min)[0]
    previous = 0.0
    for level, reached, start, end in _windows(plan):
        window = (grid >= start) & (grid < end)
        if level > previous:
            assert cp[window].max() <= level * (1 + OVERSHOOT)
        after = window & (grid >= reached)
        if after.any():
            assert np.max(np.abs(cp[after] - level)) <= level * HOLD
        on = (plan.times_min >= reached - 1e-9) & (plan.times_min < end)
        assert np.allclose(at_updates[on], level, rtol=1e-8)
        previous = level


#: Plans on which the update-by-update planner's hold cap sat on a knife edge (the effect site on the target to
#: 1e-10, so rounding decided between the hold rate and a pump-off update): it disturbed the settled effect
#: site by 0.1-0.2% (and switched the pump off once in the Domino plan). Found among random plans.
KNIFE_EDGE = [
    ("esketamine", 41.72859892977806, [(0.0, 176.60753583080503)], 12.751965801957086, 15.0, 933.076248370195),
    ("esketamine", 142.9376063893027, [(0.0, 261.0962164970317)], 34.29859445485604, 15.0, 1375.7463510415516),
    (
        "domino",
        63.98002250091059,
        [(0.0, 278.8066837340374), (12.882, 322.9583439241942), (19.062, 114.28221241621499)],
        37.28000552232222,
        5.0,
        186.6223987986245,
    ),
]


@pytest.mark.parametrize("key,weight,targets,duration,update_s,max_rate", KNIFE_EDGE)
def test_settled_hold_is_not_disturbed_by_rounding(key, weight, targets, duration, update_s, max_rate):
    plan = tci.plan(
        models.get(key), weight, targets, duration, site="effect", update_s=update_s, max_rate_mg_per_h=max_rate
    )
    ce_ref = reference_solution(models.get(key), weight, plan.events(), plan.times_min)[1]
    for level, reached, _, end in _windows(plan):
        settled = (plan.times_min >= reached + SETTLE_UPDATES * plan.update_min) & (plan.times_min < end)
        assert np.all(plan.rates_mg_per_h[settled] > 0.0)  # the pump is never switched off once settled
        if len(plan.targets) == 1:
            assert np.max(np.abs(ce_ref[settled] - level)) <= 1e-5 * level
        else:
            assert np.max(np.abs(ce_ref[settled] - level)) <= 1e-3 * level
