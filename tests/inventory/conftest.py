"""Fixtures for the controlled-substance ledger tests: products, a lot, a safe, sessions."""

import datetime as dt

import pytest
from django.utils import timezone

PASSWORD = "demo-password-1"


@pytest.fixture
def products(db):
    from ketamine_clinic.demo.inventory import ensure_products

    return ensure_products()


@pytest.fixture
def safe(db):
    from ketamine_clinic.inventory.models import StorageLocation

    return StorageLocation.objects.create(name="Safe A", description="Treatment room safe")


@pytest.fixture
def lot(products):
    from ketamine_clinic.inventory.models import Lot

    return Lot.objects.create(
        product=products["ketamine-50-10"],
        lot_number="KX-101",
        expires_on=timezone.localdate() + dt.timedelta(days=300),
    )


@pytest.fixture
def stocked(lot, safe, staff):
    """Lot KX-101 with 4 vials (2000 mg) received into Safe A."""
    from ketamine_clinic.inventory import services

    services.receive(
        actor=staff["nurse"],
        product=lot.product,
        lot_number=lot.lot_number,
        expires_on=lot.expires_on,
        location=safe,
        containers=4,
        supplier="Synthetic Wholesale Co",
        invoice="INV-1001",
    )
    return lot


@pytest.fixture
def make_session(db):
    from ketamine_clinic.sessions.models import DosingSession

    def make(patient, **fields):
        fields.setdefault("route", "iv")
        fields.setdefault("scheduled_for", timezone.now())
        return DosingSession.objects.create(patient=patient, **fields)

    return make
