"""A patient's portal: own appointments, route instructions with sources, due questionnaires, scores, messages."""

import datetime as dt

import pytest
from django.utils import timezone

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.portal.models import Message
from ketamine_clinic.scheduling.models import Appointment

pytestmark = pytest.mark.django_db
D = dt.timedelta


@pytest.fixture
def patient(make_patient, staff):
    return make_patient(
        care_team=[staff["prescriber"], staff["therapist"]], with_login=True, phase="maintenance"
    )


def test_home_shows_own_appointments_only_and_due_phq9(patient, make_patient, client_as):
    now = timezone.now()
    Appointment.objects.create(
        patient=patient, kind="dosing", starts_at=now + D(days=2), status="booked", note="x"
    )
    other = make_patient(with_login=True)
    Appointment.objects.create(patient=other, kind="consult", starts_at=now + D(days=1), status="booked")
    response = client_as(patient.user).get("/portal/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dosing session" in html and "Prescriber consultation" not in html
    # No PHQ-9 on record: the outcomes schedule makes it due, linked to the outcomes self-report form.
    assert "/outcomes/self-report/phq9/" in html
    assert AuditEvent.objects.filter(user=patient.user, action="view", patient=patient).exists()


def test_staff_have_no_portal(staff, client_as):
    assert client_as(staff["nurse"]).get("/portal/").status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get("/portal/journal/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_instructions_follow_the_route_and_cite_their_source(patient, client_as):
    from ketamine_clinic.sessions.models import DosingSession

    DosingSession.objects.create(
        patient=patient, route="intranasal", state="scheduled", scheduled_for=timezone.now()
    )
    html = client_as(patient.user).get("/portal/instructions/").content.decode()
    assert "Esketamine nasal spray" in html
    assert "until the next day, after a restful sleep" in html
    assert "SPRAVATO (esketamine) nasal spray prescribing information" in html
    iv = client_as(patient.user).get("/portal/instructions/?route=iv").content.decode()
    assert (
        "Ketamine infusion (IV)" in iv and "Clinic policy" in iv and "not the instructions for your own" in iv
    )
    bad = client_as(patient.user).get("/portal/instructions/?route=rectal")
    assert bad.status_code == 200 and "No instructions for route" in bad.content.decode()


def test_scores_in_plain_language(patient, client_as):
    from ketamine_clinic.outcomes.models import MeasureResponse

    now = timezone.now()
    for days, total in ((30, 20), (15, 12), (1, 8)):
        MeasureResponse.objects.create(
            patient=patient,
            instrument="phq9",
            total=total,
            severity="",
            taken_at=now - D(days=days),
            answers=[],
        )
    html = client_as(patient.user).get("/portal/scores/").content.decode()
    assert "lower scores mean fewer symptoms" in html
    assert "12 points lower than when you started (60% lower)" in html
    assert "<svg" in html


def test_patient_sends_message_and_staff_see_it_unread(patient, staff, client_as):
    client = client_as(patient.user)
    response = client.post("/portal/messages/", {"subject": "", "body": ""})
    assert response.status_code == 400 and "Write your message" in response.content.decode()
    client.post("/portal/messages/", {"subject": "Dizzy", "body": "Still dizzy the next morning"})
    message = Message.objects.get()
    assert message.from_patient and message.sender == patient.user and message.read_at is None
    assert AuditEvent.objects.filter(action="create", object_type="portal.Message").exists()
    chart = client_as(staff["therapist"]).get(f"/followup/patient/{patient.pk}/").content.decode()
    assert "1 unread" in chart
    api = client.post("/api/portal/messages", {"body": ""}, content_type="application/json")
    assert api.status_code == 422


def test_consent_documents_listed(patient, staff, client_as):
    from ketamine_clinic.assessment.models import ConsentAcknowledgement, ConsentDocument

    doc = ConsentDocument.objects.create(
        route="iv", version=1, title="IV ketamine consent", body="Risks: ..."
    )
    ConsentAcknowledgement.objects.create(
        patient=patient, document=doc, typed_name="Pat Synthetic", recorded_by=staff["prescriber"]
    )
    html = client_as(patient.user).get("/portal/consents/").content.decode()
    assert "IV ketamine consent" in html and "Current version" in html and "Pat Synthetic" in html


def test_patient_uses_portal_not_staff_pages_and_may_print_own_report(patient, make_patient, client_as):
    Message.objects.create(patient=patient, sender=patient.user, from_patient=True, body="Hello")
    client = client_as(patient.user)
    assert client.get(f"/followup/patient/{patient.pk}/")["Location"] == "/portal/"
    assert client.get(f"/followup/patient/{patient.pk}/messages/")["Location"] == "/portal/messages/"
    assert Message.objects.get().read_at is None  # still unread for the care team
    report = client.get(f"/followup/patient/{patient.pk}/report/")
    assert report.status_code == 200 and "Your care team reviews your scores" in report.content.decode()
    other = make_patient(with_login=True)
    assert client.get(f"/followup/patient/{other.pk}/report/").status_code == 404
