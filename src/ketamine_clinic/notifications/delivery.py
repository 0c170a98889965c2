"""Sending one outbox message (what the task worker runs): by Django's email API or the SMS backend, and
recording what became of it. A failure is kept on the message (failed, with the error), never lost."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from ketamine_clinic import audit

from . import sms
from .models import Channel, Message


def _send(message: Message) -> str:
    if not message.address:
        raise ValueError(
            "No email address on file." if message.channel == Channel.EMAIL else "No phone number on file."
        )
    if message.channel == Channel.EMAIL:
        EmailMessage(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.address]).send()
        return ""
    return sms.get_backend().send(message.address, message.body) or ""


def deliver(message_id: int) -> Message:
    """Send the message unless it was sent already (a retried task or a second worker sends nothing twice)."""
    message = Message.objects.select_related("user", "patient").get(pk=message_id)
    if message.status == Message.Status.SENT:
        return message
    message.attempts += 1
    try:
        message.provider_id = _send(message)[:200]
    except Exception as exc:  # any failure of the mail server or provider is recorded, not raised
        message.status = Message.Status.FAILED
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    else:
        message.status = Message.Status.SENT
        message.sent_at = timezone.now()
        message.last_error = ""
    message.save(update_fields=["attempts", "provider_id", "status", "last_error", "sent_at"])
    if message.patient_id:
        audit.record(None, "update", message, patient=message.patient,
                     detail={"status": message.status, "attempt": message.attempts, "kind": message.kind})
    return message
