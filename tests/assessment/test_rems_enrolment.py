"""The patient's SPRAVATO REMS enrolment: the service's checks and audit, who may record it, the card on the
assessment tab (a refusal keeps what was typed) and the API."""

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.assessment import services
from ketamine_clinic.assessment.models import RemsEnrolment
from ketamine_clinic.audit.models import AuditEvent


@pytest.fixture
def patient(staff, make_patient):
    return make_patient(care_team=[staff["prescriber"], staff["nurse"]], first_name="Ana", last_name="Ruiz")


@pytest.mark.django_db
def test_an_enrolment_is_recorded_audited_and_read_back_latest_first(patient, staff):
    assert services.rems_enrolment(patient) is None
    first = services.record_rems_enrolment(staff["nurse"], patient, enrolled_on=timezone.localdate()
                                           - dt.timedelta(days=3))
    second = services.record_rems_enrolment(staff["nurse"], patient, enrolled_on=timezone.localdate(),
                                            rems_patient_id=" P-1234 ")
    assert services.rems_enrolment(patient) == second and second.rems_patient_id == "P-1234"
    assert second.recorded_by == staff["nurse"]
    assert AuditEvent.objects.filter(action="create", object_type="assessment.RemsEnrolment",
                                     object_id=str(first.pk), patient=patient).exists()


@pytest.mark.django_db
def test_a_future_or_missing_date_is_refused_by_field(patient, staff):
    with pytest.raises(ValidationError) as err:
        services.record_rems_enrolment(staff["nurse"], patient, enrolled_on=timezone.localdate() + dt.timedelta(1))
    assert "cannot be dated in the future" in err.value.message_dict["enrolled_on"][0]
    with pytest.raises(ValidationError) as err:
        services.record_rems_enrolment(staff["nurse"], patient, enrolled_on="not a date")
    assert "enrolled_on" in err.value.message_dict
    assert not RemsEnrolment.objects.exists()


@pytest.mark.django_db
def test_only_staff_who_write_the_patients_clinical_record_enrol_them(patient, staff):
    for user in (staff["front_desk"], staff["therapist"], staff["other_nurse"]):
        with pytest.raises(PermissionDenied):
            services.record_rems_enrolment(user, patient, enrolled_on=timezone.localdate())
    assert not RemsEnrolment.objects.exists()


@pytest.mark.django_db
def test_rems_problems_name_the_patient_only_for_esketamine(patient, staff):
    assert services.rems_problems(patient, "iv") == []
    assert services.rems_problems(patient, "intranasal") == [
        "Ana Ruiz is not enrolled in the SPRAVATO REMS: record the enrolment before the first esketamine session."]
    services.record_rems_enrolment(staff["nurse"], patient, enrolled_on=timezone.localdate())
    assert services.rems_problems(patient, "intranasal") == []


@pytest.mark.django_db
def test_the_card_on_the_assessment_tab_records_it_and_keeps_a_refused_entry(patient, staff, client_as):
    client = client_as(staff["nurse"])
    chart = client.get(reverse("assessment:chart", args=[patient.pk])).content.decode()
    assert "SPRAVATO REMS enrolment" in chart and 'id="rems-not-enrolled"' in chart
    url = reverse("assessment:rems_enrolment", args=[patient.pk])
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    refused = client.post(url, {"enrolled_on": tomorrow, "rems_patient_id": "P-77"})
    page = refused.content.decode()
    assert refused.status_code == 400 and "cannot be dated in the future" in page
    assert f'value="{tomorrow}"' in page and 'value="P-77"' in page
    assert not RemsEnrolment.objects.exists()
    done = client.post(url, {"enrolled_on": timezone.localdate().isoformat(), "rems_patient_id": "P-77"})
    assert done.status_code == 302
    chart = client.get(reverse("assessment:chart", args=[patient.pk])).content.decode()
    assert 'id="rems-enrolled"' in chart and "P-77" in chart
    # The front desk reads the tab but does not enrol; the patient's portal never posts here.
    assert client_as(staff["front_desk"]).post(url, {"enrolled_on": timezone.localdate().isoformat()}).status_code \
        == 403


@pytest.mark.django_db
def test_the_api_reads_and_records_the_enrolment_under_the_gate(patient, staff, client_as, make_patient):
    client = client_as(staff["prescriber"])
    url = f"/api/assessment/patient/{patient.pk}/rems-enrolment"
    status = client.get(url).json()
    assert status["enrolled"] is False and status["setting_certified"] is True and status["enrolment"] is None
    assert status["problems"] and "not enrolled" in status["problems"][0]
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    bad = client.post(url, json.dumps({"enrolled_on": future}), content_type="application/json")
    assert bad.status_code == 422 and "enrolled_on" in bad.json()["detail"]
    made = client.post(url, json.dumps({"enrolled_on": timezone.localdate().isoformat(), "rems_patient_id": "R9"}),
                       content_type="application/json")
    assert made.status_code == 201 and made.json()["rems_patient_id"] == "R9"
    status = client.get(url).json()
    assert status["enrolled"] is True and status["problems"] == [] and status["enrolment"]["rems_patient_id"] == "R9"
    stranger = make_patient(care_team=[staff["nurse"]])
    assert client.get(f"/api/assessment/patient/{stranger.pk}/rems-enrolment").status_code == 404
