"""Sessions API: today's sessions, one session with its readings, posting readings and state changes.

A session shows both the confirmed dose (``dose_mg``, drawn before dosing) and the dose actually delivered
(``delivered_mg``, recorded when dosing ends). A transition out of "dosing" takes the delivered dose
(``delivered_mg``, or ``volume_infused_ml`` for an infusion, or ``devices_used`` for nasal sprays): optional
to "monitoring" (default: the whole confirmed dose), required to "stopped_early".

Errors: 404 (session/patient not visible), 403 (role), 409 (stale version: someone else changed the session),
422 (validation: implausible vitals, illegal transition, unmet gate without override).
"""

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.responses import Status

from ketamine_clinic import access, audit
from ketamine_clinic.accounts.models import User
from ketamine_clinic.api_types import ClinicDateTime, Error, RecordId

from . import services
from .models import DosingSession

router = Router(tags=["sessions"])


class ReadingOut(Schema):
    id: int
    taken_at: dt.datetime
    is_baseline: bool
    sbp: int | None
    dbp: int | None
    hr: int | None
    spo2: int | None
    rr: int | None
    alerts: list[str]
    idempotency_key: str


class SessionOut(Schema):
    id: int
    patient_id: int
    route: str
    state: str
    version: int
    scheduled_for: dt.datetime
    chair: str | None = None
    dose_mg: Decimal | None = Field(None, description="The confirmed dose (mg), drawn before dosing.")
    delivered_mg: Decimal | None = Field(
        None,
        description="The dose actually delivered (mg), recorded when dosing ends; less than dose_mg when the "
        "infusion was stopped early or slowed. Null until dosing ends.",
    )
    delivery_basis: str = Field(
        "", description="How the delivered dose was read, e.g. the pump's volume infused."
    )
    pump_rate_ml_per_h: Decimal | None = None
    dosing_started_at: dt.datetime | None = None
    dosing_ended_at: dt.datetime | None = None
    next_vitals_due: dt.datetime | None = None
    active_alerts: int = 0


class SessionDetailOut(SessionOut):
    readings: list[ReadingOut]


class ReadingIn(Schema):
    idempotency_key: str = Field(..., min_length=1, max_length=64)
    sbp: int | None = None
    dbp: int | None = None
    hr: int | None = None
    spo2: int | None = None
    rr: int | None = None
    is_baseline: bool = False
    taken_at: ClinicDateTime | None = None


class TransitionIn(Schema):
    target: str
    version: int
    reason: str = ""
    override_reason: str = ""
    # Leaving "dosing": the dose actually delivered, one way (empty for monitoring = the whole confirmed dose;
    # required for stopped_early).
    delivered_mg: Decimal | None = Field(None, ge=0)
    volume_infused_ml: Decimal | None = Field(None, ge=0, description="IV: the pump's volume infused (mL).")
    devices_used: int | None = Field(None, ge=0, description="Intranasal: nasal devices used.")


class DoseIn(Schema):
    dose_mg: Decimal = Field(..., gt=0, lt=10000)
    version: int
    lot_id: RecordId = Field(..., ge=1, description="The stock lot the dose is drawn from (every dose is drawn).")
    second_checker_id: RecordId = Field(..., ge=1, description="The staff member who checks the dose with you.")
    second_checker_password: str = Field(..., description="The second checker types their own password now.")
    override_reason: str = ""


def _out(session: DosingSession) -> dict:
    return {
        "id": session.pk,
        "patient_id": session.patient_id,
        "route": session.route,
        "state": session.state,
        "version": session.version,
        "scheduled_for": session.scheduled_for,
        "chair": session.chair.name if session.chair else None,
        "dose_mg": session.dose_mg,
        "delivered_mg": session.delivered_mg,
        "delivery_basis": session.delivery_basis,
        "pump_rate_ml_per_h": session.pump_rate_ml_per_h,
        "dosing_started_at": session.dosing_started_at,
        "dosing_ended_at": session.dosing_ended_at,
        "next_vitals_due": services.next_due(session),
        "active_alerts": len(services.active_alerts(session)),
    }


def _session(request, session_id: RecordId, action: str) -> DosingSession:
    # Patients may read their own session; the clinical area gives them no write, so open_record refuses it (403).
    return access.open_record(request, DosingSession.objects.select_related("chair", "patient"), session_id,
                              "clinical", action)


@router.get("/today", response=list[SessionOut])
def today(request):
    """Sessions scheduled today for the patients visible to the caller."""
    now = timezone.now()
    start = timezone.make_aware(dt.datetime.combine(timezone.localdate(now), dt.time.min))
    qs = DosingSession.objects.filter(
        scheduled_for__gte=start,
        scheduled_for__lt=start + dt.timedelta(days=1),
        patient__in=access.visible_patients(request.user),
    ).select_related("chair").prefetch_related("vitalsreadings")
    access.require(request.user, "clinical", "read")
    sessions = list(qs)
    audit.record(request, "list", detail={"api": "sessions/today", "shown": [s.pk for s in sessions]})
    return [_out(s) for s in sessions]


@router.get("/{session_id}", response=SessionDetailOut)
def detail(request, session_id: RecordId):
    session = _session(request, session_id, "read")
    return {**_out(session), "readings": services.readings(session)}


@router.post("/{session_id}/readings", response={200: ReadingOut, 201: ReadingOut})
def post_reading(request, session_id: RecordId, payload: ReadingIn):
    """Save one reading. Re-posting the same ``idempotency_key`` returns the saved reading (200), never a copy."""
    session = _session(request, session_id, "write")
    values = payload.dict(include={"sbp", "dbp", "hr", "spo2", "rr"})
    reading, created = services.record_reading(
        session,
        user=request.user,
        idempotency_key=payload.idempotency_key,
        values=values,
        taken_at=payload.taken_at,
        is_baseline=payload.is_baseline,
    )
    return Status(201 if created else 200, reading)


@router.post("/{session_id}/transitions", response={200: SessionOut, 409: Error})
def post_transition(request, session_id: RecordId, payload: TransitionIn):
    session = _session(request, session_id, "write")
    try:
        moved = services.transition(
            session,
            payload.target,
            user=request.user,
            version=payload.version,
            reason=payload.reason,
            override_reason=payload.override_reason,
            delivered_mg=payload.delivered_mg,
            volume_infused_ml=payload.volume_infused_ml,
            devices_used=payload.devices_used,
        )
    except services.StaleSession as err:
        return Status(409, {"detail": str(err)})
    return Status(200, _out(moved))


@router.post("/{session_id}/dose", response={200: SessionOut, 409: Error})
def post_dose(request, session_id: RecordId, payload: DoseIn):
    session = _session(request, session_id, "write")
    try:
        done = services.record_dose(
            session,
            dose_mg=payload.dose_mg,
            user=request.user,
            lot_id=payload.lot_id,
            second_checker=User.objects.filter(pk=payload.second_checker_id).first(),
            second_checker_password=payload.second_checker_password,
            override_reason=payload.override_reason,
            expected_version=payload.version,
        )
    except services.StaleSession as err:
        return Status(409, {"detail": str(err)})
    return Status(200, _out(done))
