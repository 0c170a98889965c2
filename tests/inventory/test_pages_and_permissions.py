"""Every inventory page opens for the inventory roles and is refused to the others (403) or anonymous."""

import pytest
from django.urls import reverse

from ketamine_clinic.sessions import custody

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


def test_a_correction_from_the_page_reverses_the_entry(
    stocked, safe, staff, client_as, make_patient, make_session
):
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import LedgerEntry

    session = make_session(make_patient(care_team=[staff["nurse"]]))
    drawn = custody.draw(
        actor=staff["nurse"], session=session, lot=stocked, location=safe, quantity_mcg=500_000
    )
    client = client_as(staff["nurse"])
    link = client.get(
        reverse("inventory:movement"), {"kind": "correction", "lot": stocked.pk, "corrects": drawn.sequence}
    )
    assert f'value="{drawn.sequence}"' in link.content.decode()
    data = {
        "kind": "correction",
        "lot": stocked.pk,
        "quantity_mg": "500",
        "corrects": drawn.sequence,
        "reason": "",
    }
    refused = client.post(reverse("inventory:movement"), data)
    assert "needs a reason" in refused.content.decode()
    client.post(reverse("inventory:movement"), dict(data, reason="Drawn for the wrong session"))
    assert LedgerEntry.objects.filter(kind="correction", corrects=drawn.sequence).count() == 1
    assert services.stock_of(stocked.pk, safe.pk) == 2_000_000
    assert (
        drawn.quantity_mcg == LedgerEntry.objects.get(pk=drawn.pk).quantity_mcg
    )  # the original is untouched
