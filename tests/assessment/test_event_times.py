"""Issue 12: times of clinical events in assessment cannot lie in the future (reproduced: intake vitals timed
30 days ahead were accepted). A few minutes ahead are accepted for clock differences."""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.assessment import services
from ketamine_clinic.assessment.models import SCREENING_FIELDS, IntakeAssessment
from ketamine_clinic.demo.assessment import ensure_consent_documents, record_intake

pytestmark = pytest.mark.django_db


def local(when: dt.datetime) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


def intake_post(**overrides):
    data = {
        "presenting_problem": "Recurrent depression, typed carefully",
        "suicide_attempts": "0",
        "systolic_bp_mmhg": "122",
        "diastolic_bp_mmhg": "78",
        "weight_kg": "71.5",
        "vitals_taken_at": local(timezone.now()),
        **{name: "false" for name in SCREENING_FIELDS},
        "hypertension_controlled": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def patient(staff, make_patient, failed_trials):
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]], first_name="Tim", last_name="Keeper")
    failed_trials(patient, staff["nurse"])
    return patient


def test_intake_page_refuses_vitals_30_days_ahead_and_keeps_what_was_typed(patient, staff, client_as):
    ahead = local(timezone.now() + dt.timedelta(days=30))
    response = client_as(staff["nurse"]).post(
        reverse("assessment:intake", args=[patient.pk]), intake_post(vitals_taken_at=ahead)
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "The time the vitals were taken cannot be in the future" in html
    assert ahead in html and "Recurrent depression, typed carefully" in html and 'value="71.5"' in html
    assert IntakeAssessment.objects.count() == 0
    patient.refresh_from_db()
    assert str(patient.weight_kg) == "70.0"  # the chart weight was not replaced


def test_a_couple_of_minutes_of_clock_difference_are_accepted(patient, staff, client_as):
    response = client_as(staff["nurse"]).post(
        reverse("assessment:intake", args=[patient.pk]),
        intake_post(vitals_taken_at=local(timezone.now() + dt.timedelta(minutes=2))),
    )
    assert response.status_code == 302


def test_last_suicide_attempt_tomorrow_is_refused(patient, staff, client_as):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = client_as(staff["nurse"]).post(
        reverse("assessment:intake", args=[patient.pk]), intake_post(last_suicide_attempt_on=tomorrow)
    )
    assert response.status_code == 400
    assert "The date of the last suicide attempt cannot be in the future" in response.content.decode()


def test_api_refuses_future_vitals_with_the_field_named(patient, staff, client_as):
    body = {
        "presenting_problem": "TRD",
        "systolic_bp_mmhg": 120,
        "diastolic_bp_mmhg": 75,
        "vitals_taken_at": (timezone.now() + dt.timedelta(days=30)).isoformat(),
        "answers": {},
    }
    url = f"/api/assessment/patient/{patient.pk}/intakes"
    client = client_as(staff["nurse"])
    response = client.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    assert "cannot be in the future" in response.json()["detail"]["vitals_taken_at"][0]
    assert IntakeAssessment.objects.count() == 0
    # A UTC time of "now" is read in the clinic's zone, not as a local wall-clock time hours ahead.
    body["vitals_taken_at"] = timezone.now().astimezone(dt.UTC).isoformat()
    assert client.post(url, json.dumps(body), content_type="application/json").status_code == 201


def test_service_refuses_future_screening_decision_and_consent(patient, staff):
    ahead = timezone.now() + dt.timedelta(days=30)
    with pytest.raises(ValidationError) as exc:
        record_intake(staff["nurse"], patient, when=ahead)
    assert "vitals_taken_at" in exc.value.message_dict
    record_intake(staff["nurse"], patient)
    intake = services.latest_intake(patient)
    with pytest.raises(ValidationError) as exc:
        services.run_screening(staff["nurse"], intake, screened_at=ahead)
    assert "screened_at" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.run_screening(staff["nurse"], intake, screened_at=timezone.now() - dt.timedelta(days=3))
    assert "cannot be dated before" in exc.value.message_dict["screened_at"][0]

    screening = services.latest_screening(patient)
    with pytest.raises(ValidationError) as exc:
        services.record_decision(staff["prescriber"], patient, screening=screening, decision="proceed",
                                 rationale="ok", decided_at=ahead)
    assert "cannot be in the future" in exc.value.message_dict["decided_at"][0]
    with pytest.raises(ValidationError) as exc:
        services.record_decision(staff["prescriber"], patient, screening=screening, decision="proceed",
                                 rationale="ok", decided_at=screening.screened_at - dt.timedelta(hours=1))
    assert "before the screening" in exc.value.message_dict["decided_at"][0]

    document = ensure_consent_documents(staff["director"])["iv"]
    with pytest.raises(ValidationError) as exc:
        services.acknowledge_consent(staff["nurse"], patient, document=document, typed_name=patient.full_name,
                                     acknowledged_at=ahead)
    assert "cannot be in the future" in exc.value.message_dict["acknowledged_at"][0]
    assert not patient.consents.exists()
    with pytest.raises(ValidationError) as exc:
        services.publish_consent_document(staff["director"], route="iv", title="v2", body="x", published_at=ahead)
    assert "published_at" in exc.value.message_dict
