"""The outbox (the director) and the patient's reminder choice, as JSON; the same services as the pages."""

import datetime as dt

from django.core.exceptions import ValidationError
from ninja import Router, Schema

from ketamine_clinic import access, audit

from . import services
from .models import Message

router = Router(tags=["notifications"])


class MessageOut(Schema):
    id: int
    kind: str
    channel: str
    address: str
    subject: str
    status: str
    attempts: int
    last_error: str
    user_id: int | None = None
    patient_id: int | None = None
    created_at: dt.datetime
    sent_at: dt.datetime | None = None


class RemindersOut(Schema):
    channel: str
    email: str
    phone: str


class RemindersIn(Schema):
    channel: str


@router.get("/outbox", response=list[MessageOut], summary="The outbox: messages sent, failed and waiting")
def list_outbox(request, status: str = "", limit: int = 200):
    access.require(request.user, "outbox")
    if status and status not in Message.Status.values:
        raise ValidationError({"status": [f"Status is one of {', '.join(Message.Status.values)}."]})
    rows = Message.objects.order_by("-created_at", "-id")
    if status:
        rows = rows.filter(status=status)
    rows = list(rows[: max(1, min(limit, 1000))])
    audit.record(request, "list", detail={"api": "outbox", "status": status,
                                          "shown": sorted({m.patient_id for m in rows if m.patient_id})})
    return rows


def _own(request, action):
    return access.open_own_record(request, "self_report", action,
                                  refusal="Reminder choices are the patient's own (the portal).")


@router.get("/me/reminders", response=RemindersOut, summary="How I get appointment reminders")
def my_reminders(request):
    patient = _own(request, access.READ)
    return {"channel": services.reminder_channel(patient), "email": patient.email, "phone": patient.phone}


@router.put("/me/reminders", response=RemindersOut, summary="Choose email, text message (sms) or none")
def set_my_reminders(request, payload: RemindersIn):
    patient = _own(request, access.WRITE)
    pref = services.set_reminder_channel(request, patient, payload.channel)
    return {"channel": pref.channel, "email": patient.email, "phone": patient.phone}
