"""Every inventory page opens for the inventory roles and is refused to the others (403) or anonymous."""

import pytest
from django.urls import reverse

PAGES = [
    "home",
    "receive",
    "draw",
    "waste",
    "movement",
    "counts",
    "discrepancies",
    "reconciliation",
    "log",
    "report",
]


@pytest.mark.parametrize("name", PAGES)
def test_inventory_roles_open_every_page(name, staff, client_as, stocked):
    for role in ("director", "prescriber", "nurse"):
        response = client_as(staff[role]).get(reverse(f"inventory:{name}"))
        assert response.status_code == 200, (role, name)


@pytest.mark.parametrize("role", ["therapist", "front_desk"])
def test_other_roles_are_refused(role, staff, client_as, make_patient):
    client = client_as(staff[role])
    for name in PAGES:
        assert client.get(reverse(f"inventory:{name}")).status_code == 403, name
    assert client.post(reverse("inventory:receive"), {}).status_code == 403


def test_patient_and_anonymous_are_kept_out(staff, client_as, make_patient, client):
    patient = make_patient(with_login=True)
    assert client_as(patient.user).get(reverse("inventory:home")).status_code == 403
    response = client.get(reverse("inventory:home"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_home_shows_derived_stock_and_intact_ledger(staff, client_as, stocked):
    html = client_as(staff["nurse"]).get(reverse("inventory:home")).content.decode()
    assert "KX-101" in html and "2000 mg" in html and "Ledger intact" in html
