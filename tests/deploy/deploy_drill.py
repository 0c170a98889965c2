"""Helpers of the deployment drills (fixtures in conftest.py): `ketamine-clinic` run as separate processes, each
on a data folder or a PostgreSQL database of its own, configured as a clinic's server is (its own keys; plain HTTP on 127.0.0.1 since
TLS belongs to the reverse proxy).

PostgreSQL: the server at 127.0.0.1:5432 (user postgres, trust auth), as in CI. Every test gets a uniquely named
database (kc_drill_...), dropped afterwards; the suite's own `test` databases are never touched. The small demo
clinic is seeded once per run (migrating is the slow part) and copied for each test.
"""

import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

import ketamine_clinic  # the package under test: the drills' processes run this same copy

SRC = str(Path(ketamine_clinic.__file__).resolve().parents[1])
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
# A clinic's server: its own secret and ledger key, not the development ones.
CLINIC_ENV = {
    "DJANGO_SECRET_KEY": "drill-" + "Zq8Vf2LmZ0pX7rT4wYbN6cH1sJ9dK3gE5uAoIiRtWzQxC8vB2nM7lP4kO0jU6hG",
    "LEDGER_KEY": "drill-ledger-key-" + "k7" * 16,
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_HTTPS": "0",
    "DJANGO_SECURE_COOKIES": "0",
}
DEMO_PATIENTS = 3

# The first demo patients seeded through the demo's areas up to the controlled-substance ledger (as tests/conftest.py's
# demo_chain does), with the demo's quick password hashing.
SEED = """
import os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "ketamine_clinic.settings"
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from ketamine_clinic.demo.clinic import DEMO_HASHERS, DemoClinic, seed_registry, steps

call_command("migrate", interactive=False, verbosity=0)
with override_settings(PASSWORD_HASHERS=DEMO_HASHERS + list(settings.PASSWORD_HASHERS)):
    clinic = DemoClinic(now=timezone.now())
    with transaction.atomic():
        seed_registry(clinic)
    clinic.patients = clinic.patients[: int(sys.argv[1])]
    for step in steps(through="inventory"):
        with transaction.atomic():
            step(clinic)
"""

# Every table's row count and the rows that must come back exactly after a restore, read with plain SQL in this
# process (quicker than starting Django once more).
SNAPSHOT_ROWS = {
    "patients": "SELECT mrn, first_name, last_name, weight_kg FROM patients_patient ORDER BY mrn",
    "ledger": "SELECT sequence, kind, quantity_mcg, prev_hash, hash, recorded_at FROM inventory_ledgerentry "
              "ORDER BY sequence",
    "head": "SELECT sequence, hash, count, seal FROM inventory_ledgerhead",
}


def clinic_env(data_dir, database_url=None, **extra) -> dict:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": SRC, "KETAMINE_CLINIC_DATA_DIR": str(data_dir),
           **CLINIC_ENV, **extra}
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def cli(env, *args, timeout=180) -> subprocess.CompletedProcess:
    """`ketamine-clinic ARGS` as its own process."""
    return subprocess.run([sys.executable, "-m", "ketamine_clinic", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


def python(env, code, *args, timeout=180) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, result.stderr
    return result


def snapshot(env) -> dict:
    """{"counts": {table: rows}, "patients": [...], "ledger": [...], "head": [...]} of the clinic's database."""
    url = env.get("DATABASE_URL")
    if url:
        import psycopg

        db = psycopg.connect(url)
        tables_sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    else:
        db = sqlite3.connect(Path(env["KETAMINE_CLINIC_DATA_DIR"]) / "clinic.sqlite3")
        tables_sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    try:
        tables = sorted(row[0] for row in db.execute(tables_sql).fetchall())
        result = {"counts": {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}}
        for name, sql in SNAPSHOT_ROWS.items():
            result[name] = [list(row) for row in db.execute(sql).fetchall()]
    finally:
        db.close()
    return result


def require_pg_tools():
    missing = [tool for tool in ("pg_dump", "pg_restore", "psql") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: the PostgreSQL drills need PostgreSQL's client tools of "
                    "the server's major version (Debian: apt-get install postgresql-client or postgresql).")


def _admin():
    import psycopg

    try:
        return psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {PG_SERVER} is not reachable ({exc}); the deployment drills need it (CI runs it).")


@contextmanager
def postgres_database(template=None):
    """A new PostgreSQL database of this test's own (from ``template`` if given); its URL. Dropped afterwards."""
    name = f"kc_drill_{secrets.token_hex(6)}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def psql(url, sql) -> str:
    result = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()
