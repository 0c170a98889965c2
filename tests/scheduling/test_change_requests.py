"""A patient asks, from the portal, to move or cancel a booked visit; the request reaches the front desk's
dashboard with the patient's phone number; the desk calls back and marks it handled. One open request per visit;
another patient's appointment is not theirs to ask about; past or cancelled visits cannot be asked about."""

import datetime as dt

import pytest
from django.utils import timezone

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.scheduling.models import Appointment, ChangeRequest

PANEL = "/schedule/arrivals/panel/"


@pytest.fixture
def booked(staff, make_patient):
    patient = make_patient(care_team=[staff["nurse"]], with_login=True, last_name="Rebooker",
                           phone="(202) 555-0171")
    visit = Appointment.objects.create(patient=patient, kind="integration",
                                       starts_at=timezone.now() + dt.timedelta(days=3), duration_min=50)
    return patient, visit


def _ask(client, visit, kind="reschedule", note="Thursday afternoon would suit"):
    return client.post(f"/portal/appointments/{visit.pk}/request/", {"kind": kind, "note": note}, follow=True)


@pytest.mark.django_db
def test_a_request_reaches_the_desk_and_is_handled(staff, client_as, booked):
    patient, visit = booked
    me = client_as(patient.user)
    assert "Ask the front desk" in me.get("/portal/appointments/").content.decode()
    page = _ask(me, visit).content.decode()
    assert "has gone to the front desk" in page and "the front desk will call you" in page
    request = ChangeRequest.objects.get(appointment=visit)
    assert (request.kind, request.note, request.handled_at) == ("reschedule", "Thursday afternoon would suit", None)
    assert AuditEvent.objects.filter(action="create", patient=patient, object_type="scheduling.ChangeRequest").exists()
    visit.refresh_from_db()
    assert visit.status == "booked"  # nothing changes until the desk agrees it with the patient

    desk = client_as(staff["front_desk"])
    panel = desk.get(PANEL).content.decode()
    assert "Rebooker" in panel and "Thursday afternoon would suit" in panel and 'tel:(202) 555-0171' in panel
    assert desk.post(f"/schedule/requests/{request.pk}/handled/").status_code == 302
    request.refresh_from_db()
    assert request.handled_by == staff["front_desk"] and request.handled_at is not None
    assert "Rebooker" not in desk.get(PANEL).content.decode().split("Today's arrivals")[0]


@pytest.mark.django_db
def test_one_open_request_per_visit_and_only_ones_own(staff, client_as, make_patient, booked):
    patient, visit = booked
    me = client_as(patient.user)
    _ask(me, visit)
    again = _ask(me, visit, kind="cancel").content.decode()
    assert "already asked about this appointment" in again
    assert ChangeRequest.objects.filter(appointment=visit).count() == 1
    stranger = make_patient(with_login=True)
    assert client_as(stranger.user).post(f"/portal/appointments/{visit.pk}/request/",
                                         {"kind": "cancel"}).status_code == 404
    assert client_as(staff["nurse"]).post(f"/portal/appointments/{visit.pk}/request/",
                                          {"kind": "cancel"}).status_code == 403


@pytest.mark.django_db
def test_past_or_cancelled_visits_and_bad_choices_are_refused(staff, client_as, booked):
    patient, visit = booked
    me = client_as(patient.user)
    assert "Choose whether to move or cancel" in _ask(me, visit, kind="whenever").content.decode()
    Appointment.objects.filter(pk=visit.pk).update(status="cancelled")
    assert "can no longer be changed here" in _ask(me, visit).content.decode()
    assert not ChangeRequest.objects.exists()
