"""The flowsheet: vitals readings (with their alerts), the other entries (side effects, interventions,
observations, dissociation scores), alert acknowledgement and when the next vitals are due."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ketamine_clinic import audit
from ketamine_clinic.core.administration.vitals import (
    VITALS_SCHEDULES,
    ImplausibleVitals,
    VitalSigns,
    next_vitals_due,
    validate_vitals,
    vitals_alerts,
)

from ..models import (
    DosingSession,
    VitalsReading,
)
from .common import _now, _refuse_bad_time

VITAL_FIELDS = ("sbp", "dbp", "hr", "spo2", "rr")


def readings(session: DosingSession):
    return list(session.vitalsreadings.select_related("entered_by").order_by("taken_at", "id"))


def vitals_of(reading: VitalsReading | None) -> VitalSigns | None:
    if reading is None:
        return None
    return VitalSigns(**{f: getattr(reading, f) for f in VITAL_FIELDS})


def baseline_reading(session: DosingSession) -> VitalsReading | None:
    return session.vitalsreadings.filter(is_baseline=True).order_by("-taken_at", "-id").first()


def _entry(model, session, *, user, idempotency_key: str, **fields):
    """Append one flowsheet row idempotently; returns (row, created)."""
    key = (idempotency_key or "").strip()
    if not key or len(key) > 64:
        raise ValidationError({"idempotency_key": ["A submission key (1-64 characters) is required."]})
    if session.is_closed:
        raise ValidationError(
            {"__all__": [f"The session is {session.state_label.lower()}; it takes no new entries."]}
        )
    existing = model.objects.filter(session=session, idempotency_key=key).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            row = model.objects.create(session=session, entered_by=user, idempotency_key=key, **fields)
    except IntegrityError:
        # Another request with the same key won the race; return its row.
        return model.objects.get(session=session, idempotency_key=key), False
    audit.record(user, "create", row, patient=session.patient, detail={"session": session.pk})
    return row, True


def record_reading(
    session: DosingSession,
    *,
    user,
    idempotency_key: str,
    values: dict,
    taken_at: dt.datetime | None = None,
    is_baseline: bool = False,
    now=None,
):
    """Save one set of vitals at once (idempotent); alerts are computed and stored with it."""
    taken_at = taken_at or _now(now)
    _refuse_bad_time("taken_at", taken_at, after=session.checked_in_at, after_what="check-in")
    vitals = VitalSigns(
        **{k: (float(values[k]) if values.get(k) not in (None, "") else None) for k in VITAL_FIELDS}
    )
    try:
        validate_vitals(vitals)
    except ImplausibleVitals as err:
        raise ValidationError(err.errors) from err
    alerts = [a.message for a in vitals_alerts(vitals)]
    ints = {k: (int(round(v)) if v is not None else None) for k, v in dataclasses.asdict(vitals).items()}
    return _entry(
        VitalsReading,
        session,
        user=user,
        idempotency_key=idempotency_key,
        taken_at=taken_at,
        is_baseline=is_baseline,
        alerts=alerts,
        **ints,
    )


def add_entry(model, session, *, user, idempotency_key: str, **fields):
    """Append a side effect, intervention, observation or dissociation score (idempotent)."""
    for name, value in fields.items():
        if isinstance(value, dt.datetime):
            _refuse_bad_time(name, value, after=session.checked_in_at, after_what="check-in")
    return _entry(model, session, user=user, idempotency_key=idempotency_key, **fields)


def acknowledge_alert(reading: VitalsReading, *, user, now=None):
    if reading.alerts and reading.alert_acknowledged_at is None:
        reading.alert_acknowledged_by = user
        reading.alert_acknowledged_at = _now(now)
        reading.save(update_fields=["alert_acknowledged_by", "alert_acknowledged_at"])
        audit.record(user, "update", reading, detail={"acknowledged": reading.alerts})
    return reading


def active_alerts(session: DosingSession):
    return [r for r in session.vitalsreadings.all() if r.alerts and r.alert_acknowledged_at is None]


def next_due(session: DosingSession):
    schedule = VITALS_SCHEDULES.get(session.route)
    if schedule is None or session.is_closed:
        return None
    # Baseline readings are pre-dose checks; only monitoring readings satisfy the schedule.
    times = [r.taken_at for r in session.vitalsreadings.all() if not r.is_baseline]
    return next_vitals_due(
        schedule,
        dosing_started_at=session.dosing_started_at,
        dosing_ended_at=session.dosing_ended_at,
        reading_times=times,
    )
