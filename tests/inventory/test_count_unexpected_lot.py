"""A count may include a lot the ledger does not expect in that safe (e.g. a returned vial never logged): the
two staff add a line for it, and the difference against the derived balance (zero) opens a discrepancy."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

PASSWORD = "demo-password-1"


@pytest.fixture
def other_lot(products):
    """Lot KX-202 on record but never received into Safe A."""
    from ketamine_clinic.inventory.models import Lot

    return Lot.objects.create(
        product=products["ketamine-50-10"],
        lot_number="KX-202",
        expires_on=timezone.localdate() + dt.timedelta(days=200),
    )


def _post(client, safe, data):
    return client.post(reverse("inventory:count_new", args=[safe.pk]), data)


def test_the_count_page_offers_other_lots_but_not_the_expected_ones(
    stocked, other_lot, safe, staff, client_as
):
    html = client_as(staff["nurse"]).get(reverse("inventory:count_new", args=[safe.pk])).content.decode()
    assert f'name="lot_{stocked.pk}"' in html  # the expected lot, counted as usual
    found = html[html.index('name="found_lot_1"') : html.index("</select>", html.index('name="found_lot_1"'))]
    assert "KX-202" in found and "KX-101" not in found
    assert "2000" not in html  # the ledger figure stays hidden: the count is independent


def test_an_unexpected_lot_found_becomes_an_open_discrepancy(stocked, other_lot, safe, staff, client_as):
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import Count, Discrepancy

    client = client_as(staff["nurse"])
    response = _post(
        client,
        safe,
        {
            f"lot_{stocked.pk}": "2000",
            "found_rows": "1",
            "found_lot_1": other_lot.pk,
            "found_mg_1": "500",
            "witness": staff["director"].pk,
            "witness_password": PASSWORD,
        },
    )
    assert response.status_code == 302
    count = Count.objects.get()
    assert {(line.lot.lot_number, line.expected_mcg, line.counted_mcg) for line in count.lines.all()} == {
        ("KX-101", 2_000_000, 2_000_000),
        ("KX-202", 0, 500_000),
    }
    d = Discrepancy.objects.get()
    assert d.is_open and d.line.lot == other_lot and d.line.difference_mcg == 500_000
    assert services.stock_of(other_lot.pk, safe.pk) == 0  # the ledger is untouched until resolved
    follow = client.get(response["Location"]).content.decode()
    assert "1 discrepancy opened" in follow and "not expected in this safe" in follow
    listed = client.get(reverse("inventory:discrepancies")).content.decode()
    assert "KX-202" in listed and "500 mg over" in listed

    # Resolving with an adjustment brings the found vial onto the ledger in Safe A.
    client.post(
        reverse("inventory:resolve", args=[d.pk]), {"note": "Returned vial never logged", "adjust": "on"}
    )
    assert services.stock_of(other_lot.pk, safe.pk) == 500_000


def test_a_safe_the_ledger_calls_empty_can_still_record_a_found_vial(other_lot, safe, staff, client_as):
    from ketamine_clinic.inventory.models import Discrepancy

    client = client_as(staff["nurse"])
    page = client.get(reverse("inventory:count_new", args=[safe.pk])).content.decode()
    assert "lists no stock in Safe A" in page
    _post(
        client,
        safe,
        {
            "found_lot_1": other_lot.pk,
            "found_mg_1": "250",
            "witness": staff["director"].pk,
            "witness_password": PASSWORD,
        },
    )
    assert Discrepancy.objects.get().line.difference_mcg == 250_000


@pytest.mark.parametrize(
    "row, message",
    [
        ({"found_lot_1": "LOT", "found_mg_1": ""}, "Enter the amount of lot KX-202 counted."),
        ({"found_lot_1": "", "found_mg_1": "500"}, "Choose which lot you found"),
        ({"found_lot_1": "LOT", "found_mg_1": "-1"}, "Counts are zero or more."),
        ({"found_lot_1": "LOT", "found_mg_1": "half"}, "mg"),
        ({"found_lot_1": "EXPECTED", "found_mg_1": "500"}, "already listed above"),
        ({"found_lot_1": "999999", "found_mg_1": "500"}, "Choose one from the list"),
    ],
)
def test_bad_found_rows_are_clear_errors_and_nothing_is_lost(
    row, message, stocked, other_lot, safe, staff, client_as
):
    from ketamine_clinic.inventory.models import Count

    row = {k: {"LOT": str(other_lot.pk), "EXPECTED": str(stocked.pk)}.get(v, v) for k, v in row.items()}
    response = _post(
        client_as(staff["nurse"]),
        safe,
        {
            f"lot_{stocked.pk}": "1999.5",
            "note": "Evening count",
            "witness": staff["director"].pk,
            "witness_password": PASSWORD,
            "found_rows": "1",
            **row,
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and "Nothing was recorded" in html
    assert message in html
    assert 'value="1999.5"' in html and 'value="Evening count"' in html  # what was typed is kept
    assert not Count.objects.exists()


def test_the_same_lot_twice_is_refused(stocked, other_lot, safe, staff, client_as):
    from ketamine_clinic.inventory.models import Count

    response = _post(
        client_as(staff["nurse"]),
        safe,
        {
            f"lot_{stocked.pk}": "2000",
            "found_rows": "2",
            "found_lot_1": other_lot.pk,
            "found_mg_1": "500",
            "found_lot_2": other_lot.pk,
            "found_mg_2": "500",
            "witness": staff["director"].pk,
            "witness_password": PASSWORD,
        },
    )
    assert "already on line 1" in response.content.decode()
    assert not Count.objects.exists()


def test_add_a_row_keeps_what_was_typed_and_saves_nothing(stocked, other_lot, safe, staff, client_as):
    from ketamine_clinic.inventory.models import Count

    response = _post(
        client_as(staff["nurse"]),
        safe,
        {
            f"lot_{stocked.pk}": "2000",
            "found_rows": "1",
            "found_lot_1": other_lot.pk,
            "found_mg_1": "500",
            "witness": staff["director"].pk,
            "witness_password": PASSWORD,
            "add_line": "1",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and not Count.objects.exists()
    assert 'name="found_lot_2"' in html and 'name="found_rows" value="2"' in html
    assert 'value="2000"' in html and 'value="500"' in html
    assert "Nothing was recorded" not in html  # not an error, just one more row
    assert PASSWORD not in html


def test_witness_and_roles_still_apply(stocked, other_lot, safe, staff, client_as):
    from ketamine_clinic.inventory.models import Count

    data = {
        f"lot_{stocked.pk}": "2000",
        "found_lot_1": other_lot.pk,
        "found_mg_1": "500",
        "witness": staff["nurse"].pk,
        "witness_password": PASSWORD,
    }
    same = _post(client_as(staff["nurse"]), safe, data)
    assert "different staff member" in same.content.decode()
    for role in ("therapist", "front_desk"):
        assert (
            _post(client_as(staff[role]), safe, dict(data, witness=staff["director"].pk)).status_code == 403
        )
    assert not Count.objects.exists()


def test_the_api_count_accepts_an_unexpected_lot(stocked, other_lot, safe, staff, client_as):
    from ketamine_clinic.inventory.models import Discrepancy

    response = client_as(staff["nurse"]).post(
        "/api/inventory/counts",
        {
            "location_id": safe.pk,
            "counted_mg": {str(stocked.pk): "2000", str(other_lot.pk): "500"},
            "witness_username": staff["director"].username,
            "witness_password": PASSWORD,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert [Discrepancy.objects.get(pk=pk).line.lot for pk in response.json()["discrepancies"]] == [other_lot]
