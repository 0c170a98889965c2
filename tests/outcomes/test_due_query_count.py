"""The staff "measures due" list loads all patients' schedules in bulk: same query count for 3 and 10 patients."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketamine_clinic.outcomes.models import MeasureResponse
from ketamine_clinic.sessions.models import DosingSession

pytestmark = pytest.mark.django_db


def _add_patients(n, make_patient, team):
    now = timezone.now()
    for _ in range(n):
        patient = make_patient(care_team=team, phase="induction")
        MeasureResponse.objects.create(
            patient=patient, instrument="phq9", total=14, taken_at=now - dt.timedelta(days=40), answers=[]
        )
        DosingSession.objects.create(
            patient=patient, route="iv", state="discharged", scheduled_for=now - dt.timedelta(days=39)
        )


def test_measures_due_queries_do_not_grow_with_patients(
    make_patient, staff, client_as, django_assert_max_num_queries
):
    team = [staff["prescriber"], staff["nurse"]]
    client = client_as(staff["nurse"])
    _add_patients(3, make_patient, team)
    with CaptureQueriesContext(connection) as with_three:
        response = client.get("/outcomes/due/")
    assert response.status_code == 200
    assert len({r["patient"].pk for r in response.context["rows"]}) == 3

    _add_patients(7, make_patient, team)
    with django_assert_max_num_queries(len(with_three)):
        response = client.get("/outcomes/due/")
    assert len({r["patient"].pk for r in response.context["rows"]}) == 10
