"""Appointment reminders: found by the worker's periodic sweep (followup/sweep.py), sent through the outbox.

A booked dosing visit is reminded at each of settings.REMINDER_HOURS_BEFORE (e.g. 48 and 2 hours before), by the
patient's chosen channel (notifications.ContactPreference: email, text message or none). The dedupe key is the
appointment, its start time and the hours, so a sweep that runs twice sends once, and a moved appointment gets
reminders for its new time. The email body carries the route's preparation (fasting, the stay, the ride home)
from the one rule table (core.protocols.route_texts through Appointment.reminder); the subject and the text
message carry only the time, the place and "see the portal".
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.clinic.services import current_site
from ketamine_clinic.notifications import services as notifications
from ketamine_clinic.notifications.models import Message

from .models import Appointment, AppointmentChange

SUBJECT = "ketamine-clinic: appointment reminder"


def _place(appointment: Appointment, *, full: bool) -> str:
    """The clinic (its name, with the address in an email) and the room of the chair, if it has one."""
    site = current_site()
    place = site.name
    address = ", ".join(line.strip() for line in site.address.splitlines() if line.strip())
    if full and address:
        place += f", {address}"
    if appointment.chair_id and appointment.chair.room:
        place += f" ({appointment.chair.room})"
    return place


def _when(appointment: Appointment) -> str:
    start = timezone.localtime(appointment.starts_at)
    return f"{start:%A %d %B %Y} at {start:%H:%M}"


def email_body(appointment: Appointment, link: str) -> str:
    return (
        f"Hello {appointment.patient.first_name},\n\n"
        f"This is a reminder of your treatment visit on {_when(appointment)} at {_place(appointment, full=True)}.\n\n"
        f"How to prepare: {appointment.reminder}\n\n"
        f"To see your appointments or ask to change one, sign in to the portal:\n{link}\n"
    )


def sms_body(appointment: Appointment, link: str) -> str:
    return (
        f"ketamine-clinic: your visit is on {_when(appointment)} at {_place(appointment, full=False)}. "
        f"See the portal: {link}"
    )


def due_hours(appointment: Appointment, now: dt.datetime, booked_at: dt.datetime, hours=None) -> int | None:
    """The reminder due for this appointment now: the latest of the clinic's reminder times that has come
    (a visit booked 30 hours ahead gets the 48-hour reminder at once, then the 2-hour one). None before the first,
    and for a visit booked or moved inside the shortest window (the patient has just arranged it)."""
    hours = tuple(hours if hours is not None else settings.REMINDER_HOURS_BEFORE)
    if not hours or appointment.starts_at <= now:
        return None
    come = [h for h in hours if appointment.starts_at - dt.timedelta(hours=h) <= now]
    if not come or booked_at > appointment.starts_at - dt.timedelta(hours=min(hours)):
        return None
    return min(come)


def due_reminders(now: dt.datetime | None = None) -> list[Message]:
    """Queue every reminder whose time has come and that was not sent yet; returns the messages written."""
    now = now or timezone.now()
    hours = settings.REMINDER_HOURS_BEFORE
    if not hours:
        return []
    visits = (
        Appointment.objects.filter(
            kind=Appointment.Kind.DOSING, status=Appointment.Status.BOOKED,
            starts_at__gt=now, starts_at__lte=now + dt.timedelta(hours=max(hours)),
        )
        .select_related("patient", "plan", "chair")
        .annotate(moved_at=Max("changes__changed_at", filter=Q(changes__kind=AppointmentChange.Kind.RESCHEDULE)))
    )
    link = notifications.portal_link(reverse("portal:appointments"))
    written = []
    for visit in visits:
        h = due_hours(visit, now, max(visit.created_at, visit.moved_at or visit.created_at), hours)
        if h is None:
            continue
        message = _remind(visit, h, link)
        if message is not None:
            written.append(message)
    return written


def _remind(visit: Appointment, hours: int, link: str) -> Message | None:
    patient = visit.patient
    channel = notifications.reminder_channel(patient)
    if channel == "none":
        return None
    key = f"reminder:appointment{visit.pk}:{visit.starts_at.isoformat()}:{hours}h"
    common = dict(kind=Message.Kind.REMINDER, dedupe_key=key, patient=patient, about=visit, about_key=f"{hours}h")
    if channel == "sms":
        return notifications.queue_message(channel="sms", address=patient.phone, body=sms_body(visit, link), **common)
    return notifications.queue_message(
        channel="email", address=patient.email, subject=SUBJECT, body=email_body(visit, link), **common
    )
