"""An esketamine (intranasal) session: whole devices, the 40-minute BP checkpoint and 2 hours' observation."""

import dataclasses
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.core.protocols.dose_rule import DoseRule
from ketamine_clinic.sessions import services
from ketamine_clinic.sessions.models import DosingSession

NASAL = DoseRule("fixed_mg", 56, 56, 84, drug="esketamine")


@pytest.fixture
def nasal_session(patient, staff, helpers):
    helpers.consent_and_eligibility(patient, staff["prescriber"], route="intranasal")
    return DosingSession.objects.create(
        patient=patient, route="intranasal", scheduled_for=timezone.now(), dose_rule=dataclasses.asdict(NASAL)
    )


def test_esketamine_flow(staff, client_as, nasal_session, helpers):
    nurse, prescriber = staff["nurse"], staff["prescriber"]
    start = timezone.now() - dt.timedelta(minutes=130)
    helpers.stock_lot("intranasal")
    helpers.ready_pre_dose(nasal_session, nurse, at=start - dt.timedelta(minutes=12))
    page = client_as(nurse).get(reverse("sessions:flowsheet", args=[nasal_session.pk])).content.decode()
    assert "2 nasal devices of 28 mg" in page
    with pytest.raises(ValidationError, match="whole number"):
        helpers.confirm_dose(nasal_session, prescriber, dose_mg=60, override_reason="x")
    helpers.confirm_dose(nasal_session, nurse, dose_mg=56, now=start - dt.timedelta(minutes=2))
    services.transition(nasal_session, "dosing", user=nurse, version=nasal_session.version, now=start)
    ended = start + dt.timedelta(minutes=5)
    services.transition(nasal_session, "monitoring", user=nurse, version=nasal_session.version, now=ended)
    # The label's ~40-minute BP check comes before the routine 15-minute interval runs out.
    services.record_reading(
        nasal_session,
        user=nurse,
        idempotency_key="n1",
        values={"sbp": 130, "dbp": 80, "hr": 70},
        taken_at=start + dt.timedelta(minutes=30),
    )
    assert services.next_due(nasal_session) == start + dt.timedelta(minutes=40)
    services.record_reading(
        nasal_session,
        user=nurse,
        idempotency_key="n2",
        values={"sbp": 128, "dbp": 80, "hr": 72, "spo2": 98, "rr": 14},
        taken_at=timezone.now() - dt.timedelta(minutes=2),
    )
    # 100 minutes after the last device is too early (the label asks for at least 2 hours); now (125 min) is not.
    with pytest.raises(ValidationError, match="Observed at least 120 min"):
        services.transition(
            nasal_session,
            "ready_for_discharge",
            user=nurse,
            version=nasal_session.version,
            now=ended + dt.timedelta(minutes=100),
        )
    services.transition(nasal_session, "ready_for_discharge", user=nurse, version=nasal_session.version)
    services.save_discharge_checklist(
        nasal_session,
        {"alert_and_oriented": True, "steady_gait": True, "nausea_controlled": True, "escort_present": True},
        user=nurse,
    )
    services.transition(nasal_session, "discharged", user=nurse, version=nasal_session.version)
    assert nasal_session.state == "discharged"


def test_patient_sees_own_history_but_not_the_flowsheet(staff, client_as, make_patient):
    patient = make_patient(care_team=[staff["prescriber"]], with_login=True)
    session = DosingSession.objects.create(patient=patient, route="iv", scheduled_for=timezone.now())
    me = client_as(patient.user)
    page = me.get(reverse("sessions:chart", args=[patient.pk]))
    assert (
        page.status_code == 200
        and "IV infusion" in page.content.decode()
        and "New session" not in page.content.decode()
    )
    assert me.get(reverse("sessions:flowsheet", args=[session.pk])).status_code == 403
    assert (
        me.post(
            reverse("sessions:transition", args=[session.pk]), {"target": "checked_in", "version": 1}
        ).status_code
        == 403
    )
