"""Re-seal an existing ledger with the ledger key (issue 12), and seal the head.

Decision: re-chain rather than version the hash. Keeping the old entries under the unkeyed SHA-256 (a
"version 1" beside keyed "version 2" entries) would leave exactly those entries rewritable by anyone with
database access, which is what keying is for. So the old chain is first checked the old way; the intact
part (every entry, normally) is re-sealed in order with HMAC-SHA256 under ``settings.LEDGER_KEY``; the stock
counts' recorded head hash is mapped to the new seal and gets its sequence; the head row records the newest
entry. If the old chain was already broken at entry N, entries from N on are left exactly as they are (not
sealed in: the verifier then names entry N) and a warning is printed.

The append-only trigger is lifted for the re-sealing only, inside this migration's transaction (SQLite: drop
and re-create; PostgreSQL: DISABLE/ENABLE TRIGGER, which the table's owner running migrations may do).
Reversible: backwards, the entries are re-chained with the old unkeyed hash.
"""

from dataclasses import replace

from django.conf import settings
from django.db import migrations

from ketamine_clinic.core.inventory import (
    GENESIS_HASH,
    Entry,
    Kind,
    Movement,
    entry_hash,
    head_seal,
    unkeyed_chain_break,
    unkeyed_entry_hash,
)

TABLE = "inventory_ledgerentry"
TRIGGER = "inventory_ledgerentry_no_change"


def _core(row) -> Entry:
    return Entry(
        sequence=row.sequence,
        movement=Movement(
            kind=Kind(row.kind),
            lot=row.lot_id,
            quantity_mcg=row.quantity_mcg,
            occurred_at=row.occurred_at,
            recorded_by=row.recorded_by_id,
            location=row.location_id,
            to_location=row.to_location_id,
            session=row.session_id,
            witness=row.witness_id,
            counterparty=row.counterparty,
            reference=row.reference,
            reason=row.reason,
            corrects=row.corrects,
            dose_ref=row.dose_ref,
        ),
        recorded_at=row.recorded_at,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def _rechain(entries, seal):
    """[(entry, new_prev, new_hash)] re-chained in order with ``seal(entry) -> hex``."""
    out, prev = [], GENESIS_HASH
    for entry in entries:
        fresh = replace(entry, prev_hash=prev, hash="")
        digest = seal(fresh)
        out.append((entry, prev, digest))
        prev = digest
    return out


def _rewrite(schema_editor, changes):
    """UPDATE prev_hash/hash of the rows in ``changes`` with the append-only trigger lifted meanwhile."""
    if not changes:
        return
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [TRIGGER])
            row = cursor.fetchone()
            cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")
        elif connection.vendor == "postgresql":
            # ALTER TABLE is refused while deferred foreign-key checks are pending in this transaction: run them.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TRIGGER}")
        for sequence, prev, digest in changes:
            cursor.execute(
                f"UPDATE {TABLE} SET prev_hash = %s, hash = %s WHERE sequence = %s", [prev, digest, sequence]
            )
        if connection.vendor == "sqlite" and row and row[0]:
            cursor.execute(row[0])
        elif connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TRIGGER}")


def _migrate(apps, schema_editor, *, forward: bool):
    LedgerEntry = apps.get_model("inventory", "LedgerEntry")
    LedgerHead = apps.get_model("inventory", "LedgerHead")
    Count = apps.get_model("inventory", "Count")
    key = settings.LEDGER_KEY.encode("utf-8")
    db = schema_editor.connection.alias  # the database being migrated (`migrate --database`), not the default
    rows = list(LedgerEntry.objects.using(db).order_by("sequence"))
    entries = []
    for row in rows:
        try:
            entries.append(_core(row))
        except ValueError:  # a kind altered to a word the ledger does not know: stop sealing here
            break
    if forward:
        broken = unkeyed_chain_break(entries)
        if broken is not None:
            entries = [e for e in entries if e.sequence < broken.sequence]
            print(
                f"\n  WARNING: the controlled-substance ledger was already broken at {broken} before it was "
                f"re-sealed; entries from {broken.sequence} on were left unsealed and will fail verification."
            )
        elif len(entries) < len(rows):
            print(f"\n  WARNING: ledger entry {rows[len(entries)].sequence} is unreadable; left unsealed.")
        plan = _rechain(entries, lambda e: entry_hash(e, key=key))
    else:
        plan = _rechain(entries, unkeyed_entry_hash)
    _rewrite(schema_editor, [(e.sequence, prev, digest) for e, prev, digest in plan if digest != e.hash])

    renamed = {e.hash: (e.sequence, digest) for e, _prev, digest in plan}
    renamed[GENESIS_HASH] = (0, GENESIS_HASH)
    for count in Count.objects.using(db).exclude(chain_hash=""):
        if count.chain_hash in renamed:
            sequence, digest = renamed[count.chain_hash]
            count.chain_hash, count.chain_sequence = digest, sequence if forward else None
            count.save(using=db, update_fields=["chain_hash", "chain_sequence"])
        elif forward:
            print(
                f"\n  WARNING: count {count.pk} recorded a ledger hash that no entry has; it cannot be checked."
            )

    if forward:
        newest = rows[-1] if rows else None
        sequence, digest = (plan[-1][0].sequence, plan[-1][2]) if plan else (0, GENESIS_HASH)
        if newest is not None and newest.sequence != sequence:  # an unsealed tail: record what is there
            sequence, digest = newest.sequence, newest.hash
        head, _ = LedgerHead.objects.using(db).get_or_create(pk=1)
        head.sequence, head.hash, head.count = sequence, digest, len(rows)
        head.seal = head_seal(sequence, digest, len(rows), key=key)
        head.save(using=db)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0003_keyed_ledger_seals")]
    operations = [
        migrations.RunPython(
            lambda apps, schema_editor: _migrate(apps, schema_editor, forward=True),
            lambda apps, schema_editor: _migrate(apps, schema_editor, forward=False),
        )
    ]
