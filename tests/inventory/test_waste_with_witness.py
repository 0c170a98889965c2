"""Witnessed waste: a second, different staff member confirms with their own password; both are recorded."""

from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.sessions import custody

PASSWORD = "demo-password-1"


def _drawn(stocked, safe, staff, make_patient, make_session):
    session = make_session(make_patient(care_team=[staff["nurse"]]))
    custody.draw(actor=staff["nurse"], session=session, lot=stocked, location=safe, quantity_mcg=500_000)
    custody.record_administration(session=session, lot_id=stocked.pk, dose_mg="35", user=staff["nurse"])
    return session


def _post(client, session, lot, **overrides):
    data = {
        "session": session.pk,
        "lot": lot.pk,
        "quantity_mg": "465",
        "reason": "Unused remainder",
        "witness": "",
        "witness_password": PASSWORD,
    }
    data.update(overrides)
    return client.post(reverse("inventory:waste"), data)


def test_waste_page_records_both_people(stocked, safe, staff, make_patient, make_session, client_as):
    from ketamine_clinic.inventory.models import LedgerEntry

    session = _drawn(stocked, safe, staff, make_patient, make_session)
    page = client_as(staff["nurse"]).get(
        reverse("inventory:waste") + f"?session={session.pk}&lot={stocked.pk}"
    )
    assert 'value="465"' in page.content.decode()  # pre-filled with what the session still holds
    response = _post(client_as(staff["nurse"]), session, stocked, witness=staff["prescriber"].pk)
    assert response.status_code == 302
    entry = LedgerEntry.objects.get(kind="wasted")
    assert entry.recorded_by == staff["nurse"] and entry.witness == staff["prescriber"]
    assert entry.quantity_mcg == 465_000
    assert custody.reconciliation(
        timezone.localdate(entry.occurred_at), timezone.localdate(entry.occurred_at)
    )[0].balanced


def test_wrong_password_self_witness_and_overwaste_are_refused_and_save_nothing(
    stocked, safe, staff, make_patient, make_session, client_as
):
    from ketamine_clinic.inventory.models import LedgerEntry

    session = _drawn(stocked, safe, staff, make_patient, make_session)
    client = client_as(staff["nurse"])
    before = LedgerEntry.objects.count()
    bad = _post(client, session, stocked, witness=staff["prescriber"].pk, witness_password="wrong-password")
    assert bad.status_code == 200 and "password is not correct" in bad.content.decode()
    self_witness = _post(client, session, stocked, witness=staff["nurse"].pk)
    assert "different staff member" in self_witness.content.decode()
    too_much = _post(client, session, stocked, witness=staff["prescriber"].pk, quantity_mg="466")
    assert "Not enough" in too_much.content.decode()
    assert "Nothing was recorded" in too_much.content.decode()
    assert LedgerEntry.objects.count() == before


def test_therapist_cannot_witness(stocked, safe, staff, make_patient, make_session, client_as):
    import pytest
    from django.core.exceptions import ValidationError


    session = _drawn(stocked, safe, staff, make_patient, make_session)
    with pytest.raises(ValidationError, match="may not witness"):
        custody.waste(
            actor=staff["nurse"],
            witness=staff["therapist"],
            witness_password=PASSWORD,
            lot=stocked,
            quantity_mcg=465_000,
            reason="remainder",
            session=session,
        )
