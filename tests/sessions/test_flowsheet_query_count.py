"""The flowsheet shows who entered each vitals reading without one query per reading."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketamine_clinic.accounts.models import Role, User
from ketamine_clinic.sessions.models import DosingSession, VitalsReading

pytestmark = pytest.mark.django_db


def _add_readings(session, n, start):
    for i in range(n):
        # A different nurse for each reading, so a per-reading user lookup could not hit a cached user.
        nurse = User.objects.create_user(username=f"nurse_q{start + i}", role=Role.NURSE, first_name=f"N{start + i}")
        VitalsReading.objects.create(
            session=session, entered_by=nurse, idempotency_key=f"k{start + i}", is_baseline=(start + i == 0),
            taken_at=timezone.now() - dt.timedelta(minutes=60 - start - i), sbp=120, dbp=80, hr=70, spo2=98, rr=14,
        )


def test_flowsheet_queries_do_not_grow_with_readings(iv_session, staff, client_as, django_assert_max_num_queries):
    # Monitoring after the dose: the vitals table (with "By") is shown once dosing has started.
    DosingSession.objects.filter(pk=iv_session.pk).update(
        state="monitoring", dosing_started_at=timezone.now() - dt.timedelta(minutes=50), dose_mg=35,
        dose_confirmed_by=staff["prescriber"], dose_confirmed_at=timezone.now() - dt.timedelta(minutes=51),
    )
    client = client_as(staff["nurse"])
    _add_readings(iv_session, 3, 0)
    with CaptureQueriesContext(connection) as with_three:
        response = client.get(f"/sessions/{iv_session.pk}/")
    assert response.status_code == 200
    assert b"N2" in response.content

    _add_readings(iv_session, 7, 3)
    with django_assert_max_num_queries(len(with_three)):
        response = client.get(f"/sessions/{iv_session.pk}/")
    assert response.status_code == 200
    assert b"N9" in response.content
