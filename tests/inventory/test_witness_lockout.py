"""The witness's password is a second way to guess a colleague's password: it is throttled with the login page's
lock (django-axes, counted on the witness's username). A locked-out witness gets an error on the password field
(422 from the API, the form again on the page), never a 500, and nothing is recorded."""

import json

import pytest
from django.test import Client

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.inventory.models import LedgerEntry

pytestmark = pytest.mark.django_db
PASSWORD = "demo-password-1"


def waste(client, location, lot, password):
    body = {"lot_id": lot.pk, "quantity_mg": "1", "reason": "Vial dropped", "location_id": location.pk,
            "witness_username": "t_prescriber", "witness_password": password}
    return client.post("/api/inventory/waste", json.dumps(body), content_type="application/json")


def test_a_locked_out_witness_is_refused_even_with_the_right_password_until_unlocked(
    stocked, safe, staff, client_as
):
    from ketamine_clinic.accounts.services import unlock

    nurse = client_as(staff["nurse"])
    before = LedgerEntry.objects.count()
    answers = [waste(nurse, safe, stocked, "guess") for _ in range(5)]
    assert [a.status_code for a in answers] == [422] * 5
    assert "password is not correct" in json.dumps(answers[0].json())
    assert "Too many failed sign-ins" in json.dumps(answers[4].json())
    right = waste(nurse, safe, stocked, PASSWORD)
    assert right.status_code == 422 and "ask the medical director to unlock" in json.dumps(right.json())
    assert "witness_password" in json.dumps(right.json())
    assert LedgerEntry.objects.count() == before

    # The same lock as the login page: the prescriber cannot sign in either.
    login = Client().post("/login/", {"username": "t_prescriber", "password": PASSWORD})
    assert login.status_code == 429

    # The page answers with the form and the error on the witness's password, not a 500.
    page = nurse.post("/inventory/waste/", {
        "lot": stocked.pk, "quantity_mg": "1", "reason": "Vial dropped", "location": safe.pk,
        "witness": staff["prescriber"].pk, "witness_password": PASSWORD,
    })
    assert page.status_code == 200 and b"Too many failed sign-ins" in page.content
    assert LedgerEntry.objects.count() == before

    failed = AuditEvent.objects.filter(action="login_failed", detail__username="t_prescriber",
                                       detail__second_person="witness")
    assert failed.count() >= 6 and all(row.user == staff["nurse"] for row in failed)
    assert AuditEvent.objects.filter(action="login_locked_out", detail__second_person="witness").exists()

    unlock(staff["prescriber"], by=staff["director"])
    done = waste(nurse, safe, stocked, PASSWORD)
    assert done.status_code == 201, done.json()
    assert LedgerEntry.objects.count() == before + 1
