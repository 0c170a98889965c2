"""The code table (core.interop.codes) is well formed: LOINC check digits compute, RxNorm ids are numbers,
units are UCUM units the clinic uses, every standard code says where it was checked, and every instrument
the clinic gives has a code for its result and each item."""

import re

import pytest

from ketamine_clinic.core.instruments import INSTRUMENTS
from ketamine_clinic.core.interop import codes

LOINC_SHAPE = re.compile(r"^(\d{1,7})-(\d)$")


def loinc_codes():
    return [c for c in codes.all_codes() if c.system == codes.LOINC]


@pytest.mark.parametrize("code", loinc_codes(), ids=lambda c: c.code)
def test_loinc_check_digit(code):
    match = LOINC_SHAPE.match(code.code)
    assert match, code
    assert codes.loinc_check_digit(match.group(1)) == int(match.group(2)), code


@pytest.mark.parametrize("base, digit", [("8480", 6), ("8462", 4), ("8867", 4), ("44261", 6), ("70274", 6),
                                         ("29463", 7), ("59408", 5)])
def test_check_digit_of_known_codes(base, digit):
    assert codes.loinc_check_digit(base) == digit


@pytest.mark.parametrize("typo", ["8840", "8408", "4480", "44216"])
def test_a_typo_changes_the_check_digit(typo):
    # Swapped or wrong digits of 8480-6 / 44261-6 do not pass as the real code's check digit.
    assert codes.loinc_check_digit(typo) != 6


def test_rxnorm_ids_are_numbers():
    rx = [c for c in codes.all_codes() if c.system == codes.RXNORM]
    assert rx
    assert all(c.code.isdigit() for c in rx)


def test_units_are_the_clinics_ucum_units():
    units = {c.unit for c in codes.all_codes() if c.unit}
    assert units <= codes.UCUM_UNITS
    assert codes.VITALS["sbp"].unit == "mm[Hg]" and codes.VITALS["hr"].unit == "/min"


def test_every_standard_code_cites_its_source_and_local_ones_are_local():
    for c in codes.all_codes():
        assert not c.is_local
        assert c.source and c.source.startswith("https://"), c
    assert codes.drug("sertraline").is_local
    assert codes.drug("sertraline").system == codes.LOCAL_DRUGS
    assert all(s.startswith(codes.LOCAL_BASE + "/") for s in codes.LOCAL_SYSTEMS)


def test_codes_are_unique():
    keys = [(c.system, c.code) for c in codes.all_codes()]
    assert len(keys) == len(set(keys))


def test_every_instrument_has_a_result_and_item_codes():
    for key, inst in INSTRUMENTS.items():
        total = codes.instrument_total(key, inst.short_name)
        assert total.code
        item_codes = [codes.instrument_item(key, inst.short_name, n).code for n in range(1, inst.n_items + 1)]
        assert len(set(item_codes)) == inst.n_items
    # Standard item codes exist only for real items of the instrument.
    for key, items in codes.INSTRUMENT_ITEMS.items():
        assert set(items) <= set(range(1, INSTRUMENTS[key].n_items + 1))


def test_verified_and_local_instrument_codes():
    assert codes.instrument_total("phq9", "PHQ-9").code == "44261-6"
    assert codes.instrument_total("gad7", "GAD-7").code == "70274-6"
    assert codes.instrument_item("phq9", "PHQ-9", 1).code == "44250-9"
    assert codes.instrument_item("cssrs_screener", "C-SSRS", 7).code == "93269-9"
    local = codes.instrument_total("cadss", "CADSS")
    assert (local.system, local.code) == (codes.LOCAL_INSTRUMENTS, "cadss-total")
    assert codes.instrument_item("phq9", "PHQ-9", 9).code == "44260-8"
    assert codes.instrument_item("gad7", "GAD-7", 1).is_local  # not verified: see the module's docstring


def test_drugs():
    assert codes.drug("racemic ketamine", 100).code == "238083"
    assert codes.drug("racemic ketamine", 10).is_local  # another strength: not the 100 mg/mL RxCUI
    assert codes.drug("esketamine", 100).is_local
    assert codes.drug("Venlafaxine XR").code == "venlafaxine-xr"
