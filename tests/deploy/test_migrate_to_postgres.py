"""`ketamine-clinic migrate-to-postgres` (issue 13 item 5): an embedded clinic's real SQLite file copied into a fresh
PostgreSQL database: the same rows in every table (primary keys kept), the ledger verifying there, the sequences
moved past the copied ids, and the embedded clinic left as it was; refusals for a target that is not empty, not
PostgreSQL or not reachable."""

from deploy_drill import cli, postgres_database, snapshot


def test_migrate_to_postgres_copies_every_table_and_the_ledger_verifies(sqlite_clinic, tmp_path):
    env = sqlite_clinic
    before = snapshot(env)
    with postgres_database() as url:
        result = cli(env, "migrate-to-postgres", url)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Row counts match in every table" in result.stdout
        assert f"On PostgreSQL: Ledger intact: {len(before['ledger'])} entries" in result.stdout

        on_postgres = {**env, "DATABASE_URL": url}
        copied = snapshot(on_postgres)
        # Every table holds as many rows as in the embedded clinic (the command compares them too).
        assert copied["counts"] == before["counts"]
        # (sequence, kind, quantity, previous hash, hash): the seals cover every field.
        assert [r[:5] for r in copied["ledger"]] == [r[:5] for r in before["ledger"]]
        assert copied["head"] == before["head"]
        assert [p[:3] for p in copied["patients"]] == [p[:3] for p in before["patients"]]
        verified = cli(on_postgres, "verify-ledger")
        assert verified.returncode == 0 and "Ledger intact" in verified.stdout, verified.stderr

        # The sequences are past the copied ids: new rows get new ids at once (no duplicate-key error).
        added = cli(on_postgres, "manage", "shell", "-c",
                    "from ketamine_clinic.patients.models import Patient; import datetime as d; "
                    "p = Patient.objects.create(mrn='NEW1', first_name='New', last_name='Patient', "
                    "date_of_birth=d.date(1990, 1, 1), sex='female'); print(p.pk)")
        assert added.returncode == 0, added.stderr
        assert int(added.stdout.splitlines()[-1]) > before["counts"]["patients_patient"]

        again = cli(env, "migrate-to-postgres", url)
        assert again.returncode == 2 and "is not empty" in again.stderr and "Traceback" not in again.stderr
    assert snapshot(env) == before  # the embedded clinic is untouched


def test_migrate_to_postgres_refuses_a_target_it_cannot_use(sqlite_clinic):
    env = sqlite_clinic
    for url, words in (
        ("sqlite:////tmp/other.sqlite3", "the target must be a PostgreSQL URL"),
        ("postgres://postgres@127.0.0.1:1/clinic", "cannot connect to the PostgreSQL database 'clinic' on 127.0.0.1:1"),
    ):
        result = cli(env, "migrate-to-postgres", url)
        assert result.returncode == 2, result.stdout + result.stderr
        assert words in result.stderr and "Traceback" not in result.stderr
