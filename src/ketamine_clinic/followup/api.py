"""Follow-up API: booster suggestions and decisions, integration notes, shared journal entries, outcome figures."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import Router, Schema
from ninja.responses import Status

from ketamine_clinic import access, audit
from ketamine_clinic.api_types import ClinicDateTime, RecordId
from ketamine_clinic.portal.api import JournalEntryOut
from ketamine_clinic.portal.models import JournalEntry
from ketamine_clinic.validation import raise_if_invalid

from . import queries, services
from .forms import IntegrationNoteForm
from .models import BoosterSuggestion, IntegrationNote

router = Router(tags=["followup"])


class SuggestionOut(Schema):
    id: int
    patient_id: int
    kind: str
    reason: str
    instrument: str
    baseline: float | None = None
    nadir: float | None = None
    current: float | None = None
    response_threshold: float | None = None
    improvement_lost_fraction: float | None = None
    suggested_interval_days: int | None = None
    created_at: dt.datetime
    status: str
    decision_note: str
    appointment_id: int | None = None


class AcceptIn(Schema):
    starts_at: ClinicDateTime | None = None
    duration_min: int = 120
    note: str = ""


class DeclineIn(Schema):
    reason: str


class NoteOut(Schema):
    id: int
    session_id: int | None = None
    held_on: dt.date
    author: str
    themes: str
    body: str
    plan: str

    @staticmethod
    def resolve_author(obj):
        return obj.author.display_name()


class NoteIn(Schema):
    session_id: RecordId | None = None
    held_on: dt.date | None = None
    themes: str = ""
    body: str
    plan: str = ""


@router.get("/suggestions", response=list[SuggestionOut], summary="Open booster suggestions for my patients")
def open_suggestions(request):
    access.require(request.user, "clinical", "read")
    rows = list(queries.response_flags(request.user)[:200])
    audit.record(request, "list", detail={"open_suggestions": [s.pk for s in rows]})
    return rows


@router.post("/patients/{patient_id}/suggestions/refresh", response={200: SuggestionOut, 204: None})
def refresh(request, patient_id: RecordId):
    patient = access.open_patient(request, patient_id, "clinical", "write")
    suggestion = services.refresh_suggestion(patient, actor=request)
    return Status(200, suggestion) if suggestion else Status(204, None)


def _suggestion(request, suggestion_id):
    return access.open_record(request, BoosterSuggestion, suggestion_id, "prescribing", access.WRITE)


@router.post(
    "/suggestions/{suggestion_id}/accept", response=SuggestionOut, summary="Accept (books the booster)"
)
def accept(request, suggestion_id: RecordId, payload: AcceptIn):
    suggestion = _suggestion(request, suggestion_id)
    if not 15 <= payload.duration_min <= 480:
        raise ValidationError({"duration_min": "Duration must be 15-480 minutes."})
    return services.accept(
        request,
        suggestion,
        user=request.user,
        starts_at=payload.starts_at,
        duration_min=payload.duration_min,
        note=payload.note,
    )


@router.post("/suggestions/{suggestion_id}/decline", response=SuggestionOut, summary="Decline with a reason")
def decline(request, suggestion_id: RecordId, payload: DeclineIn):
    suggestion = _suggestion(request, suggestion_id)
    return services.decline(request, suggestion, user=request.user, reason=payload.reason)


@router.get("/patients/{patient_id}/notes", response=list[NoteOut], summary="Integration session notes")
def list_notes(request, patient_id: RecordId):
    patient = access.open_patient(request, patient_id, "therapy_notes", "read")
    return list(
        IntegrationNote.objects.visible_to(request.user).filter(patient=patient).select_related("author")
    )


@router.post("/patients/{patient_id}/notes", response={201: NoteOut}, summary="Write an integration note")
def create_note(request, patient_id: RecordId, payload: NoteIn):
    patient = access.open_patient(request, patient_id, "therapy_notes", "write")
    data = payload.dict()
    data["session"] = data.pop("session_id")
    data["held_on"] = data["held_on"] or timezone.localdate()
    form = IntegrationNoteForm(
        data={k: v for k, v in data.items() if v is not None}, patient=patient, author=request.user
    )
    raise_if_invalid(form)
    note = form.save()
    audit.record(request, "create", note)
    return Status(201, note)


@router.get(
    "/patients/{patient_id}/journal",
    response=list[JournalEntryOut],
    summary="Journal entries shared with staff",
)
def shared_journal(request, patient_id: RecordId):
    patient = access.open_patient(request, patient_id, "self_report", "read")
    return list(JournalEntry.objects.visible_to(request.user).filter(patient=patient))


@router.get("/dashboard", summary="Clinic outcome figures (aggregate queries)")
def dashboard(request):
    access.require(request.user, "clinic_reports", "read")
    audit.record(request, "view", detail={"page": "clinic outcomes API"})
    figures = queries.dashboard_figures()
    figures["phases"] = [{"phase": label, "patients": n} for label, n in figures["phases"]]
    return figures
