"""The restore drill (issue 13 item 5), on both databases, with the real commands as a clinic runs them: back up a
small clinic, damage its data (a rewritten ledger entry, deleted and added rows), restore, and check the data is
exactly back and `verify-ledger` passes. Plus the refusals: overwriting a backup, a file that is not a backup of
the right kind, a restore without --yes."""

import sqlite3

import pytest
from deploy_drill import cli, psql, require_pg_tools, snapshot


def _ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def _refused(result, words):
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert words in result.stderr, result.stderr
    return result.stderr


def _data_dir(env):
    from pathlib import Path

    return Path(env["KETAMINE_CLINIC_DATA_DIR"])


def _damage_sqlite(env):
    """What a bad day does: a ledger entry rewritten behind the application's back, rows lost and rows added."""
    db = sqlite3.connect(_data_dir(env) / "clinic.sqlite3")
    trigger = db.execute("SELECT sql FROM sqlite_master WHERE name = 'inventory_ledgerentry_no_change'").fetchone()[0]
    db.execute("DROP TRIGGER inventory_ledgerentry_no_change")
    db.execute("UPDATE inventory_ledgerentry SET quantity_mcg = quantity_mcg + 1000 WHERE sequence = 1")
    db.execute(trigger)
    db.execute("DELETE FROM patients_diagnosis")
    db.execute("UPDATE patients_patient SET last_name = 'Overwritten'")
    db.commit()
    db.close()


def test_sqlite_backup_restore_drill(sqlite_clinic, tmp_path):
    env = sqlite_clinic
    before = snapshot(env)
    assert before["ledger"] and before["counts"]["patients_diagnosis"] > 0  # a clinic with a ledger to protect
    backup = tmp_path / "clinic-backup.sqlite3"

    out = _ok(cli(env, "backup", "-o", str(backup)))
    assert f"Backup written: {backup} (SQLite," in out
    assert f"Ledger: {len(before['ledger'])} entries; the sealed ledger head verified in the backup." in out
    assert backup.read_bytes()[:16] == b"SQLite format 3\x00"
    assert backup.stat().st_mode & 0o077 == 0  # patient data: readable by its owner only
    assert not list(tmp_path.glob(".clinic-backup*"))  # no temporary file left beside it

    first = backup.read_bytes()
    _refused(cli(env, "backup", "-o", str(backup)), "already exists; choose another name, or pass --force")
    assert backup.read_bytes() == first
    _ok(cli(env, "backup", "-o", str(backup), "--force"))

    _damage_sqlite(env)
    tampered = cli(env, "verify-ledger")
    assert tampered.returncode == 1 and "TAMPERED at entry 1" in tampered.stderr
    damaged = snapshot(env)
    assert damaged != before and damaged["counts"]["patients_diagnosis"] == 0

    _refused(cli(env, "restore", str(backup)), "stop the app servers, then run again with --yes")
    assert snapshot(env) == damaged  # refused: nothing touched

    out = _ok(cli(env, "restore", str(backup), "--yes"))
    assert f"Restored {backup} into " in out
    assert f"Ledger intact: {len(before['ledger'])} entries, every seal and link verified" in out
    assert snapshot(env) == before
    _ok(cli(env, "verify-ledger"))


def test_restore_refuses_what_is_not_a_backup_of_this_clinic(sqlite_clinic, tmp_path):
    env = sqlite_clinic
    before = snapshot(env)
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n")
    _refused(cli(env, "restore", str(text), "--yes"), "is not a ketamine-clinic backup")
    other = tmp_path / "other.sqlite3"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE things (id integer)")
    db.commit()
    db.close()
    _refused(cli(env, "restore", str(other), "--yes"), "is a SQLite database but not a ketamine-clinic backup")
    dump = tmp_path / "clinic.dump"
    dump.write_bytes(b"PGDMP" + b"\x01" * 100)
    _refused(cli(env, "restore", str(dump), "--yes"),
             "is a PostgreSQL backup (pg_dump), but this clinic runs on the embedded SQLite database")
    newer = tmp_path / "from-a-newer-release.sqlite3"
    source, copy = sqlite3.connect(_data_dir(env) / "clinic.sqlite3"), sqlite3.connect(newer)
    source.backup(copy)
    source.close()
    copy.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('inventory', '9999_later', '2027-01-01')")
    copy.commit()
    copy.close()
    _refused(cli(env, "restore", str(newer), "--yes"),
             "was made by a newer ketamine-clinic (migrations this version does not have: inventory.9999_later)")
    _refused(cli(env, "restore", str(tmp_path / "missing.sqlite3"), "--yes"), "there is no backup file")
    _refused(cli(env, "backup", "-o", str(tmp_path / "no-such-folder" / "b.sqlite3")), "does not exist")
    assert snapshot(env) == before


def _damage_postgres(url):
    psql(url, "ALTER TABLE inventory_ledgerentry DISABLE TRIGGER inventory_ledgerentry_no_change;"
              "UPDATE inventory_ledgerentry SET quantity_mcg = quantity_mcg + 1000 WHERE sequence = 1;"
              "ALTER TABLE inventory_ledgerentry ENABLE TRIGGER inventory_ledgerentry_no_change;"
              "DELETE FROM patients_diagnosis; UPDATE patients_patient SET last_name = 'Overwritten';")


def test_postgresql_backup_restore_drill(postgres_clinic, tmp_path):
    require_pg_tools()
    env = postgres_clinic
    before = snapshot(env)
    assert before["ledger"] and before["counts"]["patients_diagnosis"] > 0
    backup = tmp_path / "clinic.dump"

    out = _ok(cli(env, "backup", "-o", str(backup)))
    assert f"Backup written: {backup} (PostgreSQL pg_dump custom format," in out
    assert f"Ledger: {len(before['ledger'])} entries; the sealed ledger head verified in the backup." in out
    assert backup.read_bytes()[:5] == b"PGDMP"
    _refused(cli(env, "backup", "-o", str(backup)), "already exists")

    _damage_postgres(env["DATABASE_URL"])
    tampered = cli(env, "verify-ledger")
    assert tampered.returncode == 1 and "TAMPERED at entry 1" in tampered.stderr

    _refused(cli(env, "restore", str(backup)), "run again with --yes")
    sqlite_backup = tmp_path / "embedded.sqlite3"
    sqlite3.connect(sqlite_backup).close()
    sqlite_backup.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    _refused(cli(env, "restore", str(sqlite_backup), "--yes"),
             "is an embedded-SQLite backup, but this clinic runs on PostgreSQL")

    out = _ok(cli(env, "restore", str(backup), "--yes"))
    assert "Restored" in out and f"Ledger intact: {len(before['ledger'])} entries" in out
    assert snapshot(env) == before
    _ok(cli(env, "verify-ledger"))
    # The append-only guard came back with the tables: the restored ledger still refuses rewriting.
    with pytest.raises(AssertionError, match="append-only"):
        psql(env["DATABASE_URL"], "UPDATE inventory_ledgerentry SET quantity_mcg = 1 WHERE sequence = 1")
