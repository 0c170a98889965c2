"""Fixtures of the deployment drills: a small real clinic on each database, one copy per test (deploy_drill.py)."""

import sqlite3
from pathlib import Path

import pytest
from deploy_drill import DEMO_PATIENTS, SEED, clinic_env, postgres_database, python


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory) -> Path:
    """The small demo clinic on the embedded database, seeded once: the path of its database file."""
    data = tmp_path_factory.mktemp("seeded-clinic")
    python(clinic_env(data), SEED, str(DEMO_PATIENTS), timeout=300)
    return data / "clinic.sqlite3"


@pytest.fixture
def sqlite_clinic(seeded_sqlite, tmp_path) -> dict:
    """This test's copy of the small clinic on the embedded database: the environment of its commands."""
    data = tmp_path / "clinic"
    data.mkdir()
    source, copy = sqlite3.connect(seeded_sqlite), sqlite3.connect(data / "clinic.sqlite3")
    source.backup(copy)
    copy.close()
    source.close()
    return clinic_env(data)


@pytest.fixture(scope="session")
def seeded_postgres_template(tmp_path_factory):
    """The small demo clinic seeded once on PostgreSQL; each test's database is a copy (CREATE DATABASE ...
    TEMPLATE), which takes a moment rather than a migration."""
    with postgres_database() as url:
        python(clinic_env(tmp_path_factory.mktemp("pg-seed"), url), SEED, str(DEMO_PATIENTS), timeout=300)
        yield url.rsplit("/", 1)[1]


@pytest.fixture
def postgres_clinic(seeded_postgres_template, tmp_path) -> dict:
    """This test's own copy of the small clinic on PostgreSQL: the environment of its commands."""
    with postgres_database(template=seeded_postgres_template) as url:
        yield clinic_env(tmp_path, url)
