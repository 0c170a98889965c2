"""A session started from the chart is booked like any appointment (issue 12): chair type for the route, chair
free, the nurse a nurse and free, the minimum interval, an open day, current eligibility/consent and an active
plan for the route. The page creates one appointment and the one session of it, or refuses with 400, the
message beside the field and what was typed kept, and nothing created."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.scheduling import services as scheduling
from ketamine_clinic.scheduling.models import Appointment, Chair
from ketamine_clinic.sessions.models import DosingSession

PROTOCOL_FOR_ROUTE = {"iv": "iv_racemic_standard", "intranasal": "esketamine_label"}


@pytest.fixture(autouse=True)
def _open_every_day(settings):
    # The session starts "now", whatever the weekday the suite runs on.
    settings.CLINIC_CALENDAR = {"open_weekdays": [0, 1, 2, 3, 4, 5, 6]}


@pytest.fixture
def ready(staff):
    """ready(patient, route) -> the active plan, after intake, the decision to proceed and consent."""
    from ketamine_clinic.demo.assessment import ready_for_planning
    from ketamine_clinic.plans import services as plans

    def make(patient, route="iv"):
        ready_for_planning(staff["prescriber"], patient, route)
        return plans.create_plan(
            staff["prescriber"], patient, protocol_key=PROTOCOL_FOR_ROUTE[route], start_date=timezone.localdate()
        )

    return make


@pytest.fixture
def chairs(db):
    return {
        "infusion": Chair.objects.create(name="Chair 1", room="Suite A", chair_type="infusion"),
        "infusion2": Chair.objects.create(name="Chair 2", room="Suite A", chair_type="infusion"),
        "recliner": Chair.objects.create(name="Recliner 1", room="Suite B", chair_type="recliner"),
    }


def post_new(client, patient, **data):
    return client.post(reverse("sessions:create", args=[patient.pk]), data)


def nothing_created(patient):
    return not Appointment.objects.filter(patient=patient).exists() and not patient.dosing_sessions.exists()


def test_happy_path_books_one_appointment_with_its_session_and_the_day_shows_the_chair_busy(
    staff, client_as, patient, ready, chairs
):
    ready(patient, "iv")
    nurse = staff["nurse"]
    client = client_as(nurse)
    r = post_new(client, patient, route="iv", chair=chairs["infusion"].pk, nurse=nurse.pk, scheduled_for="")
    assert r.status_code == 302
    appointment = Appointment.objects.get(patient=patient)
    session = DosingSession.objects.get(patient=patient)
    assert r["Location"] == reverse("sessions:flowsheet", args=[session.pk])
    assert session.appointment_id == appointment.pk
    assert (appointment.kind, appointment.chair, appointment.staff) == ("dosing", chairs["infusion"], nurse)
    assert (session.chair, session.nurse, session.route, session.plan) == (
        chairs["infusion"], nurse, "iv", appointment.plan,
    )
    assert abs(appointment.starts_at - timezone.now()) < dt.timedelta(minutes=2)
    assert session.scheduled_for == appointment.starts_at

    day = client.get(reverse("scheduling:day") + f"?date={timezone.localdate().isoformat()}")
    row = re.search(r"<tr><th scope=\"row\">Chair 1.*?</tr>", day.content.decode(), re.S).group(0)
    assert patient.last_name in row and f"{timezone.localtime(appointment.starts_at):%H:%M}" in row
    assert "free" not in row
    # The session's appointment is not "waiting" on the board: it already has its session.
    board = client.get(reverse("sessions:board"))
    assert appointment not in board.context["waiting"]


def test_an_occupied_chair_is_refused_and_nothing_is_created(staff, client_as, make_patient, patient, ready, chairs):
    other = make_patient(care_team=[staff["prescriber"], staff["other_nurse"]])
    ready(other, "iv")
    scheduling.book_session_now(
        staff["other_nurse"], other, route="iv", chair=chairs["infusion"], staff=staff["other_nurse"]
    )
    ready(patient, "iv")
    nurse = staff["nurse"]
    r = post_new(client_as(nurse), patient, route="iv", chair=chairs["infusion"].pk, nurse=nurse.pk)
    assert r.status_code == 400
    errors = r.context["form"].errors
    assert "Chair 1 is already booked" in " ".join(errors["chair"])
    assert "Chair 1 is already booked" in r.content.decode()
    assert nothing_created(patient)
    # What was typed stays: the chosen chair and nurse are still selected.
    assert r.context["form"]["chair"].value() == str(chairs["infusion"].pk)
    assert re.search(rf'<option value="{nurse.pk}" selected>', r.content.decode())


def test_iv_in_a_recliner_chair_is_refused(staff, client_as, patient, ready, chairs):
    ready(patient, "iv")
    nurse = staff["nurse"]
    r = post_new(client_as(nurse), patient, route="iv", chair=chairs["recliner"].pk, nurse=nurse.pk)
    assert r.status_code == 400
    message = " ".join(r.context["form"].errors["chair"])
    assert "Recliner 1 is a recliner chair" in message and "needs an infusion chair" in message
    assert nothing_created(patient)


def test_a_patient_without_eligibility_consent_or_plan_is_refused(staff, client_as, patient, chairs, helpers):
    nurse = staff["nurse"]
    client = client_as(nurse)
    r = post_new(client, patient, route="iv", chair=chairs["infusion"].pk, nurse=nurse.pk)
    assert r.status_code == 400
    assert "needs current eligibility" in " ".join(r.context["form"].non_field_errors())
    assert nothing_created(patient)

    # Eligible and consented, but no active plan yet.
    helpers.consent_and_eligibility(patient, staff["prescriber"], route="iv")
    r = post_new(client, patient, route="iv", chair=chairs["infusion"].pk, nurse=nurse.pk)
    assert r.status_code == 400
    assert "no active treatment plan" in r.content.decode()
    assert nothing_created(patient)


def test_a_plan_for_another_route_is_refused_on_the_route(staff, client_as, patient, ready, chairs):
    ready(patient, "iv")
    nurse = staff["nurse"]
    r = post_new(client_as(nurse), patient, route="intranasal", chair=chairs["recliner"].pk, nurse=nurse.pk)
    assert r.status_code == 400
    assert "active plan is for IV" in " ".join(r.context["form"].errors["route"])
    assert nothing_created(patient)


def test_chair_and_nurse_are_required_in_the_clinics_words(staff, client_as, patient, ready, chairs):
    ready(patient, "iv")
    r = post_new(client_as(staff["nurse"]), patient, route="iv", chair="", nurse="")
    assert r.status_code == 400
    errors = r.context["form"].errors
    assert errors["chair"] == ["Choose the chair the patient is sitting in."]
    assert errors["nurse"] == ["Choose the nurse who runs the session."]
    assert nothing_created(patient)


def test_the_nurse_must_be_a_nurse_and_free(staff, client_as, make_patient, patient, ready, chairs):
    ready(patient, "iv")
    client = client_as(staff["nurse"])
    # A prescriber is not offered as the session's nurse.
    r = post_new(client, patient, route="iv", chair=chairs["infusion"].pk, nurse=staff["prescriber"].pk)
    assert r.status_code == 400 and r.context["form"].errors["nurse"] == ["Choose one of the clinic's nurses."]
    # The nurse already runs another patient's session in another chair at this time.
    other = make_patient(care_team=[staff["prescriber"], staff["nurse"]])
    ready(other, "iv")
    scheduling.book_session_now(staff["nurse"], other, route="iv", chair=chairs["infusion2"], staff=staff["nurse"])
    r = post_new(client, patient, route="iv", chair=chairs["infusion"].pk, nurse=staff["nurse"].pk)
    assert r.status_code == 400
    assert "already has" in " ".join(r.context["form"].errors["nurse"])
    assert nothing_created(patient)


def test_minimum_interval_is_shown_beside_the_start(staff, client_as, patient, ready, chairs):
    ready(patient, "iv")
    nurse = staff["nurse"]
    client = client_as(nurse)
    first = post_new(client, patient, route="iv", chair=chairs["infusion"].pk, nurse=nurse.pk)
    assert first.status_code == 302
    # Six hours later (after the first chair time) the same patient again: too soon after the last dose.
    later = timezone.localtime() + dt.timedelta(hours=6)
    typed = f"{later:%Y-%m-%dT%H:%M}"
    r = post_new(client, patient, route="iv", chair=chairs["infusion2"].pk, nurse=nurse.pk, scheduled_for=typed)
    assert r.status_code == 400
    assert "Doses must be at least" in " ".join(r.context["form"].errors["scheduled_for"])
    assert f'value="{typed}"' in r.content.decode()
    assert Appointment.objects.filter(patient=patient).count() == 1
    assert DosingSession.objects.filter(patient=patient).count() == 1


def test_the_chart_offers_the_nurse_herself_by_default(staff, client_as, patient, ready, chairs):
    ready(patient, "iv")
    nurse = staff["nurse"]
    page = client_as(nurse).get(reverse("sessions:chart", args=[patient.pk])).content.decode()
    assert re.search(rf'<option value="{nurse.pk}" selected>', page)
    assert "Recliner 1 (recliner chair)" in page
    assert staff["prescriber"].display_name() not in re.search(
        r'<select name="nurse".*?</select>', page, re.S
    ).group(0)


def test_no_page_or_api_creates_a_session_around_the_booking():
    """Only sessions.services.session_for_appointment (sessions/services/booking.py) creates a session: the
    demo seed (ketamine_clinic/demo) too goes through it, so no file is exempt."""
    src = Path(__file__).resolve().parents[2] / "src" / "ketamine_clinic"
    found = sorted(
        str(path.relative_to(src))
        for path in src.rglob("*.py")
        if "DosingSession.objects.create" in path.read_text()
    )
    assert found == ["sessions/services/booking.py"]
