"""Controlled-substance products: content, form and the split of a balance into containers (mutation testing,
docs/mutation.md). ``vial()`` runs at import for the standard products, where no mutant is active, so it is
called here directly."""

import re
from decimal import Decimal

import pytest

from ketamine_clinic.core.inventory.products import STANDARD_PRODUCTS, ProductSpec, containers, vial

VIAL_50 = STANDARD_PRODUCTS[0]
DEVICE = STANDARD_PRODUCTS[2]


def test_a_vial_holds_concentration_times_volume_exactly():
    v = vial("k", "Ketamine 50 mg/mL x 10 mL", concentration_mg_per_ml="50", volume_ml="10", source="label")
    assert v == ProductSpec(
        key="k",
        name="Ketamine 50 mg/mL x 10 mL",
        drug="racemic ketamine",
        form="vial",
        unit_content_mcg=500_000,
        whole_units_only=False,
        dea_schedule="III",
        concentration_mg_per_ml=Decimal("50"),
        volume_ml=Decimal("10"),
        source="label",
    )
    assert v.unit_label == "vial"
    assert vial("k", "n", concentration_mg_per_ml="0.001", volume_ml="1", source="").unit_content_mcg == 1
    with pytest.raises(ValueError, match=r"^Vial content must be a whole number of micrograms\.$"):
        vial("k", "n", concentration_mg_per_ml="0.0015", volume_ml="1", source="")


def test_product_form_and_content_are_checked():
    assert DEVICE.unit_label == "device" and DEVICE.unit_content_mcg == 28_000 and DEVICE.whole_units_only
    with pytest.raises(ValueError, match=re.escape("Product form must be 'vial' or 'device', not 'ampoule'.")):
        ProductSpec("k", "n", "ketamine", "ampoule", 1, False)
    with pytest.raises(ValueError, match=r"^A container must hold a positive amount of drug\.$"):
        ProductSpec("k", "n", "ketamine", "vial", 0, False)
    assert ProductSpec("k", "n", "ketamine", "vial", 1, False).unit_content_mcg == 1
    # A device product built after import (STANDARD_PRODUCTS is built before a mutant is switched on).
    assert ProductSpec("e", "n", "esketamine", "device", 28_000, True).unit_label == "device"


def test_containers_split_a_balance_into_full_containers_and_the_rest():
    assert containers(VIAL_50, 0) == (0, 0)
    assert containers(VIAL_50, 1_250_000) == (2, 250_000)
    assert containers(DEVICE, 56_000) == (2, 0)
    with pytest.raises(ValueError, match=r"^A balance can never be negative\.$"):
        containers(VIAL_50, -1)
