"""The sessions contract: draw_for_dose() at dose confirmation puts the drug in the session's custody;
record_administration() at the end of dosing records what was delivered from it. Each refuses, rolling back."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from ketamine_clinic.core.inventory import held_by, stock
from ketamine_clinic.sessions import custody


def test_confirmed_dose_draws_a_whole_vial_into_the_sessions_custody(
    stocked, safe, staff, make_patient, make_session
):
    from ketamine_clinic.audit.models import AuditEvent
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import LedgerEntry

    patient = make_patient(care_team=[staff["nurse"]])
    session = make_session(patient)
    drawn = custody.draw_for_dose(session=session, lot_id=stocked.pk, dose_mg="35", user=staff["nurse"])
    assert drawn.kind == "drawn" and drawn.quantity_mcg == 500_000 and drawn.location_id == safe.pk
    assert not LedgerEntry.objects.filter(kind="administered").exists()  # nothing given yet
    balances = services.lot_balances(stocked.pk)
    assert balances[stock(safe.pk)] == 1_500_000  # one 500 mg vial drawn out of 2000 mg
    assert balances[held_by(session.pk)] == 500_000
    assert AuditEvent.objects.filter(patient=patient, action="create", object_id=str(drawn.pk)).exists()
    # Confirming again (e.g. a corrected dose) draws nothing more while the session holds enough.
    assert (
        custody.draw_for_dose(session=session, lot_id=stocked.pk, dose_mg="70", user=staff["nurse"]) is None
    )


def test_delivered_dose_is_administered_from_what_the_session_holds(
    stocked, safe, staff, make_patient, make_session
):
    from ketamine_clinic.audit.models import AuditEvent
    from ketamine_clinic.inventory import services

    patient = make_patient(care_team=[staff["nurse"]])
    session = make_session(patient)
    custody.draw_for_dose(session=session, lot_id=stocked.pk, dose_mg="35", user=staff["nurse"])
    entry = custody.record_administration(
        session=session, lot_id=stocked.pk, dose_mg="20", user=staff["nurse"], reason="stopped early"
    )
    assert entry.kind == "administered" and entry.quantity_mcg == 20_000 and entry.session_id == session.pk
    balances = services.lot_balances(stocked.pk)
    assert balances[stock(safe.pk)] == 1_500_000  # administering draws nothing
    assert balances[held_by(session.pk)] == 480_000  # remainder awaiting witnessed waste
    assert AuditEvent.objects.filter(patient=patient, action="create", object_id=str(entry.pk)).exists()


def test_more_than_the_session_holds_is_refused_and_nothing_is_drawn(
    stocked, safe, staff, make_patient, make_session
):
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import LedgerEntry

    session = make_session(make_patient(care_team=[staff["nurse"]]))
    with pytest.raises(ValidationError, match="holds 0 mg"):
        custody.record_administration(session=session, lot_id=stocked.pk, dose_mg="35", user=staff["nurse"])
    custody.draw_for_dose(session=session, lot_id=stocked.pk, dose_mg="35", user=staff["nurse"])
    with pytest.raises(ValidationError, match="holds 500 mg of lot KX-101; 500.001 mg cannot"):
        custody.record_administration(
            session=session, lot_id=stocked.pk, dose_mg="500.001", user=staff["nurse"]
        )
    assert list(LedgerEntry.objects.values_list("kind", flat=True)) == ["received", "drawn"]
    assert services.lot_balances(stocked.pk)[stock(safe.pk)] == 1_500_000


def test_float_dose_from_a_dose_rule_is_recorded_to_the_microgram(stocked, staff, make_patient, make_session):
    session = make_session(make_patient(care_team=[staff["nurse"]]))
    custody.draw_for_dose(session=session, lot_id=stocked.pk, dose_mg=0.5 * 71.3, user=staff["nurse"])
    entry = custody.record_administration(
        session=session, lot_id=stocked.pk, dose_mg=0.5 * 71.3, user=staff["nurse"]
    )
    assert entry.quantity_mcg == 35_650


def test_insufficient_stock_raises_and_rolls_back_the_callers_transaction(
    lot, safe, staff, make_patient, make_session
):
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import LedgerEntry
    from ketamine_clinic.patients.models import Patient

    services.receive(
        actor=staff["nurse"],
        product=lot.product,
        lot_number=lot.lot_number,
        expires_on=lot.expires_on,
        location=safe,
        containers=1,
        supplier="S",
        invoice="I",
    )
    patient = make_patient(care_team=[staff["nurse"]])
    session = make_session(patient)
    with pytest.raises(ValidationError, match="Not enough of lot KX-101"):
        with transaction.atomic():
            Patient.objects.filter(pk=patient.pk).update(allergies="changed in the same transaction")
            custody.draw_for_dose(session=session, lot_id=lot.pk, dose_mg="600", user=staff["nurse"])
    patient.refresh_from_db()
    assert patient.allergies != "changed in the same transaction"
    assert LedgerEntry.objects.count() == 1  # only the receipt


def test_expired_lot_is_refused(products, safe, staff, make_patient, make_session):
    from django.utils import timezone

    from ketamine_clinic.inventory.models import LedgerEntry, Lot

    old = Lot.objects.create(
        product=products["ketamine-50-10"],
        lot_number="OLD-1",
        expires_on=timezone.localdate() - dt.timedelta(days=1),
    )
    session = make_session(make_patient(care_team=[staff["nurse"]]))
    for record in (custody.draw_for_dose, custody.record_administration):
        with pytest.raises(ValidationError, match="expired"):
            record(session=session, lot_id=old.pk, dose_mg="35", user=staff["nurse"])
        with pytest.raises(ValidationError, match="no stock lot"):
            record(session=session, lot_id=99999, dose_mg="35", user=staff["nurse"])
    assert not LedgerEntry.objects.exists()


def test_ledger_rows_cannot_be_updated_or_deleted(stocked):
    from ketamine_clinic.inventory.models import LedgerEntry

    entry = LedgerEntry.objects.get()
    entry.reason = "edited"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        LedgerEntry.objects.filter(pk=entry.pk).update(reason="edited")
    with pytest.raises(PermissionError):
        LedgerEntry.objects.all().delete()
    assert LedgerEntry.objects.get().reason == ""
