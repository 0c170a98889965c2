"""Urgent suicide-risk tasks reach people: the care team is paged when a task opens, and the director(s) when it
is still unacknowledged settings.URGENT_ESCALATION_MIN minutes later (a task the worker runs then).

Nothing clinical leaves the app: the subject and the email say only that an urgent task is waiting, and link to
the dashboard where it is shown (no patient name, no score, no reason).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from ketamine_clinic.notifications import services as notifications

from .models import UrgentTask

PAGE_SUBJECT = "ketamine-clinic: an urgent task needs you"
ESCALATION_SUBJECT = "ketamine-clinic: an urgent task is still waiting"


def _body(task_: UrgentTask, opening: str) -> str:
    opened = timezone.localtime(task_.created_at)
    return (
        f"{opening}\n\nOpened at {opened:%H:%M} on {opened:%a %d %b %Y}. Sign in to see and acknowledge it:\n"
        f"{notifications.portal_link(reverse('home'))}\n\n"
        "This message holds no patient details; they are in the clinic's system only."
    )


def care_team(task_: UrgentTask) -> list:
    """Who is paged when the task opens: its assignee (the primary prescriber), the therapists on the patient's
    care team, and the on-call director."""
    patient = task_.patient
    therapists = [m.user for m in patient.careteammember_set.filter(user__role="therapist", user__is_active=True)
                  .select_related("user")]
    return [task_.assigned_to or patient.primary_prescriber(), *therapists, *notifications.on_call_directors()]


def page_care_team(task_id: int) -> None:
    """Page the care team at once and schedule the escalation check (called when the task's row is committed)."""
    task_ = UrgentTask.objects.select_related("patient", "assigned_to").get(pk=task_id)
    notifications.page_staff(
        care_team(task_), kind="urgent_page", subject=PAGE_SUBJECT, key=f"urgenttask{task_.pk}", about=task_,
        patient=task_.patient,
        body=_body(task_, "A patient's answers opened an urgent task in ketamine-clinic that needs you now."),
    )
    due = task_.created_at + dt.timedelta(minutes=settings.URGENT_ESCALATION_MIN)
    escalate_unacknowledged.using(run_after=max(due, timezone.now())).enqueue(task_.pk)


@task()
def escalate_unacknowledged(task_id: int) -> str:
    """Page the director(s) if the urgent task is still unacknowledged (run URGENT_ESCALATION_MIN after it
    opened)."""
    task_ = UrgentTask.objects.select_related("patient").filter(pk=task_id).first()
    if task_ is None or not task_.is_open:
        return "acknowledged"
    minutes = settings.URGENT_ESCALATION_MIN
    notifications.page_staff(
        notifications.on_call_directors(), kind="urgent_escalation", subject=ESCALATION_SUBJECT,
        key=f"urgenttask{task_.pk}", about=task_, patient=task_.patient,
        body=_body(task_, f"An urgent task in ketamine-clinic has not been acknowledged after {minutes} minutes."),
    )
    return "escalated"
