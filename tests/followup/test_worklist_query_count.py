"""The work lists load each patient's measurement schedule in bulk: the query count does not grow with patients.

Overdue questionnaires used to cost three queries per active patient (history, dosed sessions, active plan).
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db
D = dt.timedelta


def _add_patients(n, make_patient, team, course, now):
    for _ in range(n):
        patient = make_patient(care_team=team, phase="induction")
        course.score(patient, now - D(days=40), 14)  # long ago: measures overdue, so each is a row
        course.dose(patient, now - D(days=39))


@pytest.mark.parametrize("url", ["/followup/", "/followup/panel/"])
def test_worklist_queries_do_not_grow_with_patients(
    url, make_patient, staff, course, now, client_as, django_assert_max_num_queries
):
    team = [staff["prescriber"], staff["nurse"], staff["therapist"]]
    client = client_as(staff["prescriber"])
    _add_patients(3, make_patient, team, course, now)
    with CaptureQueriesContext(connection) as with_three:
        response = client.get(url)
    assert response.status_code == 200
    _assert_overdue_shown(response, 3)

    _add_patients(7, make_patient, team, course, now)
    with django_assert_max_num_queries(len(with_three)):
        response = client.get(url)
    assert response.status_code == 200
    _assert_overdue_shown(response, 10)


def _assert_overdue_shown(response, n):
    if "counts" in response.context:  # the dashboard panel shows counts
        assert response.context["counts"]["overdue"] == n
    else:
        assert len(response.context["lists"]["overdue"]) == n
