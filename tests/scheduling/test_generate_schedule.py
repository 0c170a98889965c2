"""Generating appointments from a plan: dosing on chairs with staff, integration and reviews, no double-booking."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.core.protocols.schedule import interval_violations
from ketamine_clinic.demo.assessment import ready_for_planning
from ketamine_clinic.plans import services as plans
from ketamine_clinic.scheduling.models import Appointment, Chair

pytestmark = pytest.mark.django_db


def next_monday():
    today = timezone.localdate()
    return today + dt.timedelta(days=7 - today.weekday())


@pytest.fixture
def chairs(db):
    return [Chair.objects.create(name=f"Chair {i}", room="Suite") for i in (1, 2)]


def make_plan(staff, make_patient, key="iv_racemic_standard", route="iv", time=dt.time(9, 0)):
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"], staff["therapist"]])
    ready_for_planning(staff["prescriber"], patient, route)
    return plans.create_plan(
        staff["prescriber"], patient, protocol_key=key, start_date=next_monday(), session_time=time
    )


def test_generate_books_induction_on_chairs_with_nurse_and_integration_with_therapist(
    staff, make_patient, chairs, client_as
):
    plan = make_plan(staff, make_patient)
    response = client_as(staff["front_desk"]).post(
        reverse("scheduling:generate", args=[plan.pk]), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("scheduling:chart", args=[plan.patient.pk])
    assert b"Booked" in response.content
    doses = list(plan.appointments.filter(kind="dosing").order_by("starts_at"))
    assert len(doses) == plan.template().total_doses
    induction = [a for a in doses if a.phase_key == "induction"]
    assert len(induction) == 6
    assert (timezone.localtime(induction[-1].starts_at).date() - next_monday()).days < 21
    assert all(a.chair is not None and a.staff == staff["nurse"] for a in doses)
    assert interval_violations([a.starts_at for a in doses], 48) == []
    integration = plan.appointments.filter(kind="integration")
    assert integration.count() == len(doses) // 2 and {a.staff for a in integration} == {staff["therapist"]}
    assert plan.appointments.filter(kind="assessment").count() == 2
    assert AuditEvent.objects.filter(action="create", object_type="scheduling.Appointment").count() == (
        plan.appointments.count()
    )
    # The plan page shows the generated schedule.
    page = client_as(staff["nurse"]).get(reverse("plans:chart", args=[plan.patient.pk]))
    assert page.content.count(b"Dosing session") >= 6


def test_esketamine_generation_reproduces_label_weeks(staff, make_patient, chairs):
    plan = make_plan(staff, make_patient, key="esketamine_label", route="intranasal")
    from ketamine_clinic.scheduling import services

    services.generate_from_plan(staff["front_desk"], plan)
    weeks = [0] * 16
    for a in plan.appointments.filter(kind="dosing"):
        weeks[(timezone.localtime(a.starts_at).date() - plan.start_date).days // 7] += 1
    assert weeks == [2, 2, 2, 2, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 1, 0]
    assert all(a.duration_min >= 120 for a in plan.appointments.filter(kind="dosing"))


def test_two_patients_at_the_same_time_get_different_chairs_and_a_third_gets_a_warning(
    staff, make_patient, chairs
):
    from ketamine_clinic.scheduling import services

    p1, p2, p3 = (make_plan(staff, make_patient) for _ in range(3))
    services.generate_from_plan(staff["front_desk"], p1)
    services.generate_from_plan(staff["front_desk"], p2)
    _created, warnings = services.generate_from_plan(staff["front_desk"], p3)
    first = [a.chair_id for a in Appointment.objects.filter(kind="dosing", dose_number=1).order_by("id")]
    assert first[0] != first[1] and first[2] is None
    assert warnings and "No infusion chair free" in warnings[0]


def test_regenerate_needs_replace_and_cancels_with_reason(staff, make_patient, chairs, client_as):
    plan = make_plan(staff, make_patient)
    client = client_as(staff["front_desk"])
    client.post(reverse("scheduling:generate", args=[plan.pk]))
    count = plan.appointments.count()
    response = client.post(reverse("scheduling:generate", args=[plan.pk]), follow=True)
    assert b"already generated" in response.content
    assert plan.appointments.count() == count
    client.post(reverse("scheduling:generate", args=[plan.pk]), {"replace": "1"})
    assert plan.appointments.filter(status="cancelled").count() == count
    assert plan.appointments.filter(status="booked").count() == count
    assert "Replaced by a schedule" in plan.appointments.filter(status="cancelled").first().cancel_reason


def test_therapist_outside_care_team_cannot_generate(staff, make_patient, chairs, client_as):
    plan = make_plan(staff, make_patient)
    response = client_as(staff["other_therapist"]).post(reverse("scheduling:generate", args=[plan.pk]))
    assert response.status_code == 404
    assert plan.appointments.count() == 0


def test_new_consent_version_blocks_further_scheduling_until_reconsent(
    staff, make_patient, chairs, client_as
):
    from ketamine_clinic.assessment import services as assessment
    from ketamine_clinic.demo.assessment import consent

    plan = make_plan(staff, make_patient)
    assessment.publish_consent_document(staff["director"], route="iv", title="IV consent", body="v2 text")
    response = client_as(staff["nurse"]).post(reverse("scheduling:generate", args=[plan.pk]), follow=True)
    assert b"A new consent version (v2) was published" in response.content
    assert b"must do so first" in response.content
    assert plan.appointments.count() == 0
    page = client_as(staff["nurse"]).get(reverse("plans:chart", args=[plan.patient.pk]))
    assert b'id="reconsent-needed"' in page.content
    consent(staff["nurse"], plan.patient, "iv")
    client_as(staff["nurse"]).post(reverse("scheduling:generate", args=[plan.pk]))
    assert plan.appointments.filter(kind="dosing").count() == 13


def test_generation_uses_the_clinic_calendar_setting(staff, make_patient, chairs, settings):
    from ketamine_clinic.scheduling import services

    settings.CLINIC_CALENDAR = {"open_weekdays": [0, 1, 3, 4]}  # closed on Wednesdays
    plan = make_plan(staff, make_patient)
    created, _warnings = services.generate_from_plan(staff["front_desk"], plan)
    days = {timezone.localtime(a.starts_at).weekday() for a in created}
    assert created and days <= {0, 1, 3, 4}
