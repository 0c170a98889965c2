"""Discharge refused until criteria are met (or a prescriber overrides); the note is generated, signed, locked."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.sessions import services
from ketamine_clinic.sessions.models import SessionNote, SessionNoteAmendment


def to_ready(session, nurse, helpers, now):
    """Dosing began 115 min before ``now`` and its 40-min infusion ended 65 min before: past the IV minimum (60)."""
    helpers.start_dosing(session, nurse, at=now - dt.timedelta(minutes=125))
    ended = now - dt.timedelta(minutes=65)
    services.transition(session, "monitoring", user=nurse, version=session.version, now=ended)
    services.record_reading(
        session,
        user=nurse,
        idempotency_key=helpers.key(),
        values={"sbp": 130, "dbp": 82, "hr": 76, "spo2": 98, "rr": 14},
        taken_at=now - dt.timedelta(minutes=5),
    )
    services.transition(session, "ready_for_discharge", user=nurse, version=session.version, now=now)
    return session


def test_discharge_refused_until_checklist_then_allowed(staff, iv_session, helpers):
    nurse = staff["nurse"]
    from django.utils import timezone

    now = timezone.now()
    to_ready(iv_session, nurse, helpers, now)
    with pytest.raises(ValidationError, match="Escort present"):
        services.transition(iv_session, "discharged", user=nurse, version=iv_session.version, now=now)
    services.save_discharge_checklist(
        iv_session,
        {
            "alert_and_oriented": True,
            "steady_gait": True,
            "nausea_controlled": True,
            "escort_present": True,
            "escort_name": "Sam",
        },
        user=nurse,
    )
    services.transition(iv_session, "discharged", user=nurse, version=iv_session.version, now=now)
    assert iv_session.state == "discharged" and iv_session.discharged_at == now


def test_observation_time_enforced_and_prescriber_override(staff, iv_session, helpers):
    """Ready-for-discharge and discharge are refused before the route's minimum observation after dosing ends
    (IV: 60 min, clinic-defined in the route table), unless a prescriber overrides with a reason (audited)."""
    from django.utils import timezone

    from ketamine_clinic.core.protocols.routes import rules_for

    nurse, prescriber = staff["nurse"], staff["prescriber"]
    now = timezone.now()
    helpers.start_dosing(iv_session, nurse, at=now - dt.timedelta(minutes=70))  # dosing from now-60 min
    ended = now - dt.timedelta(minutes=20)  # the 40-min infusion ran in full and ended 20 min ago
    services.transition(iv_session, "monitoring", user=nurse, version=iv_session.version, now=ended)
    services.record_reading(
        iv_session, user=nurse, idempotency_key=helpers.key(),
        values={"sbp": 130, "dbp": 82, "hr": 76, "spo2": 98, "rr": 14}, taken_at=now - dt.timedelta(minutes=2),
    )
    minimum = rules_for("iv").min_observation_min
    with pytest.raises(ValidationError, match=f"Observed at least {minimum} min: 20 min since dosing ended"):
        services.transition(iv_session, "ready_for_discharge", user=nurse, version=iv_session.version, now=now)
    with pytest.raises(PermissionDenied):
        services.transition(
            iv_session, "ready_for_discharge", user=nurse, version=iv_session.version, now=now,
            override_reason="family waiting",
        )
    services.transition(
        iv_session, "ready_for_discharge", user=prescriber, version=iv_session.version, now=now,
        override_reason="Transfer to the ward: observed there",
    )
    services.save_discharge_checklist(
        iv_session,
        {"alert_and_oriented": True, "steady_gait": True, "nausea_controlled": True, "escort_present": True},
        user=nurse,
    )
    with pytest.raises(ValidationError, match=f"Observed at least {minimum} min"):
        services.transition(iv_session, "discharged", user=nurse, version=iv_session.version, now=now)
    services.transition(
        iv_session,
        "discharged",
        user=prescriber,
        version=iv_session.version,
        now=now,
        override_reason="Stable for 20 min, escort present; prescriber reviewed",
    )
    assert AuditEvent.objects.filter(action="override", detail__to="discharged").exists()
    assert AuditEvent.objects.filter(action="override", detail__to="ready_for_discharge").exists()


def test_note_generated_signed_locked_and_amended(staff, client_as, iv_session, helpers):
    from django.utils import timezone

    nurse, prescriber = staff["nurse"], staff["prescriber"]
    to_ready(iv_session, nurse, helpers, timezone.now())
    services.add_entry(
        __import__("ketamine_clinic.sessions.models", fromlist=["Intervention"]).Intervention,
        iv_session,
        user=nurse,
        idempotency_key="iv1",
        kind="reassurance",
        given_at=timezone.now(),
    )
    services.save_discharge_checklist(
        iv_session,
        {"alert_and_oriented": True, "steady_gait": True, "nausea_controlled": True, "escort_present": True},
        user=nurse,
    )
    services.transition(iv_session, "discharged", user=nurse, version=iv_session.version)
    nurse_client, prescriber_client = client_as(nurse), client_as(prescriber)
    assert nurse_client.post(reverse("sessions:note", args=[iv_session.pk])).status_code == 302
    note = SessionNote.objects.get(session=iv_session)
    assert "35.00 mg" in note.body and "Reassurance" in note.body and "Peak systolic" in note.body
    # A nurse cannot sign.
    assert nurse_client.post(reverse("sessions:note_sign", args=[iv_session.pk])).status_code == 403
    assert prescriber_client.post(reverse("sessions:note_sign", args=[iv_session.pk])).status_code == 302
    note.refresh_from_db()
    assert note.signed_by == prescriber and note.is_signed
    original = note.body
    # Locked: regenerating is refused, amendments keep the original.
    response = nurse_client.post(reverse("sessions:note", args=[iv_session.pk]))
    assert response.status_code == 400 and "locked" in response.content.decode()
    response = prescriber_client.post(
        reverse("sessions:note_amend", args=[iv_session.pk]),
        {"body": "Patient called: fine.", "reason": "Follow-up call"},
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.body == original
    assert SessionNoteAmendment.objects.get(note=note).reason == "Follow-up call"


def test_note_cannot_be_signed_while_session_runs(staff, iv_session, helpers):
    helpers.start_dosing(iv_session, staff["nurse"])
    note = services.generate_note(iv_session, user=staff["nurse"])
    with pytest.raises(ValidationError, match="once the session has ended"):
        services.sign_note(note, user=staff["prescriber"])
    note.refresh_from_db()
    assert not note.is_signed
