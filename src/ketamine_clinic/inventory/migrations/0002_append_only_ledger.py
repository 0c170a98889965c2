"""Database-level guard for the controlled-substance ledger, and the chain-head lock row.

PostgreSQL refuses UPDATE and DELETE of ledger rows. SQLite refuses UPDATE; it cannot refuse DELETE without
breaking the test runner's table flush, so there the model and query-set guards stand (no code path deletes
entries). Someone with rights to drop the trigger can still alter rows: that is what the hash chain and the
verify command detect.
"""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION inventory_ledgerentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'controlled-substance ledger entries are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER inventory_ledgerentry_no_change BEFORE UPDATE OR DELETE ON inventory_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION inventory_ledgerentry_append_only();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS inventory_ledgerentry_no_change ON inventory_ledgerentry;
DROP FUNCTION IF EXISTS inventory_ledgerentry_append_only();
"""
SQLITE_UP = """
CREATE TRIGGER inventory_ledgerentry_no_change BEFORE UPDATE ON inventory_ledgerentry
BEGIN SELECT RAISE(ABORT, 'controlled-substance ledger entries are append-only (UPDATE refused)'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS inventory_ledgerentry_no_change;"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_UP, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)
    apps.get_model("inventory", "LedgerHead").objects.get_or_create(pk=1)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DOWN, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
