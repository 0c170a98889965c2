"""``ketamine-clinic restore FILE --yes``: put a backup made by ``ketamine-clinic backup`` back as the clinic's data.

It replaces everything in the configured database, so it needs ``--yes``; stop the app servers first.

* Embedded SQLite: the backup is copied into the clinic's database file with SQLite's backup API, in one write
  transaction (a reader sees the old clinic or the restored one, never a mix; a failure leaves the old one).
* PostgreSQL (``DATABASE_URL``): ``pg_restore --clean --if-exists --no-owner --single-transaction`` into the
  configured database: the backup's tables replace the clinic's, all or nothing (a failure leaves the database
  as it was). Objects the backup does not have (tables of a newer release) are left alone.

A file that is not a ketamine-clinic backup for this database's kind is refused before anything is touched.
Migrations the backup predates are then applied, and the whole ledger is verified (the same check as
``ketamine-clinic verify-ledger``): exit status 0 when it verifies, 1 when not.
"""

import sqlite3
import sys
from pathlib import Path

from . import CommandError, django_setup
from ._database import (
    check_pg_backup,
    check_sqlite_backup,
    file_kind,
    pg_tool,
    run_pg_tool,
    sqlite_path,
    vendor,
)

KIND_NAMES = {"sqlite": "an embedded-SQLite backup", "postgresql": "a PostgreSQL backup (pg_dump)"}


def register(subparsers):
    parser = subparsers.add_parser(
        "restore", help="Replace the clinic's data with a backup, then verify the ledger (needs --yes)."
    )
    parser.add_argument("file", metavar="FILE", help="A backup written by `ketamine-clinic backup`.")
    parser.add_argument("--yes", action="store_true",
                        help="Confirm: the clinic's current data is replaced by the backup's.")
    parser.set_defaults(func=run)


def run(args) -> int:
    django_setup()
    path = Path(args.file).expanduser().absolute()
    if not path.is_file():
        raise CommandError(f"there is no backup file {path}.")
    clinic = vendor()
    if clinic not in KIND_NAMES:
        raise CommandError(f"restoring into a {clinic} database is not supported.")
    kind = file_kind(path)
    if kind == "unknown":
        raise CommandError(
            f"{path} is not a ketamine-clinic backup (neither a SQLite database nor a pg_dump archive)."
        )
    if kind != clinic:
        hint = (
            "to move an embedded clinic to PostgreSQL use `ketamine-clinic migrate-to-postgres`."
            if kind == "sqlite"
            else "set DATABASE_URL to the PostgreSQL database to restore it there."
        )
        where = "PostgreSQL (DATABASE_URL)" if clinic == "postgresql" else "the embedded SQLite database"
        raise CommandError(f"{path} is {KIND_NAMES[kind]}, but this clinic runs on {where}: {hint}")
    if kind == "sqlite":
        check_sqlite_backup(path)
        db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            newer = _unknown_migrations(set(db.execute("SELECT app, name FROM django_migrations")))
        finally:
            db.close()
        if newer:
            raise CommandError(f"{path} was made by a newer ketamine-clinic (migrations this version does not "
                               f"have: {newer}); restore it with that version.")
    else:
        check_pg_backup(path)
    if not args.yes:
        raise CommandError(
            f"restoring replaces ALL of this clinic's current data with {path}'s; "
            "stop the app servers, then run again with --yes."
        )
    if kind == "sqlite":
        _restore_sqlite(path)
    else:
        _restore_postgresql(path)
    print(f"Restored {path} into {_where()}.")
    return _migrate_and_verify()


def _where() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        return str(sqlite_path())
    s = connection.settings_dict
    return f"PostgreSQL database {s['NAME']!r} on {s.get('HOST') or 'localhost'}:{s.get('PORT') or 5432}"


def _restore_sqlite(path: Path) -> None:
    target_path = sqlite_path()
    if target_path.exists() and path.resolve() == target_path.resolve():
        raise CommandError("that is the clinic's own database file, not a backup of it.")
    source = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    target = sqlite3.connect(target_path, timeout=20)
    try:
        source.backup(target)  # every page in one step: one write transaction on the clinic's file
        target.execute("PRAGMA journal_mode=WAL")  # as settings.py runs the clinic
    except sqlite3.Error as exc:
        raise CommandError(f"the restore failed and the clinic's database is unchanged ({exc}).") from None
    finally:
        target.close()
        source.close()


def _restore_postgresql(path: Path) -> None:
    from django.db import connection

    connection.close()  # our own session must not hold locks on the tables being replaced
    run_pg_tool(
        [pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
         "--exit-on-error", f"--dbname={connection.settings_dict['NAME']}", str(path)],
        connection.settings_dict,
        "pg_restore (the database is unchanged)",
    )


def _migrate_and_verify() -> int:
    from django.core.management import call_command
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    from ketamine_clinic.inventory.services import verify_ledger

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    newer = _unknown_migrations(set(executor.loader.applied_migrations))
    if newer:  # PostgreSQL: only known once restored
        print(f"Warning: the backup was made by a newer ketamine-clinic (migrations this version does not have: "
              f"{newer}); run the clinic with that version.", file=sys.stderr)
    if pending:
        call_command("migrate", interactive=False, verbosity=0)
        print(f"Applied {len(pending)} migration(s) the backup predates.")
    try:
        result = verify_ledger()
    except DatabaseError as exc:
        raise CommandError(f"cannot read the restored ledger ({exc}).") from None
    if result.ok:
        print(result.message)
        return 0
    print(result.message, file=sys.stderr)
    return 1


def _unknown_migrations(applied: set) -> str:
    """The applied migrations this version of the code does not have, as text ("" when none)."""
    from django.db.migrations.loader import MigrationLoader

    known = MigrationLoader(None, ignore_no_migrations=True).graph.nodes
    return ", ".join(f"{app}.{name}" for app, name in sorted(set(applied) - set(known)))
