"""Mutants of ``inventory/services.py`` from the sampled mutation run (docs/mutation.md, "Service layers") that
survived the suite, or got no result there and changed something no test checked: each test pins, through the
public services, the exact behaviour such a mutant changes (a refusal word for word and on its field, a stored
reference, what a count expects)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketamine_clinic.inventory import services as inventory
from ketamine_clinic.inventory.models import Discrepancy, Lot
from ketamine_clinic.sessions import custody  # a session's drug (draw, waste, its movements)

PASSWORD = "demo-password-1"


def test_a_draw_without_a_session_is_refused_on_the_session_field(stocked, safe, staff):
    with pytest.raises(ValidationError) as refused:
        custody.draw(actor=staff["nurse"], session=None, lot=stocked, location=safe, quantity_mcg=500_000)
    assert refused.value.message_dict == {"session": ["Choose the dosing session the drug is drawn for."]}
    assert inventory.stock_of(stocked.pk, safe.pk) == 2_000_000


def test_a_lot_number_longer_than_40_characters_is_refused_in_words(products, safe, staff):
    with pytest.raises(ValidationError) as refused:
        inventory.receive(
            actor=staff["nurse"], product=products["ketamine-50-10"], lot_number="L" * 41,
            expires_on=timezone.localdate() + dt.timedelta(days=300), location=safe, containers=1,
            supplier="Synthetic Wholesale Co", invoice="INV-41",
        )
    assert refused.value.message_dict == {"lot_number": ["A lot number has at most 40 characters."]}


def test_an_adjustment_names_its_discrepancy(stocked, safe, staff):
    """resolve_discrepancy(adjust=True): the count adjustment's reference is "Discrepancy <id>" and its reason
    the investigation's note."""
    inventory.perform_count(
        actor=staff["nurse"], witness=staff["director"], witness_password=PASSWORD, location=safe,
        counted={stocked.pk: 1_999_500},
    )
    d = Discrepancy.objects.get()
    d = inventory.resolve_discrepancy(
        actor=staff["nurse"], discrepancy=d, note="  Spill while drawing, confirmed ", adjust=True
    )
    entry = d.adjustment
    entry.refresh_from_db()
    assert (entry.kind, entry.quantity_mcg, entry.reference, entry.reason) == (
        "count_adjustment", -500, f"Discrepancy {d.pk}", "Spill while drawing, confirmed"
    )
    assert d.resolution_note == "Spill while drawing, confirmed" and not d.is_open


def test_a_count_expects_only_what_the_counted_safe_holds(products, stocked, safe, staff):
    """expected_in(location): the lots with stock in that safe only, not another safe's lots nor drug a session
    holds; so a count of Safe A needs figures for Safe A's lots alone."""
    from ketamine_clinic.inventory.models import StorageLocation

    safe_b = StorageLocation.objects.create(name="Safe B")
    inventory.receive(
        actor=staff["nurse"], product=products["ketamine-100-5"], lot_number="KY-202",
        expires_on=timezone.localdate() + dt.timedelta(days=250), location=safe_b, containers=2,
        supplier="Synthetic Wholesale Co", invoice="INV-2002",
    )
    other = Lot.objects.get(lot_number="KY-202")
    assert inventory.expected_in(safe) == {stocked.pk: 2_000_000}
    assert inventory.expected_in(safe_b) == {other.pk: 1_000_000}
    count = inventory.perform_count(
        actor=staff["nurse"], witness=staff["director"], witness_password=PASSWORD, location=safe,
        counted={stocked.pk: 2_000_000},
    )
    assert [(line.lot_id, line.expected_mcg, line.counted_mcg) for line in count.lines.all()] == [
        (stocked.pk, 2_000_000, 2_000_000)
    ]
