"""Staff work lists: overdue questionnaires, missed appointments, no contact, response flags, unread messages."""

import datetime as dt

import pytest

from ketamine_clinic.followup import services
from ketamine_clinic.followup.queries import worklists
from ketamine_clinic.portal.models import Message
from ketamine_clinic.scheduling.models import Appointment

pytestmark = pytest.mark.django_db
D = dt.timedelta


@pytest.fixture
def team(staff):
    return [staff["prescriber"], staff["nurse"], staff["therapist"]]


def test_each_list_finds_its_patient_and_only_visible_ones(make_patient, staff, team, course, now):
    # Quiet: in maintenance, a PHQ-9 two days ago, a completed visit last week -> on no list.
    quiet = make_patient(care_team=team, phase="maintenance")
    course.score(quiet, now - D(days=2), 5)
    Appointment.objects.create(patient=quiet, kind="follow_up", starts_at=now - D(days=7), status="completed")
    # Missed: a no-show 3 days ago.
    missed = make_patient(care_team=team, phase="maintenance")
    course.score(missed, now - D(days=2), 5)
    Appointment.objects.create(patient=missed, kind="dosing", starts_at=now - D(days=3), status="no_show")
    # Silent: induction, last anything 45 days ago -> no contact for 30 days, and questionnaires overdue.
    silent = make_patient(care_team=team, phase="induction")
    course.score(silent, now - D(days=45), 12)
    # Writer: an unread message from the patient.
    writer = make_patient(care_team=team, phase="maintenance", with_login=True)
    course.score(writer, now - D(days=1), 5)
    Message.objects.create(
        patient=writer, sender=writer.user, from_patient=True, body="Can I move my booster?"
    )
    # Fading: a booster suggestion.
    fading = make_patient(care_team=team, phase="maintenance")
    course.score(fading, now - D(days=60, hours=1), 20)
    course.induction(fading, now - D(days=60))
    course.score(fading, now - D(days=48), 4)
    course.score(fading, now - D(days=1), 14)
    services.refresh_suggestion(fading)
    # Someone else's patient on every list: must not appear for our prescriber.
    other = make_patient(care_team=[staff["other_prescriber"]], phase="induction")
    Appointment.objects.create(patient=other, kind="dosing", starts_at=now - D(days=2), status="no_show")

    lists = worklists(staff["prescriber"], now)
    assert [a.patient for a in lists["missed"]] == [missed]
    assert [p for p in lists["no_contact"]] == [silent]
    assert silent in [row["patient"] for row in lists["overdue"]]
    assert quiet not in [row["patient"] for row in lists["overdue"]]
    assert other not in [row["patient"] for row in lists["overdue"]]
    assert [s.patient for s in lists["flags"]] == [fading]
    assert [m.patient for m in lists["unread"]] == [writer]
    # N is a parameter: with 60 days, nobody in this clinic is "silent" (45 days < 60).
    assert list(worklists(staff["prescriber"], now, no_contact_days=60)["no_contact"]) == []


def test_lists_follow_role_permissions(make_patient, staff, team, now):
    make_patient(care_team=team, phase="maintenance")
    front = worklists(staff["front_desk"], now)
    # The front desk sees missed appointments but no clinical flags, measures or messages.
    assert front["missed"] is not None
    assert front["flags"] is None and front["overdue"] is None and front["unread"] is None


def test_reading_a_thread_clears_unread_and_staff_can_reply(make_patient, staff, team, client_as):
    patient = make_patient(care_team=team, phase="maintenance", with_login=True)
    Message.objects.create(
        patient=patient, sender=patient.user, from_patient=True, body="Question about driving"
    )
    client = client_as(staff["therapist"])
    page = client.get(f"/followup/patient/{patient.pk}/messages/").content.decode()
    assert "Question about driving" in page
    assert not Message.objects.unread_from_patients().exists()
    response = client.post(f"/followup/patient/{patient.pk}/messages/reply/", {"body": ""})
    assert response.status_code == 400 and "Write the reply" in response.content.decode()
    client.post(
        f"/followup/patient/{patient.pk}/messages/reply/", {"body": "Not until the next day after sleep."}
    )
    reply = Message.objects.get(from_patient=False)
    assert reply.sender == staff["therapist"] and reply.patient == patient
    # The patient sees it in the portal, where it becomes read.
    portal = client_as(patient.user).get("/portal/messages/").content.decode()
    assert "Not until the next day after sleep." in portal
    reply.refresh_from_db()
    assert reply.read_at is not None
    # The front desk cannot read the thread at all.
    assert client_as(staff["front_desk"]).get(f"/followup/patient/{patient.pk}/messages/").status_code == 403


def test_worklist_page_and_panel_render(make_patient, staff, team, client_as, now):
    patient = make_patient(care_team=team, phase="maintenance")
    Appointment.objects.create(patient=patient, kind="dosing", starts_at=now - D(days=3), status="no_show")
    page = client_as(staff["nurse"]).get("/followup/")
    assert page.status_code == 200 and str(patient) in page.content.decode()
    panel = client_as(staff["nurse"]).get("/followup/panel/").content.decode()
    assert "<strong>1</strong> missed appointment" in panel
    bad = client_as(staff["nurse"]).get("/followup/?days=abc")
    assert bad.status_code == 200 and "whole number from 1 to 365" in bad.content.decode()
