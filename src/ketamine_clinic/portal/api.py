"""Portal API (a patient's own journal and messages). Same forms, same querysets, same audit as the pages."""

import datetime as dt

from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.responses import Status

from ketamine_clinic import access, audit
from ketamine_clinic.api_types import RecordId
from ketamine_clinic.validation import raise_if_invalid

from .forms import JournalEntryForm, MessageForm
from .models import JournalEntry, Message

router = Router(tags=["portal"])


class JournalEntryOut(Schema):
    id: int
    written_at: dt.datetime
    timing: str
    session_id: int | None = None
    body: str
    mood: int | None = None
    tags: list[str]
    shared: bool
    shared_at: dt.datetime | None = None


class JournalEntryIn(Schema):
    body: str
    timing: str = "other"
    session_id: RecordId | None = None
    mood: int | None = None
    tags: list[str] = []
    shared: bool = False


class JournalEntryPatch(Schema):
    body: str | None = None
    timing: str | None = None
    mood: int | None = None
    tags: list[str] | None = None
    shared: bool | None = None


class MessageOut(Schema):
    id: int
    from_patient: bool
    sender: str
    subject: str
    body: str
    sent_at: dt.datetime
    read_at: dt.datetime | None = None

    @staticmethod
    def resolve_sender(obj):
        return obj.sender.display_name()


class MessageIn(Schema):
    subject: str = ""
    body: str


def _own_patient(request, action="read", area="self_report"):
    return access.open_own_record(request, area, action, refusal="The portal API is for patients' own records.")


def _form_data(entry: JournalEntry | None, changes: dict) -> dict:
    data = {}
    if entry is not None:
        data = {
            "body": entry.body,
            "timing": entry.timing,
            "session": entry.session_id,
            "mood": entry.mood,
            "tags": list(entry.tags),
            "shared": entry.shared,
        }
    if "session_id" in changes:
        changes["session"] = changes.pop("session_id")
    data.update(changes)
    # Form semantics: an unchecked box is absent; None becomes blank.
    return {k: v for k, v in data.items() if v is not None and not (k == "shared" and v is False)}


@router.get("/journal", response=list[JournalEntryOut], summary="My journal entries (private and shared)")
def list_journal(request):
    patient = _own_patient(request)
    return list(JournalEntry.objects.visible_to(request.user).filter(patient=patient))


@router.post("/journal", response={201: JournalEntryOut}, summary="Write a journal entry")
def create_journal(request, payload: JournalEntryIn):
    patient = _own_patient(request, "write")
    form = JournalEntryForm(data=_form_data(None, payload.dict()), patient=patient)
    raise_if_invalid(form)
    entry = form.save()
    audit.record(request, "create", entry, detail={"shared": entry.shared})
    return Status(201, entry)


@router.patch("/journal/{entry_id}", response=JournalEntryOut, summary="Edit, share or un-share my entry")
def update_journal(request, entry_id: RecordId, payload: JournalEntryPatch):
    patient = _own_patient(request, "write")
    entry = get_object_or_404(
        JournalEntry.objects.visible_to(request.user).filter(patient=patient), pk=entry_id
    )
    form = JournalEntryForm(
        data=_form_data(entry, payload.dict(exclude_unset=True)), instance=entry, patient=patient
    )
    raise_if_invalid(form)
    entry = form.save()
    audit.record(request, "update", entry, detail={"shared": entry.shared})
    return entry


@router.get("/messages", response=list[MessageOut], summary="My message thread with the care team")
def list_messages(request):
    patient = _own_patient(request)
    return list(Message.objects.visible_to(request.user).filter(patient=patient).select_related("sender"))


@router.post("/messages", response={201: MessageOut}, summary="Send a message to my care team")
def send_message(request, payload: MessageIn):
    patient = _own_patient(request, "write")
    form = MessageForm(data=payload.dict())
    raise_if_invalid(form)
    message = form.save(commit=False)
    message.patient, message.sender, message.from_patient = patient, request.user, True
    message.save()
    audit.record(request, "create", message)
    return Status(201, message)
