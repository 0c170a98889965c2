"""Database-level guards for append-only tables (the audit log, the controlled-substance ledger).

PostgreSQL (production) refuses UPDATE and DELETE on the table. SQLite refuses UPDATE; it cannot refuse
DELETE without also breaking the test runner's table flush, so there the models' own guards stand (no code
path deletes such rows). Used from migrations: ``operations = [append_only_guard(...)]``.
"""

from django.db import migrations


def append_only_guard(table: str, trigger: str, function: str, what: str) -> migrations.RunPython:
    """A migration operation installing ``trigger`` (and, on PostgreSQL, ``function``) on ``table``.

    ``what`` names the rows in the error message, e.g. "audit events".
    """
    pg_up = f"""
    CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{what} are append-only (% refused)', TG_OP;
    END;
    $$ LANGUAGE plpgsql;
    CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {function}();
    """
    pg_down = f"DROP TRIGGER IF EXISTS {trigger} ON {table}; DROP FUNCTION IF EXISTS {function}();"
    sqlite_up = (
        f"CREATE TRIGGER {trigger} BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{what} are append-only (UPDATE refused)'); END;"
    )
    sqlite_down = f"DROP TRIGGER IF EXISTS {trigger};"

    def run(schema_editor, postgresql: str, sqlite: str):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(postgresql, params=None)  # no params: PL/pgSQL's % stays as written
        elif vendor == "sqlite":
            schema_editor.execute(sqlite)

    return migrations.RunPython(
        lambda apps, schema_editor: run(schema_editor, pg_up, sqlite_up),
        lambda apps, schema_editor: run(schema_editor, pg_down, sqlite_down),
    )
