"""Previous treatments and the treatment-resistance summary on the assessment tab; pre-visit questionnaire."""

import pytest
from django.urls import reverse

from ketamine_clinic.assessment import services
from ketamine_clinic.assessment.models import PreviousTreatment, PreVisitQuestionnaire

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(staff, make_patient):
    return make_patient(care_team=[staff["prescriber"], staff["nurse"]], with_login=True)


def add(client, patient, **data):
    base = {
        "kind": "antidepressant",
        "name": "sertraline",
        "dose": "150 mg",
        "duration_weeks": "8",
        "dose_adequate": "true",
        "outcome": "no_response",
        "current_episode": "on",
    }
    base.update(data)
    return client.post(reverse("assessment:treatment_add", args=[patient.pk]), base)


def test_two_failed_adequate_trials_show_as_treatment_resistant(patient, staff, client_as):
    client = client_as(staff["nurse"])
    assert add(client, patient).status_code == 302
    assert add(client, patient, name="venlafaxine", outcome="partial_response").status_code == 302
    assert add(client, patient, name="citalopram", duration_weeks="3").status_code == 302
    summary = services.treatment_resistance(patient)
    assert summary.failed_adequate_trials == 2 and summary.treatment_resistant
    page = client.get(reverse("assessment:chart", args=[patient.pk]))
    assert b"2 failed adequate antidepressant trial(s)" in page.content
    assert b"shorter than 6 weeks" in page.content


def test_invalid_treatment_rerenders_with_errors(patient, staff, client_as):
    response = add(client_as(staff["nurse"]), patient, kind="crystals", duration_weeks="-2")
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    assert PreviousTreatment.objects.count() == 0


def test_remove_is_audited(patient, staff, client_as):
    client = client_as(staff["nurse"])
    add(client, patient)
    row = PreviousTreatment.objects.get()
    client.post(reverse("assessment:treatment_remove", args=[patient.pk, row.pk]))
    assert PreviousTreatment.objects.count() == 0
    from ketamine_clinic.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="delete", object_type="assessment.PreviousTreatment").exists()


def test_patient_fills_previsit_and_intake_is_prefilled_from_it(patient, staff, client_as):
    response = client_as(patient.user).post(
        reverse("assessment:previsit", args=[patient.pk]),
        {
            "reasons_for_seeking_treatment": "Nothing has helped my depression",
            "psychosis_history": "false",
            "pregnant": "false",
            "hypertension": "true",
        },
    )
    assert response.status_code == 302
    assert PreVisitQuestionnaire.objects.get().hypertension is True
    staff_view = client_as(staff["nurse"]).get(reverse("assessment:previsit", args=[patient.pk]))
    assert b"Nothing has helped my depression" in staff_view.content
    intake = client_as(staff["nurse"]).get(reverse("assessment:intake", args=[patient.pk]))
    assert b"Nothing has helped my depression" in intake.content


def test_staff_cannot_submit_the_patients_questionnaire(patient, staff, client_as):
    response = client_as(staff["nurse"]).post(
        reverse("assessment:previsit", args=[patient.pk]), {"reasons_for_seeking_treatment": "x"}
    )
    assert response.status_code == 403
