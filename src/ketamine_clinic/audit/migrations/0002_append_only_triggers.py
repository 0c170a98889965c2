"""Database-level guard: audit rows cannot be changed by any SQL, not just through the ORM."""

from django.db import migrations

from ketamine_clinic.append_only import append_only_guard


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [
        append_only_guard(
            "audit_auditevent", "audit_auditevent_no_update", "audit_auditevent_append_only", "audit events"
        )
    ]
