"""The worker's periodic sweep: appointment reminders and staff digests that have come due.

``sweep`` is a task that runs both and queues the next sweep settings.NOTIFICATION_SWEEP_MIN minutes later
(unless one is queued already), so one running ``ketamine-clinic worker`` keeps it going; the command queues the
first at start. Everything it sends has a dedupe key, so two sweeps at once (two workers) send once.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from ketamine_clinic.scheduling.reminders import due_reminders

from .digests import send_digests


def _queued() -> bool:
    return DBTaskResult.objects.filter(task_path=sweep.module_path, status="READY").exists()


def ensure_queued(run_after: dt.datetime | None = None) -> bool:
    """Queue a sweep (now, or at ``run_after``) unless one is waiting already; True when one was queued."""
    if _queued():
        return False
    sweep.using(run_after=run_after).enqueue() if run_after else sweep.enqueue()
    return True


@task()
def sweep() -> dict:
    now = timezone.now()
    reminders = due_reminders(now)
    digests = send_digests(now)
    ensure_queued(now + dt.timedelta(minutes=settings.NOTIFICATION_SWEEP_MIN))
    return {"reminders": len(reminders), "digests": len(digests)}
