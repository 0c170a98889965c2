"""Issue 12: chair type for the route, staff role and overlaps, and a dosing visit only for a patient ready to dose.

Each test reproduces one finding from the demo (service, API or page) and checks the refusal is in plain words.
"""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.scheduling import services
from ketamine_clinic.scheduling.models import Appointment, Chair

pytestmark = pytest.mark.django_db


def next_monday() -> dt.date:
    today = timezone.localdate()
    return today + dt.timedelta(days=7 - today.weekday())


def at(days=1, hour=9, minute=0) -> dt.datetime:
    """``days`` after next Monday (0-4 = Monday-Friday), at ``hour``, clinic time."""
    day = next_monday() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture
def chairs(db):
    return {
        "infusion": Chair.objects.create(name="Chair 1", room="Infusion suite", chair_type="infusion"),
        "spray": Chair.objects.create(name="Spray chair A", room="Esketamine room", chair_type="recliner"),
    }


def dose(staff_member, patient, chair=None, starts_at=None, **kw):
    return services.book(
        staff_member,
        patient=patient,
        kind="dosing",
        starts_at=starts_at or at(),
        duration_min=kw.pop("duration_min", 120),
        chair=chair,
        **kw,
    )


# --------------------------------------------------------------------------------------------- chair type


def test_an_iv_infusion_cannot_be_booked_in_a_spray_chair(ready_patient, staff, chairs):
    patient = ready_patient("iv")
    with pytest.raises(ValidationError) as err:
        dose(staff["front_desk"], patient, chairs["spray"], staff=staff["nurse"])
    assert err.value.message_dict["chair"] == [
        "Spray chair A is a recliner chair; an IV infusion dose needs an infusion chair."
    ]
    assert dose(staff["front_desk"], patient, chairs["infusion"], staff=staff["nurse"]).pk


def test_a_nasal_spray_dose_goes_in_a_recliner_not_an_infusion_chair(ready_patient, staff, chairs):
    patient = ready_patient("intranasal")
    with pytest.raises(
        ValidationError, match="Chair 1 is an infusion chair; a nasal spray dose needs a recliner"
    ):
        dose(staff["front_desk"], patient, chairs["infusion"])
    appointment = dose(staff["front_desk"], patient, chairs["spray"])
    assert appointment.chair == chairs["spray"] and appointment.plan.route == "intranasal"


def test_the_migration_types_existing_chairs_by_name(db):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("ketamine_clinic.scheduling.migrations.0003_chair_type")
    for name, room in [
        ("Chair 1", "Infusion suite"),
        ("Spray chair A", ""),
        ("Recliner 2", "Esketamine room"),
    ]:
        Chair.objects.create(name=name, room=room, chair_type="infusion")
    Chair.objects.filter(name="Recliner 2").update(chair_type="recliner")
    Chair.objects.create(name="Bay 3", room="Esketamine room")
    # The data step reads only which database is being migrated from its schema editor.
    from types import SimpleNamespace

    from django.db import connection

    migration.set_types_by_name(apps, SimpleNamespace(connection=connection))
    assert dict(Chair.objects.values_list("name", "chair_type")) == {
        "Chair 1": "infusion",
        "Spray chair A": "recliner",
        "Recliner 2": "recliner",
        "Bay 3": "recliner",
    }


# --------------------------------------------------------------------------------------------- staff


def test_the_front_desk_clerk_cannot_be_the_staff_member_of_a_dosing_visit(ready_patient, staff, chairs):
    patient = ready_patient()
    with pytest.raises(ValidationError) as err:
        dose(staff["front_desk"], patient, chairs["infusion"], staff=staff["front_desk"])
    assert (
        "cannot be the staff member of this appointment: it needs an infusion nurse"
        in (err.value.message_dict["staff"][0])
    )
    with pytest.raises(ValidationError, match="it needs an infusion nurse"):
        dose(staff["front_desk"], patient, chairs["infusion"], staff=staff["therapist"])
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    "kind, ok, refused",
    [
        ("integration", "therapist", "nurse"),
        ("consult", "prescriber", "therapist"),
        ("assessment", "nurse", "front_desk"),
        ("follow_up", "director", "front_desk"),
    ],
)
def test_each_kind_of_visit_needs_a_suited_clinician(make_patient, staff, kind, ok, refused):
    patient = make_patient(care_team=[staff["nurse"]])
    with pytest.raises(ValidationError) as err:
        services.book(
            staff["front_desk"],
            patient=patient,
            kind=kind,
            starts_at=at(),
            duration_min=50,
            staff=staff[refused],
        )
    assert "cannot be the staff member" in err.value.message_dict["staff"][0]
    booked = services.book(
        staff["front_desk"], patient=patient, kind=kind, starts_at=at(), duration_min=50, staff=staff[ok]
    )
    assert booked.staff == staff[ok]


def test_the_therapist_cannot_be_in_overlapping_appointments(make_patient, staff):
    patients = [make_patient(care_team=[staff["therapist"]]) for _ in range(4)]
    services.book(
        staff["front_desk"],
        patient=patients[0],
        kind="integration",
        starts_at=at(hour=10),
        duration_min=50,
        staff=staff["therapist"],
    )
    for i, minute in enumerate((0, 20, 40), start=1):
        with pytest.raises(ValidationError) as err:
            services.book(
                staff["front_desk"],
                patient=patients[i],
                kind="integration",
                starts_at=at(hour=10, minute=minute),
                duration_min=50,
                staff=staff["therapist"],
            )
        assert "already has an integration / psychotherapy 10:00-10:50" in err.value.message_dict["staff"][0]
    # Any kind counts: the therapist cannot take an assessment at 10:30 either; 10:50 is free.
    with pytest.raises(ValidationError, match="already has"):
        services.book(
            staff["front_desk"],
            patient=patients[1],
            kind="assessment",
            starts_at=at(hour=10, minute=30),
            duration_min=30,
            staff=staff["therapist"],
        )
    services.book(
        staff["front_desk"],
        patient=patients[1],
        kind="integration",
        starts_at=at(hour=10, minute=50),
        duration_min=50,
        staff=staff["therapist"],
    )
    assert Appointment.objects.filter(staff=staff["therapist"]).count() == 2
    assert services.overlap_violations() == []


def test_moving_an_appointment_onto_the_nurses_other_visit_is_refused(ready_patient, staff, chairs):
    a, b = ready_patient(), ready_patient()
    second = Chair.objects.create(name="Chair 2", chair_type="infusion")
    dose(staff["front_desk"], a, chairs["infusion"], starts_at=at(hour=9), staff=staff["nurse"])
    moved = dose(staff["front_desk"], b, second, starts_at=at(hour=12), staff=staff["nurse"])
    with pytest.raises(ValidationError) as err:
        services.reschedule(staff["front_desk"], moved, starts_at=at(hour=10), reason="Patient asked")
    assert "already has a dosing session 09:00-11:00" in err.value.message_dict["staff"][0]
    services.reschedule(
        staff["front_desk"], moved, starts_at=at(hour=10), reason="Patient asked", staff=staff["other_nurse"]
    )
    moved.refresh_from_db()
    assert moved.staff == staff["other_nurse"] and timezone.localtime(moved.starts_at).hour == 10


# --------------------------------------------------------------------------------------------- ready to dose


def test_a_brand_new_patient_cannot_be_booked_for_a_dosing_visit(make_patient, staff, chairs):
    patient = make_patient(care_team=[staff["nurse"]])
    with pytest.raises(ValidationError) as err:
        dose(staff["front_desk"], patient, chairs["infusion"], staff=staff["nurse"])
    assert "No eligibility screening yet" in err.value.message_dict["__all__"][0]
    # Other kinds of visit are fine: the assessment that starts the work-up.
    services.book(
        staff["front_desk"],
        patient=patient,
        kind="assessment",
        starts_at=at(),
        duration_min=60,
        staff=staff["prescriber"],
    )


def test_an_eligible_consented_patient_without_an_active_plan_cannot_be_dosed(make_patient, staff, chairs):
    from ketamine_clinic.demo.assessment import ready_for_planning

    patient = make_patient(care_team=[staff["nurse"]])
    ready_for_planning(staff["prescriber"], patient, "iv")
    with pytest.raises(ValidationError, match="no active treatment plan"):
        dose(staff["front_desk"], patient, chairs["infusion"])


def test_a_new_consent_version_blocks_dosing_until_reconsent(ready_patient, staff, chairs):
    from ketamine_clinic.assessment import services as assessment
    from ketamine_clinic.demo.assessment import consent

    patient = ready_patient()
    assessment.publish_consent_document(staff["director"], route="iv", title="IV consent", body="v2 text")
    with pytest.raises(
        ValidationError, match="A new consent version .* A dosing visit needs current consent"
    ):
        dose(staff["front_desk"], patient, chairs["infusion"])
    consent(staff["nurse"], patient, "iv")
    assert dose(staff["front_desk"], patient, chairs["infusion"]).plan is not None


# --------------------------------------------------------------------------------------------- session now


def now_on_an_open_day(settings):
    """Tests of 'start a session now' run on any day: open the clinic every day of the week."""
    settings.CLINIC_CALENDAR = {"open_weekdays": [0, 1, 2, 3, 4, 5, 6]}
    return timezone.now()


def test_a_session_now_is_booked_with_every_check_and_gets_its_session(
    ready_patient, staff, chairs, settings
):
    from ketamine_clinic.sessions.services import session_for_appointment

    now = now_on_an_open_day(settings)
    patient, other = ready_patient(), ready_patient()
    appointment = services.book_session_now(
        staff["nurse"], patient, route="iv", chair=chairs["infusion"], staff=staff["nurse"], starts_at=now
    )
    assert appointment.kind == "dosing" and appointment.plan.route == "iv"
    assert appointment.duration_min == appointment.plan.template().chair_minutes
    session, created = session_for_appointment(appointment, user=staff["nurse"])
    assert created and session.chair == chairs["infusion"] and session.nurse == staff["nurse"]
    # The reproduction: a second "new session now" in the occupied chair is refused.
    with pytest.raises(ValidationError) as err:
        services.book_session_now(
            staff["other_nurse"],
            other,
            route="iv",
            chair=chairs["infusion"],
            staff=staff["other_nurse"],
            starts_at=now + dt.timedelta(minutes=5),
        )
    assert "Chair 1 is already booked" in err.value.message_dict["chair"][0]


def test_a_session_now_needs_chair_nurse_and_the_plans_route(ready_patient, staff, chairs, settings):
    now = now_on_an_open_day(settings)
    patient = ready_patient("iv")
    with pytest.raises(ValidationError) as err:
        services.book_session_now(
            staff["nurse"], patient, route="intranasal", chair=None, staff=None, starts_at=now
        )
    errors = err.value.message_dict
    assert errors["chair"] == ["Choose the chair the patient is sitting in."]
    assert errors["staff"] == ["Choose the nurse who runs the session."]
    assert "active plan is for IV infusion" in errors["route"][0]
    with pytest.raises(ValidationError, match="it needs an infusion nurse"):
        services.book_session_now(
            staff["nurse"],
            patient,
            route="iv",
            chair=chairs["infusion"],
            staff=staff["front_desk"],
            starts_at=now,
        )
    # The minimum interval between doses holds for sessions started now too.
    services.book_session_now(
        staff["nurse"], patient, route="iv", chair=chairs["infusion"], staff=staff["nurse"], starts_at=now
    )
    with pytest.raises(ValidationError, match="Doses must be at least 48 h apart"):
        services.book_session_now(
            staff["nurse"],
            patient,
            route="iv",
            chair=Chair.objects.create(name="Chair 2"),
            staff=staff["other_nurse"],
            starts_at=now + dt.timedelta(hours=24),
        )


def test_a_session_now_on_a_closed_day_is_refused(ready_patient, staff, chairs, settings):
    settings.CLINIC_CALENDAR = {"open_weekdays": [0]}
    tuesday = at(days=1)
    with pytest.raises(ValidationError, match="The clinic is closed on Tuesday"):
        services.book_session_now(
            staff["nurse"],
            ready_patient(),
            route="iv",
            chair=chairs["infusion"],
            staff=staff["nurse"],
            starts_at=tuesday,
        )


# --------------------------------------------------------------------------------------------- verify helper


def test_overlap_violations_lists_double_booked_chairs_staff_and_patients(make_patient, staff, chairs):
    a, b = make_patient(), make_patient()
    chair = chairs["infusion"]
    # Written straight to the table, as the old ad-hoc path did (the services refuse these).
    first = Appointment.objects.create(
        patient=a, kind="dosing", starts_at=at(hour=9), duration_min=120, chair=chair, staff=staff["nurse"]
    )
    second = Appointment.objects.create(
        patient=b, kind="dosing", starts_at=at(hour=10), duration_min=120, chair=chair, staff=staff["nurse"]
    )
    Appointment.objects.create(  # back to back: not an overlap
        patient=b, kind="dosing", starts_at=at(hour=12), duration_min=60, chair=chair, staff=staff["nurse"]
    )
    Appointment.objects.create(  # cancelled: frees the chair
        patient=a, kind="dosing", starts_at=at(hour=12), duration_min=60, chair=chair, status="cancelled"
    )
    third = Appointment.objects.create(
        patient=a, kind="consult", starts_at=at(hour=10, minute=30), duration_min=30
    )
    found = services.overlap_violations()
    assert {(v.resource, v.first_id, v.second_id) for v in found} == {
        ("chair", first.pk, second.pk),
        ("staff", first.pk, second.pk),
        ("patient", first.pk, third.pk),
    }
    chair_row = next(v for v in found if v.resource == "chair")
    assert chair_row.name == "Chair 1" and chair_row.resource_id == chair.pk
    assert (
        chair_row.message.startswith(f"Chair 1 is double-booked: appointment {first.pk} (")
        and "09:00-11:00" in chair_row.message
    )
    assert [v.resource for v in services.overlap_violations(resources=("staff",))] == ["staff"]


# --------------------------------------------------------------------------------------------- generation


def test_generation_puts_each_route_in_its_chair_type_and_spreads_the_nurses(staff, ready_patient, chairs):
    iv, spray = ready_patient("iv"), ready_patient("intranasal")
    iv_plan, spray_plan = iv.treatment_plans.get(), spray.treatment_plans.get()
    services.generate_from_plan(staff["front_desk"], iv_plan)
    services.generate_from_plan(staff["front_desk"], spray_plan)
    assert set(iv_plan.appointments.filter(kind="dosing").values_list("chair__chair_type", flat=True)) == {
        "infusion"
    }
    assert set(spray_plan.appointments.filter(kind="dosing").values_list("chair__chair_type", flat=True)) == {
        "recliner"
    }
    # Both plans start at 09:00 on the same days: the care-team nurse takes one, another nurse the other.
    first_doses = Appointment.objects.filter(kind="dosing", dose_number=1)
    assert sorted(a.staff.username for a in first_doses) == ["t_nurse", "t_other_nurse"]
    assert services.overlap_violations() == []


# --------------------------------------------------------------------------------------------- API and pages


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_api_refusals_are_422_in_plain_words(make_patient, ready_patient, staff, chairs, client_as):
    client = client_as(staff["front_desk"])
    new = make_patient(care_team=[staff["nurse"]])
    body = {
        "kind": "dosing",
        "starts_at": at().isoformat(),
        "duration_min": 120,
        "chair_id": chairs["infusion"].pk,
    }
    response = post(client, f"/api/schedule/patient/{new.pk}", dict(body, staff_id=staff["nurse"].pk))
    assert response.status_code == 422
    assert "No eligibility screening yet" in response.json()["detail"]["__all__"][0]
    ready = ready_patient()
    response = post(client, f"/api/schedule/patient/{ready.pk}", dict(body, staff_id=staff["front_desk"].pk))
    assert response.status_code == 422 and "needs an infusion nurse" in response.json()["detail"]["staff"][0]
    response = post(client, f"/api/schedule/patient/{ready.pk}", dict(body, staff_id=99999))
    assert response.status_code == 422 and response.json()["detail"]["staff_id"] == ["No such staff member."]
    response = post(client, f"/api/schedule/patient/{ready.pk}", dict(body, chair_id=chairs["spray"].pk))
    assert response.status_code == 422 and "needs an infusion chair" in response.json()["detail"]["chair"][0]
    assert not Appointment.objects.exists()
    listed = client.get("/api/schedule/chairs").json()
    assert {c["name"]: c["chair_type"] for c in listed} == {
        "Chair 1": "infusion",
        "Spray chair A": "recliner",
    }


def test_booking_page_shows_the_refusal_and_keeps_what_was_typed(ready_patient, staff, chairs, client_as):
    patient = ready_patient()
    client = client_as(staff["front_desk"])
    start = at().strftime("%Y-%m-%dT%H:%M")
    typed = {
        "kind": "dosing",
        "starts_at": start,
        "duration_min": "120",
        "chair": chairs["spray"].pk,
        "staff": staff["front_desk"].pk,
        "note": "Bring headphones",
    }
    response = client.post(reverse("scheduling:book", args=[patient.pk]), typed)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Spray chair A is a recliner chair; an IV infusion dose needs an infusion chair." in page
    assert "it needs an infusion nurse" in page
    assert 'value="Bring headphones"' in page and f'value="{start}"' in page
    assert f'<option value="{chairs["spray"].pk}" selected>' in page
    # The staff list shows each person's role, so the clerk can see who runs a dosing visit.
    assert f"{staff['nurse'].display_name()} (Infusion nurse)" in page
    fixed = dict(typed, chair=chairs["infusion"].pk, staff=staff["nurse"].pk)
    assert client.post(reverse("scheduling:book", args=[patient.pk]), fixed).status_code == 302
    day = client.get(reverse("scheduling:day") + f"?date={at().date().isoformat()}").content.decode()
    assert "Recliner chair" in day and "Infusion chair" in day


def test_booking_page_refuses_a_dosing_visit_for_a_new_patient_in_plain_words(
    make_patient, staff, chairs, client_as
):
    patient = make_patient(care_team=[staff["nurse"]])
    response = client_as(staff["front_desk"]).post(
        reverse("scheduling:book", args=[patient.pk]),
        {
            "kind": "dosing",
            "starts_at": at().strftime("%Y-%m-%dT%H:%M"),
            "duration_min": "120",
            "staff": staff["nurse"].pk,
        },
    )
    assert response.status_code == 400
    assert b"No eligibility screening yet: complete the intake assessment first." in response.content
    assert not Appointment.objects.exists()
