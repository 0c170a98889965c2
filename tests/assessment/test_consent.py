"""Informed consent: a specific version, typed name, timestamp; a new version needs re-consent."""

import pytest
from django.urls import reverse

from ketamine_clinic.assessment import services
from ketamine_clinic.assessment.models import ConsentAcknowledgement, ConsentDocument
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.demo.assessment import ensure_consent_documents

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(staff, make_patient):
    docs = ensure_consent_documents(staff["director"])
    patient = make_patient(
        care_team=[staff["prescriber"], staff["nurse"]],
        with_login=True,
        first_name="Robin",
        last_name="Example",
    )
    return patient, docs


def post_consent(client, patient, document, name, understood=True):
    data = {"document_id": document.pk, "typed_name": name}
    if understood:
        data["understood"] = "on"
    return client.post(reverse("assessment:consent", args=[patient.pk, document.route]), data)


def test_patient_consents_with_their_typed_name(setup, client_as):
    patient, docs = setup
    client = client_as(patient.user)
    page = client.get(reverse("assessment:consent", args=[patient.pk, "iv"]))
    assert page.status_code == 200 and b"Consent to intravenous ketamine" in page.content
    response = post_consent(client, patient, docs["iv"], "  robin   EXAMPLE ")
    assert response.status_code == 302
    ack = ConsentAcknowledgement.objects.get()
    assert ack.document.version == 1 and ack.recorded_by == patient.user and ack.acknowledged_at
    assert services.consent_is_current(patient, "iv")
    assert not services.consent_is_current(patient, "intranasal")
    assert AuditEvent.objects.filter(
        action="create", object_type="assessment.ConsentAcknowledgement"
    ).exists()


def test_wrong_name_or_unticked_box_is_refused(setup, client_as):
    patient, docs = setup
    client = client_as(patient.user)
    response = post_consent(client, patient, docs["iv"], "Someone Else")
    assert response.status_code == 400
    assert b"Type the patient&#x27;s full name exactly as registered" in response.content
    response = post_consent(client, patient, docs["iv"], "Robin Example", understood=False)
    assert response.status_code == 400
    assert ConsentAcknowledgement.objects.count() == 0


def test_new_version_requires_reconsent_and_old_version_cannot_be_acknowledged(setup, staff, client_as):
    patient, docs = setup
    post_consent(client_as(staff["nurse"]), patient, docs["iv"], "Robin Example")
    assert services.consent_is_current(patient, "iv")
    response = client_as(staff["director"]).post(
        reverse("assessment:consent_document_new"),
        {"route": "iv", "title": "IV ketamine consent", "body": "Updated risks section."},
    )
    assert response.status_code == 302
    assert ConsentDocument.objects.filter(route="iv").order_by("-version").first().version == 2
    assert not services.consent_is_current(patient, "iv")
    chart = client_as(staff["nurse"]).get(reverse("assessment:chart", args=[patient.pk]))
    assert b"Re-consent needed (had v1)" in chart.content
    response = post_consent(client_as(staff["nurse"]), patient, docs["iv"], "Robin Example")
    assert response.status_code == 400
    assert b"has been replaced" in response.content


def test_nurse_cannot_publish_consent_documents(setup, client_as, staff):
    response = client_as(staff["nurse"]).post(
        reverse("assessment:consent_document_new"), {"route": "iv", "title": "x", "body": "y"}
    )
    assert response.status_code == 403


def test_another_patient_cannot_consent_for_this_one(setup, make_patient, client_as):
    patient, docs = setup
    other = make_patient(with_login=True)
    response = post_consent(client_as(other.user), patient, docs["iv"], "Robin Example")
    assert response.status_code == 404
    assert ConsentAcknowledgement.objects.count() == 0


def test_front_desk_cannot_record_consent(setup, client_as, staff):
    patient, docs = setup
    response = post_consent(client_as(staff["front_desk"]), patient, docs["iv"], "Robin Example")
    assert response.status_code == 403
