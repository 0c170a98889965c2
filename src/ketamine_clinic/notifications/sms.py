"""Text messages: the backend interface a provider adapter implements, and the two backends that ship.

settings.SMS_BACKEND names the class (a dotted path). A provider adapter (Twilio, Vonage, the clinic's own
gateway) subclasses :class:`SmsBackend` and implements :meth:`SmsBackend.send`; see docs/notifications.md.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


class SmsError(Exception):
    """The provider refused or could not be reached; the message is kept as failed with this text."""


class SmsBackend:
    """The interface of a text-message provider.

    ``send(to, body)`` delivers ``body`` (plain text, already free of clinical detail) to the phone number ``to``
    as the patient or staff member typed it, and returns the provider's id for the message (kept in the outbox).
    It raises an exception (preferably :class:`SmsError`) when the provider refuses or cannot be reached: the
    outbox records the message as failed with the exception's text, and the director can retry it. It must not
    retry on its own (a retry is the outbox's decision) and must be safe to construct once per message.
    """

    def send(self, to: str, body: str) -> str:
        raise NotImplementedError


class FileBackend(SmsBackend):
    """The demo's backend: one text file per message under settings.SMS_FILE_PATH; its name is the id."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path or settings.SMS_FILE_PATH)

    def send(self, to: str, body: str) -> str:
        self.path.mkdir(parents=True, exist_ok=True)
        message_id = f"{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:12]}"
        (self.path / f"{message_id}.txt").write_text(f"To: {to}\nDate: {timezone.now().isoformat()}\n\n{body}\n")
        return message_id


class ConsoleBackend(SmsBackend):
    """Prints each message to standard output (development)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send(self, to: str, body: str) -> str:
        message_id = uuid.uuid4().hex[:12]
        self.stream.write(f"SMS {message_id} to {to}:\n{body}\n\n")
        self.stream.flush()
        return message_id


def get_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()
