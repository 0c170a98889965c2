"""The verify command finds a ledger row altered directly in the database (bypassing the application)."""

import pytest
from django.core.management import call_command
from django.db import connection


def _tamper(sql, params):
    """Alter a row as someone with database-owner rights would: drop the append-only trigger, then UPDATE."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A superuser can switch triggers off for this transaction (replication role).
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS inventory_ledgerentry_no_change")
        cursor.execute(sql, params)


def test_trigger_refuses_a_plain_update(stocked):
    from django.db import DatabaseError, transaction

    from ketamine_clinic.inventory.models import LedgerEntry

    entry = LedgerEntry.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE inventory_ledgerentry SET quantity_mcg = 1 WHERE id = %s", [entry.pk])


def test_intact_ledger_verifies(stocked, staff, make_patient, make_session, capsys):
    from ketamine_clinic.cli import main
    from ketamine_clinic.inventory import services

    session = make_session(make_patient())
    services.draw_for_dose(session=session, lot_id=stocked.pk, dose_mg="35", user=staff["nurse"])
    services.record_administration(session=session, lot_id=stocked.pk, dose_mg="35", user=staff["nurse"])
    assert main(["verify-ledger"]) == 0
    assert "3 entries" in capsys.readouterr().out


def test_altered_quantity_is_detected_and_named(stocked, staff, make_patient, make_session, capsys):
    from ketamine_clinic.cli import main
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import LedgerEntry

    session = make_session(make_patient())
    services.draw_for_dose(session=session, lot_id=stocked.pk, dose_mg="35", user=staff["nurse"])
    services.record_administration(session=session, lot_id=stocked.pk, dose_mg="35", user=staff["nurse"])
    administered = LedgerEntry.objects.get(kind="administered")
    _tamper("UPDATE inventory_ledgerentry SET quantity_mcg = %s WHERE id = %s", [25_000, administered.pk])
    assert main(["verify-ledger"]) == 1
    err = capsys.readouterr().err
    assert f"entry {administered.sequence}" in err and "altered" in err
    with pytest.raises(SystemExit) as exc:
        call_command("verify_ledger")
    assert exc.value.code == 1


def test_deleted_row_is_detected(stocked, staff, make_patient, make_session):
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import LedgerEntry

    session = make_session(make_patient())
    services.draw_for_dose(session=session, lot_id=stocked.pk, dose_mg="35", user=staff["nurse"])
    services.record_administration(session=session, lot_id=stocked.pk, dose_mg="35", user=staff["nurse"])
    drawn = LedgerEntry.objects.get(kind="drawn")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A superuser can switch triggers off for this transaction (replication role).
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM inventory_ledgerentry WHERE id = %s", [drawn.pk])
    result = services.verify_ledger()
    assert not result.ok and result.broken.sequence == drawn.sequence + 1


def test_kind_altered_to_nonsense_is_reported_not_crashed(stocked):
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import LedgerEntry

    entry = LedgerEntry.objects.get()
    _tamper("UPDATE inventory_ledgerentry SET kind = %s WHERE id = %s", ["vanished", entry.pk])
    result = services.verify_ledger()
    assert not result.ok and result.broken.sequence == entry.sequence and "unreadable" in result.message


def test_home_page_raises_the_alarm_after_tampering(stocked, staff, client_as):
    from django.urls import reverse

    from ketamine_clinic.inventory.models import LedgerEntry

    entry = LedgerEntry.objects.get()
    _tamper("UPDATE inventory_ledgerentry SET quantity_mcg = %s WHERE id = %s", [5_000_000, entry.pk])
    html = client_as(staff["director"]).get(reverse("inventory:home")).content.decode()
    assert "Ledger TAMPERED at entry 1" in html
