"""``ketamine-clinic backup -o FILE``: a consistent copy of the clinic's database, safe while the server runs.

Embedded SQLite: SQLite's online backup API (a snapshot even while nurses save; WAL), written as one
self-contained file. PostgreSQL (``DATABASE_URL``): ``pg_dump`` in its custom format (``pg_restore`` reads it).
The file is written beside FILE under a temporary name and renamed when complete, readable by its owner only
(it holds patient data); an existing FILE is replaced only with ``--force``. Prints the size and the ledger's
entries, with its sealed head verified in the very snapshot that was saved. Restore with
``ketamine-clinic restore FILE``.
"""

import contextlib
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

from . import CommandError, django_setup
from ._database import add_database, as_default, pg_tool, run_pg_tool, size_text, sqlite_path, vendor


def register(subparsers):
    parser = subparsers.add_parser(
        "backup", help="Back up the clinic's database to a file (SQLite online backup, or pg_dump)."
    )
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="The backup file to write.")
    parser.add_argument("--force", action="store_true", help="Replace FILE if it already exists.")
    parser.set_defaults(func=run)


def run(args) -> int:
    django_setup()
    out = Path(args.output).expanduser().absolute()
    if out.is_dir():
        raise CommandError(f"{out} is a folder; give the backup file's name.")
    if not out.parent.is_dir():
        raise CommandError(f"the folder {out.parent} does not exist.")
    if out.exists() and not args.force:
        raise CommandError(f"{out} already exists; choose another name, or pass --force to replace it.")
    fd, temp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".partial")  # mode 0600
    os.close(fd)
    temp = Path(temp_name)
    try:
        if vendor() == "sqlite":
            kind, verification = "SQLite", _backup_sqlite(temp, out)
        elif vendor() == "postgresql":
            kind, verification = "PostgreSQL pg_dump custom format", _backup_postgresql(temp)
        else:
            raise CommandError(f"backups of a {vendor()} database are not supported.")
        with open(temp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(temp, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    print(f"Backup written: {out} ({kind}, {size_text(out.stat().st_size)}).")
    if verification.ok:
        print(f"Ledger: {verification.entries} entries; the sealed ledger head verified in the backup.")
        return 0
    print(
        f"Warning: the ledger head does NOT verify in this backup ({verification.broken}); "
        "the backup is a faithful copy: run `ketamine-clinic verify-ledger` and investigate.",
        file=sys.stderr,
    )
    return 1


def _backup_sqlite(temp: Path, out: Path):
    from django.db import DatabaseError

    from ketamine_clinic.inventory.services import verify_ledger_head

    source_path = sqlite_path()
    if not source_path.exists():
        raise CommandError(f"there is no clinic database at {source_path} (is KETAMINE_CLINIC_DATA_DIR right?).")
    if out.resolve() == source_path.resolve():
        raise CommandError("the backup cannot be written over the clinic's own database file.")
    source = sqlite3.connect(source_path, timeout=20)
    target = sqlite3.connect(temp)
    try:
        source.backup(target)  # all pages in one step: one consistent snapshot
        # One self-contained file (no -wal beside it), whatever the clinic's journal mode.
        target.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise CommandError(f"the SQLite backup failed ({exc}).") from None
    finally:
        target.close()
        source.close()
    # The ledger head is checked in the file just written (opened read-only), not in the live database.
    add_database("backup", {"ENGINE": "django.db.backends.sqlite3", "NAME": f"{temp.as_uri()}?mode=ro"})
    try:
        with as_default("backup"):
            return verify_ledger_head()
    except DatabaseError as exc:
        raise CommandError(f"the database has no readable ledger ({exc}); is it migrated?") from None
    finally:
        from django.db import connections

        connections["backup"].close()


def _backup_postgresql(temp: Path):
    from django.db import DatabaseError, connection, transaction

    from ketamine_clinic.inventory.services import verify_ledger_head

    pg_dump = pg_tool("pg_dump")
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                # One snapshot for the head check and for pg_dump, so both see exactly the same ledger.
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            verification = verify_ledger_head()
            run_pg_tool(
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={temp}"],
                connection.settings_dict,
                "pg_dump",
            )
    except DatabaseError as exc:
        raise CommandError(f"cannot read the clinic's database ({exc}); is it migrated?") from None
    return verification
