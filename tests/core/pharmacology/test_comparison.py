"""Protocols side by side (core.pharmacology.comparison): linear kinetics scale the mg/kg rows; TCI holds its target."""

import pytest

from ketamine_clinic.core.pharmacology import comparison, models


def test_the_three_protocols_for_a_70_kg_patient():
    standard, higher, target = comparison.compare(models.get("domino"), 70.0, threshold_ng_per_ml=50.0)
    assert (standard.total_mg, higher.total_mg) == (pytest.approx(35.0), pytest.approx(52.5))
    # Linear kinetics: 1.5 times the dose, 1.5 times the peak and the exposure.
    assert higher.cmax_ng_per_ml == pytest.approx(1.5 * standard.cmax_ng_per_ml, rel=1e-6)
    assert higher.auc_ng_h_per_ml == pytest.approx(1.5 * standard.auc_ng_h_per_ml, rel=1e-6)
    assert standard.tmax_min == pytest.approx(40.0)
    assert higher.below_min > standard.below_min > 40.0
    # The TCI holds 150 ng/mL without overshoot, with less drug than the standard and a lower exposure.
    assert not target.problem
    assert target.cmax_ng_per_ml == pytest.approx(150.0, rel=0.01)
    assert target.total_mg < standard.total_mg and target.auc_ng_h_per_ml < standard.auc_ng_h_per_ml


def test_an_unreachable_tci_is_a_row_with_its_reason():
    rows = comparison.compare(models.get("domino"), 70.0, threshold_ng_per_ml=50.0, tci_target_ng_per_ml=-1.0)
    assert rows[2].problem and rows[2].below_min is None
    assert rows[0].problem == ""
