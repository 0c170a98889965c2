"""Sessions driven through the sessions services, as tests/sessions does (its helpers, loaded from its conftest)."""

import dataclasses
import datetime as dt
import importlib.util
from pathlib import Path

import pytest
from django.utils import timezone

_spec = importlib.util.spec_from_file_location(
    "billing_session_helpers", Path(__file__).parent.parent / "sessions" / "conftest.py"
)
session_helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(session_helpers)

helpers = session_helpers.helpers
patient = session_helpers.patient
iv_session = session_helpers.iv_session

GOOD = {"sbp": 128, "dbp": 80, "hr": 72, "spo2": 98, "rr": 14}


def discharge(session, nurse, now):
    from ketamine_clinic.sessions import services

    services.record_reading(
        session, user=nurse, idempotency_key=session_helpers.key(), values=GOOD, taken_at=now - dt.timedelta(minutes=2)
    )
    session_helpers.discharge(session, nurse, now)
    return session


@pytest.fixture
def completed_iv(iv_session, staff):
    """An IV session that infused for 50 min (dosing 08:05-08:55), observed and discharged at 10:00."""
    from ketamine_clinic.sessions import services

    nurse = staff["nurse"]
    now = timezone.now().replace(second=0, microsecond=0)
    session_helpers.start_dosing(iv_session, nurse, at=now - dt.timedelta(minutes=125))
    services.transition(iv_session, "monitoring", user=nurse, version=iv_session.version,
                        now=now - dt.timedelta(minutes=65))
    return discharge(iv_session, nurse, now)


@pytest.fixture
def esketamine_session(patient, staff):
    """esketamine_session(dose_mg) -> a discharged nasal session: dosing 5 min, 125 min observed after it."""
    from ketamine_clinic.core.protocols.dose_rule import DoseRule
    from ketamine_clinic.sessions import services
    from ketamine_clinic.sessions.models import DosingSession

    nurse = staff["nurse"]
    session_helpers.make_consented_and_eligible(patient, staff["prescriber"], route="intranasal")

    def make(dose_mg=56):
        session = DosingSession.objects.create(
            patient=patient, route="intranasal", scheduled_for=timezone.now(),
            dose_rule=dataclasses.asdict(DoseRule("fixed_mg", 56, 56, 84, drug="esketamine")),
        )
        now = timezone.now().replace(second=0, microsecond=0)
        start = now - dt.timedelta(minutes=130)
        session_helpers.stock_lot("intranasal")
        session_helpers.ready_pre_dose(session, nurse, at=start - dt.timedelta(minutes=12))
        session_helpers.confirm_dose(session, nurse, dose_mg=dose_mg, now=start - dt.timedelta(minutes=2))
        services.transition(session, "dosing", user=nurse, version=session.version, now=start)
        services.transition(session, "monitoring", user=nurse, version=session.version,
                            now=start + dt.timedelta(minutes=5))
        return discharge(session, nurse, now)

    return make


@pytest.fixture
def aborted_session(make_patient, staff):
    """A session of another patient (same care team), aborted at check-in: no drug given."""
    from ketamine_clinic.sessions import services
    from ketamine_clinic.sessions.models import DosingSession

    other = make_patient(care_team=[staff["prescriber"], staff["nurse"]])
    session = DosingSession.objects.create(patient=other, route="iv", scheduled_for=timezone.now())
    services.transition(session, "checked_in", user=staff["nurse"], version=session.version)
    services.transition(session, "aborted", user=staff["nurse"], version=session.version, reason="BP 190/110")
    return session


@pytest.fixture
def walk():
    """The session helpers of tests/sessions plus ``discharge(session, nurse, now)``."""
    return type("Walk", (), {"discharge": staticmethod(discharge), "start_dosing": staticmethod(
        session_helpers.start_dosing)})
