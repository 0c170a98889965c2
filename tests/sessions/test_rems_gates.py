"""The SPRAVATO REMS gates (core.safety.rems): an esketamine dose is neither booked (service, booking page, API,
schedule generation, a session started now) nor started at the chair, even with a prescriber's override, until the
clinic's certification and the patient's enrolment are recorded; other routes are not affected."""

import dataclasses
import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.assessment import services as assessment
from ketamine_clinic.assessment.models import RemsEnrolment
from ketamine_clinic.clinic.services import current_site
from ketamine_clinic.core.protocols.dose_rule import DoseRule
from ketamine_clinic.core.safety import rems
from ketamine_clinic.scheduling import services as scheduling
from ketamine_clinic.scheduling.models import Appointment, Chair
from ketamine_clinic.sessions import services
from ketamine_clinic.sessions.models import DosingSession

PROTOCOL_FOR_ROUTE = {"iv": "iv_racemic_standard", "intranasal": "esketamine_label"}
NASAL = DoseRule("fixed_mg", 56, 56, 84, drug="esketamine")


def next_monday() -> dt.date:
    today = timezone.localdate()
    return today + dt.timedelta(days=7 - today.weekday())


def at(days=1, hour=9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(next_monday() + dt.timedelta(days=days), dt.time(hour, 0)))


def uncertify():
    site = current_site()
    site.rems_certified_on = None
    site.save()


def unenrol(patient):
    RemsEnrolment.objects.filter(patient=patient).delete()


@pytest.fixture
def chairs(db):
    return {
        "infusion": Chair.objects.create(name="Chair 1", room="Suite A", chair_type="infusion"),
        "recliner": Chair.objects.create(name="Recliner 1", room="Suite B", chair_type="recliner"),
    }


@pytest.fixture
def planned(staff, make_patient):
    """planned(route) -> a patient ready for dosing on ``route`` (eligible, consented, PDMP, an active plan; for
    esketamine also enrolled, as the demo's intake does)."""
    from ketamine_clinic.demo.assessment import ready_for_planning
    from ketamine_clinic.plans import services as plans

    def make(route):
        patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]], first_name="Ana", last_name="Ruiz")
        ready_for_planning(staff["prescriber"], patient, route)
        plans.create_plan(staff["prescriber"], patient, protocol_key=PROTOCOL_FOR_ROUTE[route],
                          start_date=next_monday())
        return patient

    return make


def book(staff, patient, chair, starts_at=None):
    return scheduling.book(staff["front_desk"], patient=patient, kind="dosing", starts_at=starts_at or at(),
                           duration_min=150, chair=chair, staff=staff["nurse"])


def test_booking_esketamine_is_refused_without_the_enrolment_then_fine_once_recorded(planned, staff, chairs):
    patient = planned("intranasal")
    unenrol(patient)
    with pytest.raises(ValidationError) as err:
        book(staff, patient, chairs["recliner"])
    assert err.value.message_dict["__all__"] == [rems.patient_not_enrolled("Ana Ruiz")]
    assert not Appointment.objects.exists()
    assessment.record_rems_enrolment(staff["nurse"], patient, enrolled_on=timezone.localdate())
    assert book(staff, patient, chairs["recliner"]).pk


def test_booking_esketamine_is_refused_while_the_clinic_is_not_certified(planned, staff, chairs):
    patient = planned("intranasal")
    uncertify()
    with pytest.raises(ValidationError, match="not recorded as SPRAVATO REMS-certified"):
        book(staff, patient, chairs["recliner"])
    # Moving an existing booking is checked again too.
    from ketamine_clinic.clinic.services import record_rems_certification

    record_rems_certification(staff["director"], current_site(), "HCS-1", timezone.localdate())
    appointment = book(staff, patient, chairs["recliner"])
    uncertify()
    with pytest.raises(ValidationError, match="REMS-certified"):
        scheduling.reschedule(staff["front_desk"], appointment, starts_at=at(days=2), reason="Patient asked")


def test_both_missing_are_both_named_and_generation_books_nothing(planned, staff, chairs):
    patient = planned("intranasal")
    unenrol(patient)
    uncertify()
    plan = patient.treatment_plans.current()
    with pytest.raises(ValidationError) as err:
        scheduling.generate_from_plan(staff["front_desk"], plan)
    text = " ".join(err.value.messages)
    assert rems.SETTING_NOT_CERTIFIED in text and "Ana Ruiz is not enrolled" in text
    assert not Appointment.objects.filter(patient=patient).exists()


def test_other_routes_are_booked_without_any_rems_record(planned, staff, chairs):
    patient = planned("iv")
    uncertify()
    assert not RemsEnrolment.objects.filter(patient=patient).exists()
    assert book(staff, patient, chairs["infusion"]).pk


def test_the_booking_page_and_the_api_show_the_refusal(planned, staff, chairs, client_as):
    patient = planned("intranasal")
    unenrol(patient)
    client = client_as(staff["front_desk"])
    start = at().strftime("%Y-%m-%dT%H:%M")
    page = client.post(reverse("scheduling:book", args=[patient.pk]), {
        "kind": "dosing", "starts_at": start, "duration_min": "150", "chair": chairs["recliner"].pk,
        "staff": staff["nurse"].pk, "note": "First spray"})
    text = page.content.decode()
    assert page.status_code == 400 and "Ana Ruiz is not enrolled in the SPRAVATO REMS" in text
    assert 'value="First spray"' in text
    api = client.post(f"/api/schedule/patient/{patient.pk}", json.dumps({
        "kind": "dosing", "starts_at": at().isoformat(), "duration_min": 150, "chair_id": chairs["recliner"].pk,
        "staff_id": staff["nurse"].pk}), content_type="application/json")
    assert api.status_code == 422 and "not enrolled in the SPRAVATO REMS" in api.json()["detail"]["__all__"][0]
    assert not Appointment.objects.exists()
    # A session started now from the chart is a booking too.
    nurse = client_as(staff["nurse"])
    started = nurse.post(reverse("sessions:create", args=[patient.pk]),
                         {"route": "intranasal", "chair": chairs["recliner"].pk, "nurse": staff["nurse"].pk})
    assert started.status_code == 400 and "not enrolled in the SPRAVATO REMS" in started.content.decode()
    assert not patient.dosing_sessions.exists()


def test_the_plan_tab_names_what_is_missing(planned, staff, client_as):
    patient = planned("intranasal")
    chart = client_as(staff["prescriber"]).get(reverse("plans:chart", args=[patient.pk])).content.decode()
    assert 'id="rems-needed"' not in chart
    unenrol(patient)
    chart = client_as(staff["prescriber"]).get(reverse("plans:chart", args=[patient.pk])).content.decode()
    assert 'id="rems-needed"' in chart and "Ana Ruiz is not enrolled in the SPRAVATO REMS" in chart


# --------------------------------------------------------------------------------------------- the chair


@pytest.fixture
def nasal_session(patient, staff, helpers):
    helpers.consent_and_eligibility(patient, staff["prescriber"], route="intranasal")
    session = DosingSession.objects.create(
        patient=patient, route="intranasal", scheduled_for=timezone.now(), dose_rule=dataclasses.asdict(NASAL)
    )
    start = timezone.now() - dt.timedelta(minutes=30)
    helpers.stock_lot("intranasal")
    helpers.ready_pre_dose(session, staff["nurse"], at=start)
    helpers.confirm_dose(session, staff["nurse"], dose_mg=56, now=start + dt.timedelta(minutes=8))
    return session


def test_dosing_is_refused_without_the_records_even_with_an_override(nasal_session, staff, patient):
    unenrol(patient)
    uncertify()
    with pytest.raises(ValidationError) as err:
        services.transition(nasal_session, "dosing", user=staff["nurse"], version=nasal_session.version)
    text = " ".join(err.value.messages)
    assert "REMS-certified" in text and "not enrolled in the SPRAVATO REMS" in text
    assert "cannot be overridden at the chair" in text
    with pytest.raises(ValidationError, match="cannot be overridden at the chair"):
        services.transition(nasal_session, "dosing", user=staff["prescriber"], version=nasal_session.version,
                            override_reason="Patient is enrolled, the form is in the post")
    nasal_session.refresh_from_db()
    assert nasal_session.state == "pre_dose_checks" and nasal_session.dosing_started_at is None


def test_dosing_starts_once_both_are_recorded(nasal_session, staff, patient, client_as):
    from ketamine_clinic.clinic.services import record_rems_certification

    unenrol(patient)
    uncertify()
    refused = client_as(staff["nurse"]).post(reverse("sessions:transition", args=[nasal_session.pk]),
                                             {"target": "dosing", "version": nasal_session.version})
    assert refused.status_code == 400 and "not enrolled in the SPRAVATO REMS" in refused.content.decode()
    record_rems_certification(staff["director"], current_site(), "HCS-1", timezone.localdate())
    assessment.record_rems_enrolment(staff["nurse"], patient, enrolled_on=timezone.localdate())
    nasal_session.refresh_from_db()
    services.transition(nasal_session, "dosing", user=staff["nurse"], version=nasal_session.version)
    assert nasal_session.state == "dosing"


def test_an_iv_session_doses_without_any_rems_record(iv_session, staff, helpers, patient):
    uncertify()
    helpers.start_dosing(iv_session, staff["nurse"])
    assert iv_session.state == "dosing"
