"""Scheduling API: a day's appointments, a patient's, book / move / cancel, generate from a plan."""

import datetime as dt

from django.http import Http404
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.responses import Status

from ketamine_clinic import access, audit
from ketamine_clinic.api_types import ClinicDateTime, RecordId
from ketamine_clinic.plans.models import TreatmentPlan

from . import series, services
from .models import Appointment, Chair

router = Router(tags=["schedule"])


class AppointmentOut(Schema):
    id: int
    patient_id: int
    kind: str
    starts_at: ClinicDateTime
    duration_min: int
    chair_id: int | None
    staff_id: int | None
    status: str
    plan_id: int | None
    phase_key: str
    dose_number: int | None
    label: str
    note: str
    cancel_reason: str


class ChairOut(Schema):
    id: int
    name: str
    room: str
    active: bool
    chair_type: str  # core.protocols.schedule.CHAIR_TYPES key: which routes the chair takes


class InductionSeriesOut(Schema):
    """The induction series of the patient's active plan (rules: core.protocols.series)."""

    plan_id: int
    done: int
    total: int
    summary: str  # e.g. "3 of 6 done, last 2 days ago"
    days_since_last_done: int | None
    last_done_at: ClinicDateTime | None
    next_booked_at: ClinicDateTime | None
    next_booked_dose: int | None
    missed: int
    moved: int  # reschedules of the series' visits, all told
    cancelled: int
    max_gap_days: int  # the longest gap between doses the protocol allows
    complete: bool
    at_risk: bool
    at_risk_reasons: list[str]


class GeneratedOut(Schema):
    created: list[AppointmentOut]
    warnings: list[str]


class BookIn(Schema):
    kind: str
    starts_at: ClinicDateTime
    duration_min: int = 60
    chair_id: RecordId | None = None
    staff_id: RecordId | None = None
    note: str = ""


class RescheduleIn(Schema):
    starts_at: ClinicDateTime
    reason: str = Field(..., max_length=300)
    chair_id: RecordId | None = None
    staff_id: RecordId | None = None


class CancelIn(Schema):
    reason: str = Field(..., max_length=300)


class GenerateIn(Schema):
    replace_existing: bool = False


def _chair(chair_id):
    if chair_id is None:
        return None
    chair = Chair.objects.filter(pk=chair_id).first()
    if chair is None:
        from django.core.exceptions import ValidationError

        raise ValidationError({"chair_id": "No such chair."})
    return chair


def _staff(staff_id):
    from django.core.exceptions import ValidationError

    from ketamine_clinic.accounts.models import STAFF_ROLES, User

    if staff_id is None:
        return None
    member = User.objects.filter(pk=staff_id, role__in=STAFF_ROLES).first()
    if member is None:
        raise ValidationError({"staff_id": "No such staff member."})
    return member


def _future(value: dt.datetime, field: str = "starts_at") -> dt.datetime:
    from django.core.exceptions import ValidationError

    # Without an offset, a time is on the clinic's wall clock (settings.TIME_ZONE).
    value = timezone.make_aware(value) if timezone.is_naive(value) else value
    if value <= timezone.now():
        raise ValidationError({field: "Choose a time in the future."})
    return value


@router.get("/chairs", response=list[ChairOut], summary="Treatment chairs and rooms")
def chairs(request):
    access.require(request.user, "schedule", "read")
    return list(Chair.objects.all())


@router.get("/day", response=list[AppointmentOut], summary="Appointments on a day (patients visible to you)")
def day(request, date: dt.date | None = None):
    access.require(request.user, "schedule", "read")
    visible = set(access.visible_patients(request.user).values_list("pk", flat=True))
    the_day = date or timezone.localdate()
    rows = [a for a in services.day_appointments(the_day) if a.patient_id in visible]
    audit.record(request, "list", detail={"schedule_day": the_day.isoformat(), "shown": [a.pk for a in rows]})
    return rows


@router.get("/patient/{patient_id}", response=list[AppointmentOut], summary="A patient's appointments")
def patient_appointments(request, patient_id: RecordId):
    patient = access.open_patient(request, patient_id, "schedule", "read")
    return list(patient.appointments.order_by("starts_at"))


@router.get("/patient/{patient_id}/series", response=InductionSeriesOut, summary="A patient's induction series")
def patient_series(request, patient_id: RecordId):
    """How far the patient is through the induction of their active plan, and why it may not finish."""
    patient = access.open_patient(request, patient_id, "schedule", "read")
    row = series.patient_series(patient)
    if row is None:
        raise Http404("The patient has no active treatment plan with an induction series.")
    fields = {name: getattr(row.progress, name) for name in InductionSeriesOut.model_fields if name != "plan_id"}
    return {**fields, "plan_id": row.plan.pk, "at_risk_reasons": list(row.progress.at_risk_reasons)}


@router.post("/patient/{patient_id}", response={201: AppointmentOut}, summary="Book an appointment")
def book(request, patient_id: RecordId, payload: BookIn):
    patient = access.open_patient(request, patient_id, "schedule", "write")
    staff = _staff(payload.staff_id)
    appointment = services.book(
        request,
        patient=patient,
        kind=payload.kind,
        starts_at=_future(payload.starts_at),
        duration_min=payload.duration_min,
        chair=_chair(payload.chair_id),
        staff=staff,
        note=payload.note,
    )
    return Status(201, appointment)


@router.post("/plan/{plan_id}/generate", response={201: GeneratedOut}, summary="Book a plan's appointments")
def generate(request, plan_id: RecordId, payload: GenerateIn):
    plan = access.open_record(request, TreatmentPlan, plan_id, "schedule", access.WRITE)
    created, warnings = services.generate_from_plan(request, plan, replace_existing=payload.replace_existing)
    return Status(201, {"created": created, "warnings": warnings})


def _load(request, appointment_id):
    return access.open_record(request, Appointment, appointment_id, "schedule", access.WRITE)


@router.post(
    "/appointments/{appointment_id}/reschedule", response=AppointmentOut, summary="Move an appointment"
)
def reschedule(request, appointment_id: RecordId, payload: RescheduleIn):
    appointment = _load(request, appointment_id)
    chair = _chair(payload.chair_id) if payload.chair_id is not None else "unchanged"
    staff = _staff(payload.staff_id) if payload.staff_id is not None else "unchanged"
    return services.reschedule(
        request,
        appointment,
        starts_at=_future(payload.starts_at),
        reason=payload.reason,
        chair=chair,
        staff=staff,
    )


@router.post(
    "/appointments/{appointment_id}/cancel", response=AppointmentOut, summary="Cancel an appointment"
)
def cancel(request, appointment_id: RecordId, payload: CancelIn):
    appointment = _load(request, appointment_id)
    return services.cancel(request, appointment, reason=payload.reason)
