"""The one way to send a message out of the app: write it to the outbox and let the task worker send it.

Triggers live with the records they are about (outcomes' urgent tasks, scheduling's reminders, follow-up's
digests) and all call :func:`queue_message`. Nothing clinical goes in an SMS or an email subject: callers pass
subjects like "ketamine-clinic: appointment reminder" and SMS bodies that give only time, place and "see the
portal".
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction

from ketamine_clinic import audit

from . import tasks
from .delivery import deliver
from .models import Channel, ContactPreference, Message

__all__ = [
    "deliver", "queue_message", "retry", "page_staff", "on_call_directors", "reminder_channel",
    "set_reminder_channel", "portal_link",
]

SUBJECT_PREFIX = "ketamine-clinic: "


def portal_link(path: str = "/") -> str:
    """An absolute link into the clinic's site (settings.CLINIC_BASE_URL)."""
    return f"{settings.CLINIC_BASE_URL}{path}"


def _enqueue(message_id: int) -> None:
    transaction.on_commit(lambda: tasks.send_message.enqueue(message_id))


def queue_message(
    *, kind: str, channel: str, address: str, body: str, dedupe_key: str, subject: str = "", user=None,
    patient=None, about=None, about_key: str = "", actor=None,
) -> Message | None:
    """Write one message to the outbox and send it from the worker once the caller's transaction commits.

    ``dedupe_key`` is unique: a second call with the same key (a sweep run twice, a page already sent) writes and
    sends nothing and returns None. ``about``: the record the message is about. Audited on the patient's record
    when it concerns a patient (``patient``).
    """
    if channel not in Channel.values:
        raise ValidationError({"channel": [f"Unknown channel {channel!r}."]})
    if channel == Channel.EMAIL and not subject.startswith(SUBJECT_PREFIX):
        subject = SUBJECT_PREFIX + subject
    with transaction.atomic():
        message, created = Message.objects.get_or_create(
            dedupe_key=dedupe_key[:200],
            defaults=dict(
                kind=kind, channel=channel, address=(address or "").strip(), subject=subject[:200],
                body=body, user=user, patient=patient, about_key=about_key[:100],
                about_type=ContentType.objects.get_for_model(about) if about is not None else None,
                about_id=str(about.pk) if about is not None else "",
            ),
        )
        if not created:
            return None
        if patient is not None:
            audit.record(actor, "create", message, patient=patient,
                         detail={"kind": kind, "channel": channel, "about": about_key or message.about_id})
        _enqueue(message.pk)
    return message


@transaction.atomic
def retry(actor, message: Message) -> Message:
    """Send a failed message again (the outbox page's button): queued, and the worker tries once more."""
    if message.status != Message.Status.FAILED:
        raise ValidationError("Only a failed message can be retried.")
    message.status = Message.Status.QUEUED
    message.save(update_fields=["status"])
    audit.record(actor, "update", message, patient=message.patient,
                 detail={"retry": True, "attempts": message.attempts, "last_error": message.last_error[:200]})
    _enqueue(message.pk)
    return message


# ---------------------------------------------------------------------------------------------- staff
def on_call_directors():
    """settings.ON_CALL_DIRECTOR (a username), or every active director when it is blank (or not a director)."""
    users = get_user_model().objects.filter(role="director", is_active=True)
    if settings.ON_CALL_DIRECTOR:
        named = users.filter(username=settings.ON_CALL_DIRECTOR)
        if named.exists():
            return list(named)
    return list(users.order_by("id"))


def page_staff(users, *, kind: str, subject: str, body: str, key: str, about=None, patient=None, actor=None):
    """Email each of ``users`` once for ``key`` (staff have an email address on their account, no phone: a
    user without an email address gets a failed message in the outbox saying so, which the director sees)."""
    sent = []
    for user in {u.pk: u for u in users if u is not None}.values():
        message = queue_message(
            kind=kind, channel=Channel.EMAIL, address=user.email, subject=subject, body=body,
            dedupe_key=f"{kind}:{key}:user{user.pk}", user=user, about=about, patient=patient, actor=actor,
        )
        if message is not None:
            sent.append(message)
    return sent


# ---------------------------------------------------------------------------------------------- patients
def reminder_channel(patient) -> str:
    """How ``patient`` gets reminders: their stated choice; without one, email if they have an address, else
    text if they have a phone, else none."""
    pref = ContactPreference.objects.filter(patient=patient).first()
    if pref is not None:
        return pref.channel
    if patient.email:
        return ContactPreference.Reminders.EMAIL
    if patient.phone:
        return ContactPreference.Reminders.SMS
    return ContactPreference.Reminders.NONE


@transaction.atomic
def set_reminder_channel(actor, patient, channel: str) -> ContactPreference:
    """The patient's choice (the portal): email, text message, or no reminders. Needs the address it names."""
    if channel not in ContactPreference.Reminders.values:
        raise ValidationError({"channel": ["Choose email, text message or no reminders."]})
    if channel == ContactPreference.Reminders.EMAIL and not patient.email:
        raise ValidationError({"channel": ["There is no email address on your record; ask the front desk to add "
                                           "one, or choose text messages."]})
    if channel == ContactPreference.Reminders.SMS and not patient.phone:
        raise ValidationError({"channel": ["There is no phone number on your record; ask the front desk to add "
                                           "one, or choose email."]})
    pref, _ = ContactPreference.objects.update_or_create(patient=patient, defaults={"channel": channel})
    audit.record(actor, "update", pref, patient=patient, detail={"reminders": channel})
    return pref
