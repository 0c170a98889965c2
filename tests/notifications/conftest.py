"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the notification tests, and the real task worker.

The worker is django-tasks-db's own ``db_worker --batch``, run in-process after the action: it runs every task
that is due on the (travelling) clinic clock, then returns. aiosmtpd accepts each message inside the SMTP
conversation, so once the worker has returned, whatever was sent has arrived.
"""

import email
import email.policy
import socket

import pytest


class Inbox:
    """What the SMTP server received: one email.message.EmailMessage per delivery, with its envelope."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message.envelope_to = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address):
        return [m for m in self.messages if address in m.envelope_to]

    @staticmethod
    def body(message) -> str:
        return message.get_body(("plain",)).get_content()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """Start aiosmtpd on a free port and point Django's SMTP backend at it; yields (inbox, controller)."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield inbox, controller
    finally:
        try:
            controller.stop()
        except AssertionError:  # already stopped by the test
            pass


@pytest.fixture
def inbox(smtp_server):
    return smtp_server[0]


@pytest.fixture
def sms_dir(settings, tmp_path):
    settings.SMS_BACKEND = "ketamine_clinic.notifications.sms.FileBackend"
    settings.SMS_FILE_PATH = tmp_path / "sms"
    return settings.SMS_FILE_PATH


@pytest.fixture
def run_worker():
    """run_worker(): the real db_worker in batch mode: every task due now runs, then it returns."""
    from django.core.management import call_command

    def run():
        call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", "--no-reload",
                     "--queue-name", "*", verbosity=0)

    return run


@pytest.fixture
def emails(staff):
    """Give every staff member of the ``staff`` fixture an email address (username@clinic.test)."""
    for user in staff.values():
        user.email = f"{user.username}@clinic.test"
        user.save(update_fields=["email"])
    return {key: user.email for key, user in staff.items()}
