"""``/healthz`` for load balancers: the database answers, every migration is applied, the ledger head verifies.

Answers 200 with ``{"status": "ok", ...}`` or 503 with what failed, and carries no patient data (no login needed).
The ledger check is the quick one (sealed head and newest entry); ``ketamine-clinic verify-ledger`` walks it all.
"""

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import access

_migrated = False  # once every migration is applied, none can become pending in this process (same code)


def _pending_migrations() -> int:
    global _migrated
    if _migrated:
        return 0
    executor = MigrationExecutor(connection)
    pending = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    _migrated = pending == 0
    return pending


@access.public
@never_cache
@require_GET
def healthz(request):
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError as exc:
        return JsonResponse({"status": "fail", "database": f"unreachable: {exc.__class__.__name__}"}, status=503)
    pending = _pending_migrations()
    checks["migrations"] = "ok" if not pending else f"{pending} not applied"
    try:
        from ketamine_clinic.inventory.services import verify_ledger_head

        result = verify_ledger_head()
        checks["ledger"] = "ok" if result.ok else f"head does not verify: {result.broken}"
    except DatabaseError:
        checks["ledger"] = "unreadable (is the database migrated?)"
    ok = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if ok else "fail", **checks}, status=200 if ok else 503)
