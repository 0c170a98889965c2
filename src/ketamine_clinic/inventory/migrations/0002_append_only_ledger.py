"""Database-level guard for the controlled-substance ledger, and the chain-head lock row.

Someone with rights to drop the trigger can still alter rows: that is what the hash chain and the verify
command detect.
"""

from django.db import migrations

from ketamine_clinic.append_only import append_only_guard


def create_chain_head(apps, schema_editor):
    apps.get_model("inventory", "LedgerHead").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]
    operations = [
        append_only_guard(
            "inventory_ledgerentry",
            "inventory_ledgerentry_no_change",
            "inventory_ledgerentry_append_only",
            "controlled-substance ledger entries",
        ),
        migrations.RunPython(create_chain_head, migrations.RunPython.noop),
    ]
