"""Counts by two staff; a difference opens a discrepancy that stays open until resolved with a note."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

PASSWORD = "demo-password-1"


def test_matching_count_opens_nothing(stocked, safe, staff, client_as):
    from ketamine_clinic.inventory.models import Count, Discrepancy

    response = client_as(staff["nurse"]).post(
        reverse("inventory:count_new", args=[safe.pk]),
        {f"lot_{stocked.pk}": "2000", "witness": staff["director"].pk, "witness_password": PASSWORD},
    )
    assert response.status_code == 302
    assert Count.objects.get().lines.get().expected_mcg == 2_000_000
    assert not Discrepancy.objects.exists()


def test_short_count_opens_a_discrepancy_resolved_with_an_adjustment(stocked, safe, staff, client_as):
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import Discrepancy

    client = client_as(staff["nurse"])
    client.post(
        reverse("inventory:count_new", args=[safe.pk]),
        {f"lot_{stocked.pk}": "1999.5", "witness": staff["director"].pk, "witness_password": PASSWORD},
    )
    d = Discrepancy.objects.get()
    assert d.is_open and d.line.difference_mcg == -500
    assert "1 open discrepancy" in client.get(reverse("inventory:home")).content.decode()

    empty = client.post(reverse("inventory:resolve", args=[d.pk]), {"note": "  ", "adjust": "on"})
    assert empty.status_code == 200
    d.refresh_from_db()
    assert d.is_open

    client.post(
        reverse("inventory:resolve", args=[d.pk]), {"note": "Spill while drawing, confirmed", "adjust": "on"}
    )
    d.refresh_from_db()
    assert not d.is_open and d.resolved_by == staff["nurse"]
    assert d.adjustment.kind == "count_adjustment" and d.adjustment.quantity_mcg == -500
    assert services.stock_of(stocked.pk, safe.pk) == 1_999_500
    with pytest.raises(ValidationError, match="already resolved"):
        services.resolve_discrepancy(actor=staff["nurse"], discrepancy=d, note="again", adjust=False)


def test_count_needs_a_figure_for_every_lot_and_a_real_witness(stocked, safe, staff):
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import Count

    with pytest.raises(ValidationError, match="missing: KX-101"):
        services.perform_count(
            actor=staff["nurse"],
            witness=staff["director"],
            witness_password=PASSWORD,
            location=safe,
            counted={},
        )
    with pytest.raises(ValidationError, match="password"):
        services.perform_count(
            actor=staff["nurse"],
            witness=staff["director"],
            witness_password="nope",
            location=safe,
            counted={stocked.pk: 2_000_000},
        )
    assert not Count.objects.exists()
