"""Patients fill in their own questionnaires; crisis resources on the confirmation page."""

import pytest

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.outcomes.models import MeasureResponse, UrgentTask


@pytest.mark.django_db
def test_patient_completes_phq9_and_sees_crisis_resources(patient, client_as, phq9_post):
    client = client_as(patient.user)
    assert client.get("/outcomes/self-report/").status_code == 200
    response = client.post("/outcomes/self-report/phq9/", phq9_post([2, 2, 1, 1, 1, 1, 1, 1, 0]))
    admin = MeasureResponse.objects.get(patient=patient)
    assert response.status_code == 302 and response.url == f"/outcomes/self-report/done/{admin.pk}/"
    assert admin.self_reported and admin.administered_by is None and admin.total == 10
    page = client.get(response.url).content.decode()
    assert "988" in page and "911" in page
    assert "care team has been alerted" not in page
    assert AuditEvent.objects.filter(action="create", object_id=str(admin.pk), user=patient.user).exists()


@pytest.mark.django_db
def test_item9_positive_self_report_escalates_and_says_so(patient, staff, client_as, phq9_post):
    client = client_as(patient.user)
    response = client.post("/outcomes/self-report/phq9/", phq9_post([2, 2, 1, 1, 1, 1, 1, 1, 2]))
    task = UrgentTask.objects.get(patient=patient)
    assert task.assigned_to == staff["prescriber"] and task.priority == "high"
    page = client.get(response.url).content.decode()
    assert "care team has been alerted" in page and "988" in page


@pytest.mark.django_db
def test_invalid_self_report_rerenders_without_saving(patient, client_as, phq9_post):
    response = client_as(patient.user).post("/outcomes/self-report/phq9/", phq9_post([1] * 8 + [None]))
    assert response.status_code == 400
    assert "must be answered" in response.content.decode()
    assert not MeasureResponse.objects.exists()


@pytest.mark.django_db
def test_clinician_rated_instruments_are_not_self_reported(patient, client_as):
    assert client_as(patient.user).get("/outcomes/self-report/madrs/").status_code == 404


@pytest.mark.django_db
def test_patient_sees_only_their_own_confirmation_and_chart(
    patient, make_patient, staff, client_as, phq9_post
):
    other = make_patient(care_team=[staff["prescriber"]], with_login=True)
    client_as(other.user).post("/outcomes/self-report/gad7/", phq9_post([1] * 7))
    theirs = MeasureResponse.objects.get(patient=other)
    client = client_as(patient.user)
    assert client.get(f"/outcomes/self-report/done/{theirs.pk}/").status_code == 404
    assert client.get(f"/outcomes/patient/{other.pk}/").status_code == 404
    assert client.get(f"/outcomes/patient/{patient.pk}/").status_code == 200  # own scores are readable


@pytest.mark.django_db
def test_staff_cannot_self_report(staff, client_as):
    assert client_as(staff["nurse"]).get("/outcomes/self-report/phq9/").status_code == 403
