"""The trajectory chart labels points and sessions in the clinic's time, and a patient is not offered the
staff's questionnaire form (which they could not save)."""

import datetime as dt

import pytest
from django.utils import timezone

from ketamine_clinic.core.instruments.library import INSTRUMENTS
from ketamine_clinic.outcomes.charts import trajectory_svg


def test_point_and_session_titles_are_in_clinic_time(settings):
    settings.TIME_ZONE = "America/New_York"
    utc = dt.UTC
    # 15:30 UTC on 25 Nov is 10:30 in New York (EST, UTC-5); 03:00 UTC on 26 Nov is still the 25th there.
    taken = dt.datetime(2026, 11, 25, 15, 30, tzinfo=utc)
    late = dt.datetime(2026, 11, 26, 3, 0, tzinfo=utc)
    with timezone.override("America/New_York"):
        svg = trajectory_svg(INSTRUMENTS["phq9"], [(taken, 12), (late, 9)], [taken])
    assert "<title>Session 2026-11-25 10:30</title>" in svg
    assert "<title>2026-11-25 10:30: 12</title>" in svg
    assert "<title>2026-11-25 22:00: 9</title>" in svg
    assert "15:30" not in svg and "2026-11-26" not in svg


@pytest.mark.django_db
def test_patient_is_not_shown_the_staff_entry_form(patient, staff, client_as):
    url = f"/outcomes/patient/{patient.pk}/administer/phq9/"
    assert client_as(patient.user).get(url).status_code == 403
    assert client_as(staff["therapist"]).get(url).status_code == 200
