"""Outcomes API: administrations (list, create) and score series per patient, instruments, due list, tasks.

Authorised through ``ketamine_clinic.access`` like the pages. Staff use area "measures"; a patient may list
and create only their own self-reports (area "self_report"). Invalid answers -> 422 naming the item.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from ninja import Field, Router, Schema
from ninja.responses import Status

from ketamine_clinic import access, audit
from ketamine_clinic.api_types import ClinicDateTime, RecordId
from ketamine_clinic.core.instruments import INSTRUMENTS

from . import history, services
from .models import MeasureResponse, UrgentTask

router = Router(tags=["outcomes"])


class MeasureResponseOut(Schema):
    id: int
    patient_id: int
    instrument: str
    answers: list[int | None]
    total: int | None
    severity: str
    flags: list[str]
    prorated: bool
    session_id: int | None
    administered_by_id: int | None
    self_reported: bool
    taken_at: dt.datetime
    urgent_task_created: bool = False


class MeasureResponseIn(Schema):
    instrument: str
    answers: list[int | None]
    taken_at: ClinicDateTime | None = None
    session_id: RecordId | None = None


class ItemOut(Schema):
    number: int
    text: str
    options: list[dict]
    critical: bool
    reverse_scored: bool
    asked_if: list[int] | None


class InstrumentOut(Schema):
    key: str
    name: str
    short_name: str
    respondent: str
    min_total: int | None
    max_total: int | None
    severity_bands: list[dict]
    remission_max: int | None
    citation: str
    wording_note: str
    items: list[ItemOut]


class PointOut(Schema):
    taken_at: dt.datetime
    total: int


class SeriesOut(Schema):
    instrument: str
    points: list[PointOut]
    status: dict | None


class DueOut(Schema):
    instrument: str
    reason: str
    status: str
    due_at: dt.datetime
    overdue_at: dt.datetime
    session_id: int | None


class TaskOut(Schema):
    id: int
    patient_id: int
    # The API keeps its published name for the questionnaire the task was raised from (a MeasureResponse now).
    administration_id: int = Field(alias="measure_response_id")
    assigned_to_id: int | None
    priority: str
    reason: str
    flags: list[str]
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None
    action_taken: str


class AcknowledgeIn(Schema):
    action_taken: str


def _area(request):
    return access.area_for(request.user, "measures", patient_area="self_report")


def _admin_out(a: MeasureResponse) -> dict:
    return {
        "id": a.pk,
        "patient_id": a.patient_id,
        "instrument": a.instrument,
        "answers": a.answers,
        "total": a.total,
        "severity": a.severity,
        "flags": a.flags,
        "prorated": a.prorated,
        "session_id": a.session_id,
        "administered_by_id": a.administered_by_id,
        "self_reported": a.self_reported,
        "taken_at": a.taken_at,
    }


@router.get("/instruments", response=list[InstrumentOut], summary="The instrument library (definitions only)")
def list_instruments(request):
    out = []
    for inst in INSTRUMENTS.values():
        out.append(
            {
                "key": inst.key,
                "name": inst.name,
                "short_name": inst.short_name,
                "respondent": inst.respondent,
                "min_total": inst.min_total,
                "max_total": inst.max_total,
                "severity_bands": [
                    {"low": b.low, "high": b.high, "label": b.label} for b in inst.severity_bands
                ],
                "remission_max": inst.remission_max,
                "citation": inst.citation,
                "wording_note": inst.wording_note,
                "items": [
                    {
                        "number": it.number,
                        "text": it.text,
                        "critical": it.is_critical,
                        "reverse_scored": it.reverse_scored,
                        "asked_if": list(it.asked_if) if it.asked_if else None,
                        "options": [{"value": o.value, "label": o.label} for o in it.options],
                    }
                    for it in inst.items
                ],
            }
        )
    return out


@router.get(
    "/patients/{patient_id}/administrations",
    response=list[MeasureResponseOut],
    summary="A patient's administrations, newest first",
)
def list_measure_responses(request, patient_id: RecordId, instrument: str = ""):
    patient = access.open_patient(request, patient_id, _area(request), "read")
    qs = MeasureResponse.objects.filter(patient=patient)
    if instrument:
        qs = qs.filter(instrument=instrument)
    rows = list(qs.order_by("-taken_at")[:500])
    audit.record(
        request, "list", patient=patient, detail={"administrations": len(rows), "instrument": instrument}
    )
    return [_admin_out(a) for a in rows]


@router.post(
    "/patients/{patient_id}/administrations",
    response={201: MeasureResponseOut},
    summary="Record an administration (scored by the core engine; 422 on invalid answers)",
)
def create_measure_response(request, patient_id: RecordId, payload: MeasureResponseIn):
    patient = access.open_patient(request, patient_id, _area(request), "write")
    session = None
    if payload.session_id is not None:
        session = patient.dosing_sessions.filter(pk=payload.session_id).first()
        if session is None:
            raise ValidationError({"session_id": ["No such session for this patient."]})
    admin = services.record_measure_response(
        patient=patient,
        instrument=payload.instrument,
        answers=payload.answers,
        user=request.user,
        request=request,
        self_reported=request.user.is_patient,
        session=session,
        taken_at=payload.taken_at,
    )
    data = _admin_out(admin)
    data["urgent_task_created"] = admin.urgent_tasks.exists()
    return Status(201, data)


@router.get(
    "/patients/{patient_id}/scores",
    response=list[SeriesOut],
    summary="Score series per instrument with response/remission/relapse status",
)
def scores(request, patient_id: RecordId, instrument: str = ""):
    patient = access.open_patient(request, patient_id, _area(request), "read")
    keys = [instrument] if instrument else list(INSTRUMENTS)
    out = []
    for key in keys:
        if key not in INSTRUMENTS:
            raise ValidationError({"instrument": [f"Unknown instrument {key!r}."]})
        points = history.series(patient, key)
        if not points and not instrument:
            continue
        status = history.status_for(points, key) if INSTRUMENTS[key].tracks_outcome else None
        out.append(
            {
                "instrument": key,
                "points": [{"taken_at": t, "total": v} for t, v in points],
                "status": status.__dict__ if status else None,
            }
        )
    return out


@router.get("/patients/{patient_id}/due", response=list[DueOut], summary="Measures due or overdue now")
def due(request, patient_id: RecordId):
    patient = access.open_patient(request, patient_id, _area(request), "read")
    return [d.__dict__ for d in services.patient_due(patient)]


@router.get("/urgent-tasks", response=list[TaskOut], summary="Open suicide-risk tasks for you")
def urgent_tasks(request):
    access.require(request.user, "measures", "read")
    tasks = list(services.open_tasks_for(request.user))
    audit.record(request, "list", detail={"urgent_tasks": [t.pk for t in tasks]})
    return tasks


@router.post(
    "/urgent-tasks/{task_id}/acknowledge",
    response=TaskOut,
    summary="Acknowledge an urgent task with the action taken (required)",
)
def acknowledge(request, task_id: RecordId, payload: AcknowledgeIn):
    task = access.open_record(request, UrgentTask, task_id, "prescribing", access.WRITE)
    return services.acknowledge_task(task, user=request.user, action=payload.action_taken, request=request)
