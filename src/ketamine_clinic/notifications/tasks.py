"""The task the worker runs for each outbox message (Django's tasks API, database backend)."""

from django_tasks import task

from .delivery import deliver


@task()
def send_message(message_id: int) -> str:
    """Send one outbox message; returns its status (sent or failed: a failure is recorded on the message)."""
    return deliver(message_id).status
