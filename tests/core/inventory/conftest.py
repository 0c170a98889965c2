"""Shared fixtures for the pure ledger tests: a vial lot, a device lot and an expired lot."""

from datetime import UTC, date, datetime

import pytest

from ketamine_clinic.core.inventory import STANDARD_PRODUCTS, Ledger, LotSpec

VIAL, _, DEVICE = STANDARD_PRODUCTS
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
KEY = b"test-ledger-key-for-the-pure-core"
LOTS = {
    "K1": LotSpec("K1", VIAL, date(2027, 6, 30), "K1-2406"),
    "E1": LotSpec("E1", DEVICE, date(2027, 3, 31), "E1-2403"),
    "OLD": LotSpec("OLD", VIAL, date(2026, 11, 1), "OLD-2311"),
}


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def lots():
    return dict(LOTS)


@pytest.fixture
def key():
    return KEY


@pytest.fixture
def ledger():
    return Ledger(lots=dict(LOTS), key=KEY)
