"""What ``backup``, ``restore`` and ``migrate-to-postgres`` share: recognising a backup file, running
PostgreSQL's own tools against the configured database, and running the clinic's code on another database.

Not a command (the leading underscore keeps it out of the command list). Call after ``django_setup()``.
"""

import contextlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from . import CommandError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"  # pg_dump's custom format
# Tables every ketamine-clinic database has once migrated: a file without them is not a clinic's backup.
CLINIC_TABLES = ("django_migrations", "inventory_ledgerentry", "inventory_ledgerhead", "patients_patient")


def vendor(alias: str = "default") -> str:
    from django.db import connections

    return connections[alias].vendor


def sqlite_path() -> Path:
    from django.conf import settings

    return Path(settings.DATABASES["default"]["NAME"])


def file_kind(path: Path) -> str:
    """"sqlite", "postgresql" (a pg_dump custom-format archive) or "unknown", from the file's first bytes."""
    with open(path, "rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    return "unknown"


def size_text(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def check_sqlite_backup(path: Path) -> None:
    """Refuse (CommandError) a SQLite file that is damaged or is not a ketamine-clinic database."""
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            problem = db.execute("PRAGMA quick_check").fetchone()[0]
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise CommandError(f"{path} is damaged or not a SQLite database ({exc}).") from None
    if problem != "ok":
        raise CommandError(f"{path} is damaged (SQLite integrity check: {problem}).")
    missing = [t for t in CLINIC_TABLES if t not in tables]
    if missing:
        raise CommandError(
            f"{path} is a SQLite database but not a ketamine-clinic backup (it has no {', '.join(missing)})."
        )


# ------------------------------------------------------------------------------------------- PostgreSQL


def pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise CommandError(
            f"{name} is not installed: install PostgreSQL's client tools of the server's major version "
            "(Debian: apt-get install postgresql-client)."
        )
    return path


def pg_environment(database: dict) -> dict:
    """libpq's environment variables for a Django database setting (so no password is on a command line)."""
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD"),
                     ("NAME", "PGDATABASE")):
        if database.get(key):
            env[var] = str(database[key])
    options = database.get("OPTIONS") or {}
    if options.get("sslmode"):
        env["PGSSLMODE"] = str(options["sslmode"])
    return env


def run_pg_tool(args: list[str], database: dict, what: str) -> subprocess.CompletedProcess:
    """Run pg_dump / pg_restore; its own message (e.g. a server version mismatch) becomes the CommandError."""
    result = subprocess.run(args, env=pg_environment(database), capture_output=True, text=True)
    if result.returncode != 0:
        message = result.stderr.strip() or result.stdout.strip() or f"exit status {result.returncode}"
        raise CommandError(f"{what} failed: {message}")
    return result


def check_pg_backup(path: Path) -> None:
    """Refuse (CommandError) an archive pg_restore cannot read or that holds no ketamine-clinic tables."""
    from django.db import connection

    listing = run_pg_tool([pg_tool("pg_restore"), "--list", str(path)], connection.settings_dict,
                          f"reading {path}").stdout
    missing = [t for t in CLINIC_TABLES if f" TABLE DATA public {t} " not in listing]
    if missing:
        raise CommandError(
            f"{path} is a PostgreSQL archive but not a ketamine-clinic backup (it has no {', '.join(missing)})."
        )


# -------------------------------------------------------------------------------- other databases


def add_database(alias: str, settings_dict: dict) -> None:
    """Make ``alias`` a configured database of this process (Django's defaults filled in)."""
    from django.db import connections

    connections.settings[alias] = connections.configure_settings({"default": dict(settings_dict)})["default"]


@contextlib.contextmanager
def as_default(alias: str):
    """Run the clinic's own code (which reads the default database) on ``alias``: e.g. ``verify_ledger()`` on a
    backup or on a migration's target, the same code as ``ketamine-clinic verify-ledger``. This thread only."""
    from django.db import connections

    original = connections["default"]
    connections["default"] = connections[alias]
    try:
        yield
    finally:
        connections["default"] = original
