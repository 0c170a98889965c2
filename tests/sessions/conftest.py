"""Fixtures for the sessions app: an IV session with a plan order snapshot, and helpers to walk it forward."""

import dataclasses
import itertools

import pytest
from django.utils import timezone

from ketamine_clinic.core.protocols.dose_rule import DoseRule

IV_RULE = DoseRule("mg_per_kg", 0.5, 0.25, 1.0, infusion_duration_min=40, concentration_mg_per_ml=50)
_keys = itertools.count(1)


def key():
    return f"k{next(_keys)}"


@pytest.fixture
def patient(staff, make_patient):
    return make_patient(care_team=[staff["prescriber"], staff["nurse"], staff["therapist"]], sex="male")


def make_consented_and_eligible(patient, prescriber, route="iv"):
    """The assessment app's records that make consent and eligibility current (its services answer True)."""
    from ketamine_clinic.assessment.models import (
        ConsentAcknowledgement,
        ConsentDocument,
        EligibilityDecision,
        EligibilityScreening,
        IntakeAssessment,
    )

    intake = IntakeAssessment.objects.create(
        patient=patient, presenting_problem="Treatment-resistant depression"
    )
    screening = EligibilityScreening.objects.create(patient=patient, intake=intake, status="eligible")
    EligibilityDecision.objects.create(
        patient=patient, screening=screening, decision="proceed", rationale="Eligible", decided_by=prescriber
    )
    document = ConsentDocument.objects.filter(route=route).order_by("-version").first()
    if document is None:
        document = ConsentDocument.objects.create(
            route=route, version=1, title="IV consent", body="Synthetic text"
        )
    ConsentAcknowledgement.objects.create(
        patient=patient, document=document, typed_name="Pat", recorded_by=prescriber
    )


@pytest.fixture
def iv_session(patient, staff):
    make_consented_and_eligible(patient, staff["prescriber"])
    from ketamine_clinic.scheduling.models import Chair
    from ketamine_clinic.sessions.models import DosingSession

    chair = Chair.objects.create(name="Chair 1", room="A")
    return DosingSession.objects.create(
        patient=patient,
        route="iv",
        scheduled_for=timezone.now(),
        chair=chair,
        dose_rule=dataclasses.asdict(IV_RULE),
    )


GOOD_BASELINE = {"sbp": 126, "dbp": 80, "hr": 72, "spo2": 98, "rr": 14}


def ready_pre_dose(session, user, baseline=None):
    """Check in, move to pre-dose checks and record every check (the nurse's part)."""
    from ketamine_clinic.sessions import services

    services.transition(session, "checked_in", user=user, version=session.version)
    services.transition(session, "pre_dose_checks", user=user, version=session.version)
    services.record_reading(
        session, user=user, idempotency_key=key(), values=baseline or GOOD_BASELINE, is_baseline=True
    )
    services.save_pre_dose(
        session,
        {
            "weight_kg": 70,
            "fasting_confirmed": True,
            "escort_confirmed": True,
            "escort_name": "Sam",
            "measures_attested": ["phq9", "cssrs"],
        },
        user=user,
        version=session.version,
    )
    return session


def start_dosing(session, user):
    from ketamine_clinic.sessions import services

    ready_pre_dose(session, user)
    services.record_dose(session, dose_mg=35, user=user, expected_version=session.version)
    services.transition(session, "dosing", user=user, version=session.version)
    return session


@pytest.fixture
def helpers():
    return type(
        "H",
        (),
        {
            "ready_pre_dose": staticmethod(ready_pre_dose),
            "start_dosing": staticmethod(start_dosing),
            "key": staticmethod(key),
            "consent_and_eligibility": staticmethod(make_consented_and_eligible),
        },
    )
