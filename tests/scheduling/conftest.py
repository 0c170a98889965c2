"""Scheduling fixtures: patients ready for dosing (eligibility, consent and an active plan), open clinic days."""

import datetime as dt

import pytest
from django.utils import timezone

PROTOCOL_FOR_ROUTE = {
    "iv": "iv_racemic_standard",
    "intranasal": "esketamine_label",
    "im": "im_racemic_clinic",
}


def next_monday() -> dt.date:
    """The next Monday after today (1-7 days ahead): the clinic's default calendar is open Monday to Friday."""
    today = timezone.localdate()
    return today + dt.timedelta(days=7 - today.weekday())


@pytest.fixture
def ready(staff):
    """ready(patient, route="iv") -> the patient's active plan, after intake, decision to proceed and consent."""
    from ketamine_clinic.demo.assessment import ready_for_planning
    from ketamine_clinic.plans import services as plans

    def make(patient, route="iv"):
        ready_for_planning(staff["prescriber"], patient, route)
        return plans.create_plan(
            staff["prescriber"], patient, protocol_key=PROTOCOL_FOR_ROUTE[route], start_date=next_monday()
        )

    return make


@pytest.fixture
def ready_patient(staff, make_patient, ready):
    """ready_patient(route="iv", **fields) -> a patient with nurse, prescriber and therapist, ready for dosing."""

    def make(route="iv", **fields):
        patient = make_patient(care_team=[staff["nurse"], staff["prescriber"], staff["therapist"]], **fields)
        ready(patient, route)
        return patient

    return make
