"""Booking, rescheduling and cancelling: no chair double-booked, minimum dose interval, reasons required."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.scheduling.models import Appointment, AppointmentChange, Chair

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(ready_patient):
    """Two patients ready for IV dosing (eligibility, consent, active plan) and one infusion chair."""
    chair = Chair.objects.create(name="Chair 1")
    return ready_patient(), ready_patient(), chair


def next_monday() -> dt.date:
    """The next Monday after today (1-7 days ahead): the clinic's default calendar is open Monday to Friday."""
    today = timezone.localdate()
    return today + dt.timedelta(days=7 - today.weekday())


def when(days=3, hour=9):
    """``days`` after next Monday (0-4 = Monday-Friday, open days); negative ``days`` count back from today."""
    base = next_monday() if days >= 0 else timezone.localdate()
    day = base + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 0)).strftime("%Y-%m-%dT%H:%M")


def at(day: dt.date, hour=9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def book(client, patient, chair, start, kind="dosing", duration="120"):
    return client.post(
        reverse("scheduling:book", args=[patient.pk]),
        {"kind": kind, "starts_at": start, "duration_min": duration, "chair": chair.pk if chair else ""},
    )


def test_chair_cannot_be_double_booked(setup, staff, client_as):
    a, b, chair = setup
    client = client_as(staff["front_desk"])
    assert book(client, a, chair, when(hour=9)).status_code == 302
    response = book(client, b, chair, when(hour=10))
    assert response.status_code == 400
    assert b"Chair 1 is already booked" in response.content
    # Back-to-back is fine: the first ends at 11:00.
    assert book(client, b, chair, when(hour=11)).status_code == 302
    assert Appointment.objects.count() == 2


def test_out_of_service_chair_is_refused_by_the_service(setup, staff):
    from django.core.exceptions import ValidationError

    from ketamine_clinic.scheduling import services

    a, _b, chair = setup
    chair.active = False
    chair.save()
    with pytest.raises(ValidationError, match="out of service"):
        services.book(
            staff["nurse"],
            patient=a,
            kind="dosing",
            starts_at=at(next_monday()),
            duration_min=60,
            chair=chair,
        )


def test_doses_closer_than_the_minimum_interval_are_refused(setup, staff, client_as):
    a, _b, chair = setup
    client = client_as(staff["nurse"])
    assert book(client, a, chair, when(days=3)).status_code == 302
    response = book(client, a, None, when(days=4))
    assert response.status_code == 400
    assert b"Doses must be at least 48 h apart" in response.content
    # An integration session the next day is fine.
    assert book(client, a, None, when(days=4), kind="integration", duration="50").status_code == 302


def test_reschedule_needs_reason_checks_chair_and_keeps_history(setup, staff, client_as):
    a, b, chair = setup
    client = client_as(staff["front_desk"])
    book(client, a, chair, when(hour=9))
    book(client, b, chair, when(hour=12))
    appt_b = Appointment.objects.get(patient=b)
    url = reverse("scheduling:reschedule", args=[appt_b.pk])
    assert client.post(url, {"starts_at": when(hour=13), "chair": chair.pk, "reason": ""}).status_code == 400
    response = client.post(url, {"starts_at": when(hour=10), "chair": chair.pk, "reason": "Patient asked"})
    assert response.status_code == 400 and b"already booked" in response.content
    response = client.post(url, {"starts_at": when(hour=14), "chair": chair.pk, "reason": "Patient asked"})
    assert response.status_code == 302
    appt_b.refresh_from_db()
    assert timezone.localtime(appt_b.starts_at).hour == 14
    change = AppointmentChange.objects.get()
    assert change.kind == "reschedule" and change.reason == "Patient asked"
    assert timezone.localtime(change.old_starts_at).hour == 12
    assert AuditEvent.objects.filter(action="update", object_type="scheduling.Appointment").exists()


def test_cancel_needs_reason_and_frees_the_chair(setup, staff, client_as):
    a, b, chair = setup
    client = client_as(staff["front_desk"])
    book(client, a, chair, when(hour=9))
    appt = Appointment.objects.get()
    url = reverse("scheduling:cancel", args=[appt.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Unwell"}).status_code == 302
    appt.refresh_from_db()
    assert appt.status == "cancelled" and appt.cancel_reason == "Unwell"
    assert book(client, b, chair, when(hour=9)).status_code == 302
    assert client.post(url, {"reason": "again"}).status_code == 400


def test_patient_cannot_book_or_cancel(setup, staff, make_patient, client_as):
    patient = make_patient(care_team=[staff["nurse"]], with_login=True)
    chair = Chair.objects.get()
    assert book(client_as(patient.user), patient, chair, when()).status_code == 403
    assert client_as(patient.user).get(reverse("scheduling:chart", args=[patient.pk])).status_code == 200


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_one_chair_only_one_wins(staff, ready_patient):
    """Two threads book the same chair and time; the row lock lets exactly one through (PostgreSQL)."""
    import threading

    from django.conf import settings
    from django.core.exceptions import ValidationError
    from django.db import connection

    from ketamine_clinic.scheduling import services

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    assert settings.DATABASES
    chair = Chair.objects.create(name="Race chair")
    patients = [ready_patient(), ready_patient()]
    start = at(next_monday() + dt.timedelta(days=1))
    results = []

    def attempt(p):
        try:
            services.book(
                staff["nurse"], patient=p, kind="dosing", starts_at=start, duration_min=60, chair=chair
            )
            results.append("ok")
        except ValidationError:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(p,)) for p in patients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "refused"]
    assert Appointment.objects.filter(chair=chair).count() == 1


def test_booking_or_moving_into_the_past_is_refused(setup, staff, client_as):
    a, _b, chair = setup
    client = client_as(staff["front_desk"])
    response = book(client, a, chair, when(days=-1))
    assert response.status_code == 400 and b"Choose a time in the future" in response.content
    book(client, a, chair, when(days=2))
    appt = Appointment.objects.get()
    response = client.post(
        reverse("scheduling:reschedule", args=[appt.pk]), {"starts_at": when(days=-2), "reason": "typo"}
    )
    assert response.status_code == 400 and b"Choose a time in the future" in response.content


def test_booking_or_moving_onto_a_closed_day_is_refused(setup, staff, client_as):
    a, _b, chair = setup
    client = client_as(staff["front_desk"])
    saturday = when(days=5)
    response = book(client, a, chair, saturday)
    assert response.status_code == 400
    assert (
        b"The clinic is closed on Saturday" in response.content
        and b"open Monday to Friday" in response.content
    )
    assert not Appointment.objects.exists()
    book(client, a, chair, when(days=4))  # Friday
    appt = Appointment.objects.get()
    response = client.post(
        reverse("scheduling:reschedule", args=[appt.pk]),
        {"starts_at": when(days=6), "chair": chair.pk, "reason": "Patient asked"},
    )
    assert response.status_code == 400 and b"The clinic is closed on Sunday" in response.content
    appt.refresh_from_db()
    assert timezone.localtime(appt.starts_at).date() == next_monday() + dt.timedelta(days=4)
    assert not AppointmentChange.objects.exists()


def test_closed_dates_and_open_days_come_from_the_clinic_calendar_setting(setup, staff, settings):
    from django.core.exceptions import ValidationError

    from ketamine_clinic.scheduling import services

    a, _b, chair = setup
    monday = next_monday()
    settings.CLINIC_CALENDAR = {"open_weekdays": [0, 1, 2, 3, 4, 5], "closed_dates": [monday.isoformat()]}
    with pytest.raises(ValidationError, match="a closed date in the clinic calendar"):
        services.book(staff["nurse"], patient=a, kind="consult", starts_at=at(monday), duration_min=30)
    saturday = services.book(
        staff["nurse"], patient=a, kind="dosing", starts_at=at(monday + dt.timedelta(days=5)), duration_min=60
    )
    assert saturday.pk
    with pytest.raises(ValidationError, match="open Monday to Saturday"):
        services.book(
            staff["nurse"],
            patient=a,
            kind="consult",
            starts_at=at(monday + dt.timedelta(days=6)),
            duration_min=30,
        )


def test_the_interval_and_chair_checks_still_apply_on_open_days(setup, staff):
    from django.core.exceptions import ValidationError

    from ketamine_clinic.scheduling import services

    a, b, chair = setup
    tuesday = at(next_monday() + dt.timedelta(days=1))
    services.book(staff["nurse"], patient=a, kind="dosing", starts_at=tuesday, duration_min=120, chair=chair)
    with pytest.raises(ValidationError, match="Doses must be at least 48 h apart"):
        services.book(
            staff["nurse"],
            patient=a,
            kind="dosing",
            starts_at=tuesday + dt.timedelta(days=1),
            duration_min=60,
        )
    with pytest.raises(ValidationError, match="Chair 1 is already booked"):
        services.book(
            staff["nurse"], patient=b, kind="dosing", starts_at=tuesday, duration_min=60, chair=chair
        )
