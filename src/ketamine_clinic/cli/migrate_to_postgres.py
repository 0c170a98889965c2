"""``ketamine-clinic migrate-to-postgres DATABASE_URL``: copy the embedded (SQLite) clinic into an empty PostgreSQL
database, then check the copy.

Steps: refuse anything but a reachable, empty PostgreSQL database; apply the migrations there; copy every
table's rows in dependency order with their primary keys, in one transaction on each side (the embedded clinic
is held still while it is read; a failure leaves the target without data); reset PostgreSQL's id sequences;
compare the row count of every table and verify the whole ledger on the target (the same check as
``ketamine-clinic verify-ledger``). Rows go through Django's serializers as ``loaddata`` saves them ("raw":
no ``auto_now``, no signals' side effects, the append-only tables only receive inserts). Afterwards set
``DATABASE_URL`` to the target (with the same ``LEDGER_KEY``) and start ``ketamine-clinic serve``.
"""

import itertools
import sys

from . import CommandError, django_setup
from ._database import add_database, as_default, vendor

TARGET = "target"
BATCH = 1000


def register(subparsers):
    parser = subparsers.add_parser(
        "migrate-to-postgres",
        help="Copy the embedded SQLite clinic into an empty PostgreSQL database and verify the copy.",
    )
    parser.add_argument("database_url", metavar="DATABASE_URL",
                        help="The empty target, e.g. postgres://clinic@db.internal:5432/clinic")
    parser.set_defaults(func=run)


def run(args) -> int:
    django_setup()
    import dj_database_url
    from django.db import DatabaseError, connections

    if vendor() != "sqlite":
        raise CommandError("the clinic is already on PostgreSQL (DATABASE_URL is set); unset it to copy the "
                           "embedded clinic from KETAMINE_CLINIC_DATA_DIR.")
    try:
        target = dj_database_url.parse(args.database_url)
    except ValueError as exc:
        raise CommandError(f"{args.database_url!r} is not a database URL ({exc}).") from None
    if not target.get("ENGINE", "").endswith("postgresql"):
        raise CommandError(f"the target must be a PostgreSQL URL (postgres://user@host:5432/name), "
                           f"not {args.database_url!r}.")
    where = f"{target.get('NAME')!r} on {target.get('HOST') or 'localhost'}:{target.get('PORT') or 5432}"
    add_database(TARGET, target)
    try:
        tables = connections[TARGET].introspection.table_names()
    except DatabaseError as exc:
        raise CommandError(f"cannot connect to the PostgreSQL database {where}: {str(exc).strip()}") from None
    if tables:
        raise CommandError(
            f"the PostgreSQL database {where} is not empty ({len(tables)} tables, e.g. {sorted(tables)[0]}); "
            "migrate-to-postgres copies into an empty database only (createdb a new one)."
        )
    _refuse_unmigrated_source()

    print(f"Applying the migrations to {where} ...")
    _migrate_target(args.database_url)
    models = copy_order()
    copied = _copy(models)
    _reset_sequences(models)
    mismatches = _compare_counts(models)
    total = sum(copied.values())
    print(f"Copied {total} rows of {len(copied)} tables into {where}.")
    if mismatches:
        for table, source, copy in mismatches:
            print(f"Row count differs: {table}: {source} in the embedded clinic, {copy} in PostgreSQL.",
                  file=sys.stderr)
        return 1
    print(f"Row counts match in every table ({len(models)} tables).")

    from ketamine_clinic.inventory.services import verify_ledger

    with as_default(TARGET):
        result = verify_ledger()
    if not result.ok:
        print(f"On PostgreSQL: {result.message}", file=sys.stderr)
        return 1
    print(f"On PostgreSQL: {result.message}")
    print(f"Next: set DATABASE_URL={args.database_url} (and the same LEDGER_KEY) and start ketamine-clinic serve.")
    return 0


def _refuse_unmigrated_source() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if not executor.loader.applied_migrations:
        raise CommandError(f"there is no embedded clinic at {connection.settings_dict['NAME']} to copy "
                           "(is KETAMINE_CLINIC_DATA_DIR right?).")
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise CommandError("the embedded clinic has migrations not yet applied: run "
                           "`ketamine-clinic manage migrate` first, so both databases have the same tables.")


def _migrate_target(database_url: str) -> None:
    """``migrate`` on the target in a process of its own whose default database is the target: a data
    migration that forgets ``.using(alias)`` then cannot read or write the embedded clinic."""
    import os
    import subprocess

    from django.conf import settings

    env = {**os.environ, "DATABASE_URL": database_url}
    if settings.DEMO:  # the demo's data folder: keep its development keys for the target too
        env["KETAMINE_CLINIC_DEMO"] = "1"
    result = subprocess.run([sys.executable, "-m", "ketamine_clinic", "manage", "migrate", "--no-input", "-v", "0"],
                            env=env, capture_output=True, text=True)
    if result.returncode != 0:
        message = (result.stderr.strip() or result.stdout.strip()).splitlines()[-1:] or ["no message"]
        raise CommandError(f"applying the migrations to the target failed: {message[0]}")


def copy_order() -> list:
    """Every model with its own table, each after the models its foreign keys point to (a parent table before
    its child's, rows of a self-reference in primary-key order). Cycles, if any, keep label order: PostgreSQL
    checks Django's foreign keys at commit, so order is for clarity, not correctness."""
    from django.apps import apps

    models = sorted(
        (m for m in apps.get_models() if m._meta.managed and not m._meta.proxy),
        key=lambda m: m._meta.label,
    )
    pending = {m: {f.related_model._meta.concrete_model for f in m._meta.concrete_fields
                   if f.is_relation and f.related_model is not None} - {m} for m in models}
    ordered = []
    while pending:
        ready = [m for m, needs in pending.items() if not (needs & pending.keys())] or [next(iter(pending))]
        for m in ready:
            ordered.append(m)
            del pending[m]
    return ordered


def _copy(models) -> dict[str, int]:
    from django.contrib.contenttypes.models import ContentType
    from django.core import serializers
    from django.db import transaction

    copied = {}
    with transaction.atomic(using="default"), transaction.atomic(using=TARGET):
        # Rows migrate made (content types, permissions, an empty ledger head) give way to the clinic's own.
        for model in reversed(models):
            made = model._base_manager.using(TARGET).all()
            if made.exists():
                made.delete()
        ContentType.objects.clear_cache()
        for model in models:
            rows = model._base_manager.using("default").order_by("pk").iterator(chunk_size=BATCH)
            n = 0
            while batch := list(itertools.islice(rows, BATCH)):
                data = serializers.serialize("python", batch)
                for obj in serializers.deserialize("python", data, using=TARGET):
                    obj.save(using=TARGET, force_insert=True)
                n += len(batch)
            copied[model._meta.db_table] = n
    ContentType.objects.clear_cache()
    return copied


def _reset_sequences(models) -> None:
    from django.core.management.color import no_style
    from django.db import connections

    connection = connections[TARGET]
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)


def _compare_counts(models) -> list[tuple[str, int, int]]:
    """(table, rows in the embedded clinic, rows in PostgreSQL) for every table whose counts differ, the
    many-to-many tables included."""
    tables = list(models) + [f.remote_field.through for m in models for f in m._meta.local_many_to_many
                             if f.remote_field.through._meta.auto_created]
    differ = []
    for model in tables:
        source = model._base_manager.using("default").count()
        copy = model._base_manager.using(TARGET).count()
        if source != copy:
            differ.append((model._meta.db_table, source, copy))
    return differ
