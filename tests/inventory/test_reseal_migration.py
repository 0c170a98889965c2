"""Migration 0004 re-seals a ledger chained the old way (plain SHA-256) with the ledger key, maps the stock
counts' recorded hashes to the new seals and seals the head; an old chain already broken is not sealed in."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from ketamine_clinic.sessions import custody

PASSWORD = "demo-password-1"
reseal = importlib.import_module("ketamine_clinic.inventory.migrations.0004_reseal_ledger_with_key")


def _run(forward):
    reseal._migrate(apps, SimpleNamespace(connection=connection), forward=forward)


@pytest.fixture
def old_ledger(stocked, safe, staff, make_patient, make_session):
    """Four entries and a count, then re-chained with the unkeyed hash as before issue 12."""
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import Count, LedgerEntry

    session = make_session(make_patient(care_team=[staff["nurse"]]))
    custody.draw_for_dose(session=session, lot_id=stocked.pk, dose_mg="35", user=staff["nurse"])
    services.perform_count(
        actor=staff["nurse"],
        witness=staff["prescriber"],
        witness_password=PASSWORD,
        location=safe,
        counted=services.expected_in(safe),
    )
    custody.record_administration(session=session, lot_id=stocked.pk, dose_mg="35", user=staff["nurse"])
    _run(forward=False)
    count = Count.objects.get()
    assert count.chain_hash == LedgerEntry.objects.get(sequence=2).hash and count.chain_sequence is None
    return count


def test_backwards_the_ledger_is_plain_sha256_which_no_longer_verifies(old_ledger):
    from ketamine_clinic.core.inventory import unkeyed_chain_break, unkeyed_entry_hash
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import LedgerEntry

    rows = [r.as_core() for r in LedgerEntry.objects.order_by("sequence")]
    assert unkeyed_chain_break(rows) is None and all(e.hash == unkeyed_entry_hash(e) for e in rows)
    result = services.verify_ledger()
    assert not result.ok and result.broken.sequence == 1 and "plain SHA-256" in result.broken.reason


def test_forward_reseals_maps_counts_and_seals_the_head(old_ledger, capsys):
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import Count, LedgerEntry, LedgerHead

    _run(forward=True)
    result = services.verify_ledger()
    assert result.ok and result.entries == 3 and result.counts == 1, result.message
    count = Count.objects.get()
    assert (count.chain_sequence, count.chain_hash) == (2, LedgerEntry.objects.get(sequence=2).hash)
    head = LedgerHead.objects.get()
    assert (head.sequence, head.count, head.hash) == (3, 3, LedgerEntry.objects.get(sequence=3).hash)
    if connection.vendor == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'"
    with connection.cursor() as cursor:  # the append-only trigger is back (and on)
        cursor.execute(sql)
        assert "inventory_ledgerentry_no_change" in {r[0] for r in cursor.fetchall()}
    assert "WARNING" not in capsys.readouterr().out


def test_an_old_chain_already_broken_is_not_sealed_in(old_ledger, capsys):
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import LedgerEntry

    third = LedgerEntry.objects.get(sequence=3)
    with connection.cursor() as cursor:  # tampered before the upgrade
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS inventory_ledgerentry_no_change")
        cursor.execute("UPDATE inventory_ledgerentry SET quantity_mcg = 5000 WHERE id = %s", [third.pk])
    _run(forward=True)
    assert "already broken at entry 3" in capsys.readouterr().out
    result = services.verify_ledger()
    assert not result.ok and result.broken.sequence == 3
