"""The verifier finds ledger rows altered, deleted (in the middle or the newest) or rewritten and re-hashed
directly in the database, bypassing the application, and names the first bad entry; the service, the
`ketamine-clinic verify-ledger` command (exit 1) and `manage verify_ledger` agree."""

import hashlib

import pytest
from django.core.management import call_command
from django.db import connection

from ketamine_clinic.core.inventory import GENESIS_HASH, unkeyed_entry_hash
from ketamine_clinic.sessions import custody


def _tamper(sql, params=()):
    """Change rows as someone with database-owner rights would: switch the append-only trigger off, then
    run ``sql``."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A superuser can switch triggers off for this transaction (replication role).
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS inventory_ledgerentry_no_change")
        cursor.execute(sql, params)


@pytest.fixture
def dosed(stocked, staff, make_patient, make_session):
    """Four entries: received, drawn (one vial), administered 35 mg, wasted the rest."""

    session = make_session(make_patient(care_team=[staff["nurse"]]))
    custody.draw_for_dose(session=session, lot_id=stocked.pk, dose_mg="35", user=staff["nurse"])
    custody.record_administration(session=session, lot_id=stocked.pk, dose_mg="35", user=staff["nurse"])
    custody.waste(
        actor=staff["nurse"],
        witness=staff["prescriber"],
        witness_password="demo-password-1",
        lot=stocked,
        quantity_mcg=465_000,
        reason="Unused remainder",
        session=session,
    )
    return session


def _cli(capsys):
    from ketamine_clinic.cli import main

    code = main(["verify-ledger"])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_trigger_refuses_a_plain_update(stocked):
    from django.db import DatabaseError, transaction

    from ketamine_clinic.inventory.models import LedgerEntry

    entry = LedgerEntry.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE inventory_ledgerentry SET quantity_mcg = 1 WHERE id = %s", [entry.pk])


def test_a_plain_delete_is_refused_on_postgresql_and_caught_by_the_head_on_sqlite(stocked):
    """PostgreSQL's trigger refuses DELETE. SQLite's cannot without breaking the test runner's table flush
    (see append_only.py), so there the row goes, and the sealed head reports it."""
    from django.db import DatabaseError, transaction

    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import LedgerEntry

    entry = LedgerEntry.objects.get()
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM inventory_ledgerentry WHERE id = %s", [entry.pk])
        assert LedgerEntry.objects.filter(pk=entry.pk).exists()
    else:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM inventory_ledgerentry WHERE id = %s", [entry.pk])
        result = services.verify_ledger()
        assert not result.ok and result.broken.sequence == 1 and "missing" in result.broken.reason


def test_intact_ledger_verifies_with_keyed_seals_and_head(dosed, capsys):
    from django.conf import settings

    from ketamine_clinic.core.inventory import entry_hash
    from ketamine_clinic.inventory.models import LedgerEntry, LedgerHead

    code, out, _ = _cli(capsys)
    assert code == 0 and "Ledger intact: 4 entries" in out and "sealed ledger head" in out
    rows = list(LedgerEntry.objects.order_by("sequence"))
    key = settings.LEDGER_KEY.encode()
    assert all(r.hash == entry_hash(r.as_core(), key=key) != unkeyed_entry_hash(r.as_core()) for r in rows)
    head = LedgerHead.objects.get()
    assert (head.sequence, head.hash, head.count) == (4, rows[-1].hash, 4) and len(head.seal) == 64
    call_command("verify_ledger")  # no SystemExit: intact


def test_altered_quantity_is_detected_and_named(dosed, capsys):
    from ketamine_clinic.inventory.models import LedgerEntry

    administered = LedgerEntry.objects.get(kind="administered")
    _tamper("UPDATE inventory_ledgerentry SET quantity_mcg = %s WHERE id = %s", [25_000, administered.pk])
    code, _, err = _cli(capsys)
    assert code == 1
    assert f"Ledger TAMPERED at entry {administered.sequence}:" in err and "altered" in err
    with pytest.raises(SystemExit) as exc:
        call_command("verify_ledger")
    assert exc.value.code == 1


def test_deleted_middle_entry_is_named_as_missing(dosed, capsys):
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import LedgerEntry

    drawn = LedgerEntry.objects.get(kind="drawn")
    _tamper("DELETE FROM inventory_ledgerentry WHERE id = %s", [drawn.pk])
    result = services.verify_ledger()
    assert not result.ok and result.broken.sequence == drawn.sequence
    code, _, err = _cli(capsys)
    assert code == 1 and f"entry {drawn.sequence} is missing" in err and "deleted" in err


def test_deleted_newest_entry_is_caught_by_the_sealed_head(dosed, capsys):
    """The case a plain hash chain cannot see: the rest of the chain is whole."""
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import LedgerEntry

    newest = LedgerEntry.objects.order_by("-sequence").first()
    _tamper("DELETE FROM inventory_ledgerentry WHERE id = %s", [newest.pk])
    result = services.verify_ledger()
    assert not result.ok and result.broken.sequence == newest.sequence == 4
    code, _, err = _cli(capsys)
    assert code == 1
    assert "entry 4 is missing: the sealed head records 4 entries ending at entry 4" in err
    assert "newest entry found is 3" in err


def test_deleted_newest_entry_with_the_head_moved_back_is_still_caught(dosed, capsys):
    """Deleting the newest entry and rewriting the head to name entry 3 needs the key to seal the head."""
    from ketamine_clinic.inventory.models import LedgerEntry

    newest = LedgerEntry.objects.order_by("-sequence").first()
    third = LedgerEntry.objects.get(sequence=3)
    _tamper("DELETE FROM inventory_ledgerentry WHERE id = %s", [newest.pk])
    fake_seal = hashlib.sha256(f"3|{third.hash}|3".encode()).hexdigest()
    _tamper(
        "UPDATE inventory_ledgerhead SET sequence = 3, hash = %s, count = 3, seal = %s WHERE id = 1",
        [third.hash, fake_seal],
    )
    code, _, err = _cli(capsys)
    assert code == 1 and "head's seal does not match" in err


def test_deleted_head_row_is_reported(dosed, capsys):
    _tamper("DELETE FROM inventory_ledgerhead")
    code, _, err = _cli(capsys)
    assert code == 1 and "entry 4" in err and "head is missing" in err


def _rewrite_from(sequence, new_quantity, seal):
    """Change entry ``sequence``'s quantity and recompute every hash and link from there on with ``seal``,
    as someone with database access and the source code (but not the key) would."""
    from dataclasses import replace

    from ketamine_clinic.inventory.models import LedgerEntry

    rows = list(LedgerEntry.objects.order_by("sequence"))
    prev = rows[sequence - 2].hash if sequence > 1 else GENESIS_HASH
    for row in rows[sequence - 1 :]:
        entry = row.as_core()
        if row.sequence == sequence:
            entry = replace(entry, movement=replace(entry.movement, quantity_mcg=new_quantity))
        entry = replace(entry, prev_hash=prev, hash="")
        digest = seal(entry)
        _tamper(
            "UPDATE inventory_ledgerentry SET quantity_mcg = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [entry.movement.quantity_mcg, prev, digest, row.pk],
        )
        prev = digest
    return prev


def test_range_rewritten_and_rehashed_with_the_old_unkeyed_hash_is_named(dosed, capsys):
    newest_hash = _rewrite_from(3, 25_000, unkeyed_entry_hash)
    _tamper("UPDATE inventory_ledgerhead SET hash = %s WHERE id = 1", [newest_hash])
    code, _, err = _cli(capsys)
    assert code == 1
    assert "Ledger TAMPERED at entry 3:" in err and "plain SHA-256" in err and "rewritten" in err


def test_range_rewritten_with_a_wrong_key_is_named(dosed, capsys):
    from ketamine_clinic.core.inventory import entry_hash

    _rewrite_from(2, 500_000, lambda e: entry_hash(e, key=b"not-the-clinics-ledger-key"))
    code, _, err = _cli(capsys)
    assert code == 1 and "Ledger TAMPERED at entry 2:" in err and "ledger key" in err


def test_verifying_with_another_key_fails_at_the_first_entry(dosed, settings):
    from ketamine_clinic.inventory import services

    settings.LEDGER_KEY = "a-different-ledger-key-than-sealed-it"
    result = services.verify_ledger()
    assert not result.ok and result.broken.sequence == 1


def test_stock_count_checkpoint_is_checked(dosed, staff, safe, capsys):
    """A count records the newest entry's sequence and seal; rewriting the ledger below it shows there, even
    if the rewriter also had the key (here: re-sealed with it, the one thing counts add)."""
    from django.conf import settings as django_settings

    from ketamine_clinic.core.inventory import entry_hash, sealed_head
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import LedgerEntry

    count = services.perform_count(
        actor=staff["nurse"],
        witness=staff["prescriber"],
        witness_password="demo-password-1",
        location=safe,
        counted=services.expected_in(safe),
    )
    assert (count.chain_sequence, count.chain_hash) == (4, LedgerEntry.objects.get(sequence=4).hash)
    code, out, _ = _cli(capsys)
    assert code == 0 and "1 stock count agree" in out

    key = django_settings.LEDGER_KEY.encode()
    newest = _rewrite_from(3, 30_000, lambda e: entry_hash(e, key=key))
    seal = sealed_head(4, newest, 4, key=key).seal
    _tamper("UPDATE inventory_ledgerhead SET hash = %s, seal = %s WHERE id = 1", [newest, seal])
    result = services.verify_ledger()
    assert not result.ok and result.broken.sequence == 4
    assert f"(count {count.pk})" in result.broken.reason and "rewritten" in result.broken.reason


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


def test_appending_after_the_newest_was_deleted_keeps_the_gap_visible(dosed, staff, safe, stocked):
    """The next entry chains to the sealed head, not to what is left in the table: the loss is not healed."""
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import LedgerEntry

    newest = LedgerEntry.objects.order_by("-sequence").first()
    _tamper("DELETE FROM inventory_ledgerentry WHERE id = %s", [newest.pk])
    entry = services.record_movement(
        actor=staff["nurse"],
        kind="transferred",
        lot=stocked,
        quantity_mcg=500_000,
        location=safe,
        to_location=type(safe).objects.create(name="Safe B"),
    )
    assert entry.sequence == 5 and entry.prev_hash == newest.hash
    result = services.verify_ledger()
    assert not result.ok and result.broken.sequence == 4 and "entry 4 is missing" in result.broken.reason


def test_recorded_at_follows_the_sequence(dosed, staff, safe, stocked):
    """recorded_at is read under the chain lock (and never runs backwards), so sequence order is time order,
    even when a caller's fixed clock is behind the newest entry."""
    import datetime as dt

    from django.utils import timezone

    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import LedgerEntry

    earlier = timezone.now() - dt.timedelta(hours=3)
    late = services.receive(
        actor=staff["nurse"],
        product=stocked.product,
        lot_number=stocked.lot_number,
        expires_on=stocked.expires_on,
        location=safe,
        containers=1,
        supplier="S",
        invoice="I-2",
        occurred_at=earlier,
        now=earlier,
    )
    times = list(LedgerEntry.objects.order_by("sequence").values_list("recorded_at", flat=True))
    assert times == sorted(times) and late.recorded_at == times[-2]
    assert services.verify_ledger().ok
