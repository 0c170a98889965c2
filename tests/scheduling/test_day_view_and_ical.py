"""The clinic's day view (chairs and staff) and a patient's iCalendar export."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.scheduling import services
from ketamine_clinic.scheduling.models import Chair

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(staff, make_patient, ready):
    chair = Chair.objects.create(name="Chair 7", room="Infusion suite")
    patient = make_patient(care_team=[staff["nurse"]], with_login=True, last_name="Daytest")
    ready(patient, "iv")
    today = timezone.localdate()
    day = today + dt.timedelta(days=8 - today.weekday())  # next Tuesday: open, and Wednesday after it too
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))
    appt = services.book(
        staff["nurse"],
        patient=patient,
        kind="dosing",
        starts_at=start,
        duration_min=120,
        chair=chair,
        staff=staff["nurse"],
    )
    services.book(
        staff["nurse"],
        patient=patient,
        kind="integration",
        starts_at=start + dt.timedelta(days=1),
        duration_min=50,
        staff=staff["therapist"],
    )
    return patient, appt, day


def test_day_view_shows_chairs_and_staff(booked, staff, client_as):
    patient, appt, day = booked
    page = client_as(staff["front_desk"]).get(reverse("scheduling:day") + f"?date={day.isoformat()}")
    assert page.status_code == 200
    assert b"Chair 7" in page.content and b"Daytest" in page.content and b"10:00" in page.content
    assert staff["nurse"].display_name().encode() in page.content
    assert AuditEvent.objects.filter(action="list", detail__schedule_day=day.isoformat()).exists()


def test_day_view_hides_patients_outside_the_care_team(booked, staff, client_as):
    _patient, _appt, day = booked
    page = client_as(staff["other_nurse"]).get(reverse("scheduling:day") + f"?date={day.isoformat()}")
    assert b"Daytest" not in page.content


def test_a_patient_sees_only_their_own_appointments_on_a_day(booked, staff, make_patient, client_as):
    _patient, _appt, day = booked
    other = make_patient(with_login=True, last_name="Otherperson")
    page = client_as(other.user).get(reverse("scheduling:day") + f"?date={day.isoformat()}")
    assert b"Daytest" not in page.content


def test_ical_export_has_the_booked_appointments_and_is_audited(booked, client_as):
    patient, appt, _day = booked
    response = client_as(patient.user).get(reverse("scheduling:ical", args=[patient.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    events = [c for c in Calendar.from_ical(response.content).walk("VEVENT")]
    assert len(events) == 2
    dosing = next(e for e in events if str(e["summary"]) == "Dosing session")
    assert dosing.decoded("dtstart") == appt.starts_at
    assert dosing.decoded("dtend") - dosing.decoded("dtstart") == dt.timedelta(minutes=120)
    assert str(dosing["location"]) == "Infusion suite"
    assert AuditEvent.objects.filter(action="export", patient=patient).exists()


def test_other_patient_cannot_export(booked, make_patient, client_as):
    patient, _appt, _day = booked
    other = make_patient(with_login=True)
    assert client_as(other.user).get(reverse("scheduling:ical", args=[patient.pk])).status_code == 404
