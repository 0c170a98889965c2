"""The front desk's day on the dashboard: today's visits with who has arrived and each dosing visit's ride home,
then tomorrow's visits to call with the reminder the patient gets; offered to the desk and the director, not to
every clinician, and audited like the other self-refreshing panels."""

import datetime as dt

import pytest
from django.utils import timezone

from ketamine_clinic.scheduling.models import Appointment

PANEL = "/schedule/arrivals/panel/"


@pytest.fixture
def visits(staff, make_patient):
    now = timezone.localtime()
    arriving = make_patient(care_team=[staff["nurse"]], last_name="Arriving", phone="(202) 555-0161")
    later = make_patient(care_team=[staff["nurse"]], last_name="Tomorrowson", phone="(202) 555-0162")
    Appointment.objects.create(patient=arriving, kind="integration", starts_at=now + dt.timedelta(hours=1),
                               duration_min=50)
    Appointment.objects.create(patient=later, kind="consult", starts_at=now + dt.timedelta(days=1),
                               duration_min=30)
    Appointment.objects.create(patient=later, kind="consult", starts_at=now + dt.timedelta(days=1, hours=1),
                               duration_min=30, status="cancelled")
    return arriving, later


@pytest.mark.django_db
def test_the_desk_sees_todays_arrivals_and_tomorrows_calls(staff, client_as, visits):
    page = client_as(staff["front_desk"]).get(PANEL).content.decode()
    today, tomorrow = page.split("Tomorrow: confirm by phone")
    assert "Arriving" in today and "expected" in today and 'href="tel:(202) 555-0161"' in today
    assert "Tomorrowson" in tomorrow and tomorrow.count("Tomorrowson") == 1  # the cancelled one is not called


@pytest.mark.django_db
def test_the_panel_is_on_the_desks_dashboard_only(staff, client_as):
    assert PANEL in client_as(staff["front_desk"]).get("/patients/dashboard/").content.decode()
    assert PANEL in client_as(staff["director"]).get("/patients/dashboard/").content.decode()
    assert PANEL not in client_as(staff["nurse"]).get("/patients/dashboard/").content.decode()
