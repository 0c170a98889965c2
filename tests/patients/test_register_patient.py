"""Registering and editing patients: clear messages for bad input, nothing lost, nothing half-saved."""

import datetime as dt
import json

import pytest

from ketamine_clinic.patients.models import Patient

VALID = {"mrn": "abc123", "first_name": "Ada", "last_name": "Synthetic", "date_of_birth": "1990-02-03",
         "sex": "female", "weight_kg": "68.5", "weight_measured_on": "2026-01-10", "phase": "screening"}


@pytest.mark.django_db
def test_date_of_birth_in_the_future_is_judged_on_the_clinics_date_late_in_the_evening(
    staff, client_as, clinic_clock
):
    # 23:30 in New York is already the next day in UTC: "tomorrow" is the clinic's tomorrow, not UTC's.
    clinic_clock.move_to("2026-12-01T23:30")
    response = client_as(staff["prescriber"]).post("/patients/new/", dict(VALID, date_of_birth="2026-12-02"))
    assert response.status_code == 200 and "Date of birth cannot be in the future." in response.content.decode()
    assert not Patient.objects.exists()
    client_as(staff["prescriber"]).post("/patients/new/", dict(VALID, date_of_birth="2026-12-01"))
    assert Patient.objects.get(mrn="ABC123").date_of_birth == dt.date(2026, 12, 1)


@pytest.mark.django_db
def test_nurse_registers_a_patient_and_joins_the_care_team(staff, client_as):
    response = client_as(staff["nurse"]).post("/patients/new/", VALID)
    patient = Patient.objects.get(mrn="ABC123")
    assert response.status_code == 302 and response.url == f"/patients/{patient.pk}/"
    assert patient.careteammember_set.filter(user=staff["nurse"]).exists()
    assert str(patient.weight_kg) == "68.5"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value, message",
    [
        ("weight_kg", "12", "greater than or equal to 20"),
        ("weight_kg", "301", "less than or equal to 300"),
        ("date_of_birth", "tomorrow", "cannot be in the future"),  # tomorrow on the clinic clock
        ("weight_measured_on", "", "Give the date the weight was measured"),
        ("sex", "robot", "Select a valid choice"),
        ("mrn", "", "This field is required"),
    ],
)
def test_form_rejects_bad_input_with_a_clear_message_and_keeps_the_entry(
    staff, client_as, clinic_clock, field, value, message
):
    if value == "tomorrow":
        value = (clinic_clock.today() + dt.timedelta(days=1)).isoformat()
    data = dict(VALID, **{field: value})
    response = client_as(staff["prescriber"]).post("/patients/new/", data)
    body = response.content.decode()
    assert response.status_code == 200
    assert message in body
    assert 'value="Synthetic"' in body  # what was typed is shown again, not lost
    assert not Patient.objects.exists()


@pytest.mark.django_db
def test_duplicate_mrn_is_refused(staff, client_as, make_patient):
    make_patient(mrn="ABC123")
    response = client_as(staff["prescriber"]).post("/patients/new/", VALID)
    assert "Patient with this Medical record number already exists" in response.content.decode()


@pytest.mark.django_db
def test_invalid_icd10_code_is_refused(staff, client_as, make_patient):
    patient = make_patient(care_team=[staff["prescriber"]])
    response = client_as(staff["prescriber"]).post(
        f"/patients/{patient.pk}/diagnoses/", {"icd10_code": "depression", "description": "x", "noted_on": "2026-01-01"}
    )
    assert response.status_code == 400
    assert "Enter an ICD-10-CM code" in response.content.decode()
    assert not patient.diagnoses.exists()


@pytest.mark.django_db
def test_api_create_and_validation_errors(staff, client_as):
    client = client_as(staff["prescriber"])
    created = client.post("/api/patients/", json.dumps(VALID), content_type="application/json")
    assert created.status_code == 201 and created.json()["mrn"] == "ABC123"

    bad = dict(VALID, mrn="XYZ", weight_kg="5", date_of_birth="2999-01-01")
    response = client.post("/api/patients/", json.dumps(bad), content_type="application/json")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "weight_kg" in detail and "date_of_birth" in detail
    assert not Patient.objects.filter(mrn="XYZ").exists()

    # Wrong types and malformed JSON are 4xx too, never 500.
    assert client.post("/api/patients/", json.dumps(dict(VALID, date_of_birth="yesterday")),
                       content_type="application/json").status_code == 422
    assert client.post("/api/patients/", "{not json", content_type="application/json").status_code in (400, 422)
    assert client.get("/api/patients/999999").status_code == 404


@pytest.mark.django_db
def test_api_front_desk_may_not_set_clinical_fields(staff, client_as):
    client = client_as(staff["front_desk"])
    response = client.post("/api/patients/", json.dumps(VALID), content_type="application/json")
    assert response.status_code == 422 and "weight_kg" in response.json()["detail"]
    demographics_only = {k: v for k, v in VALID.items() if k not in ("weight_kg", "weight_measured_on", "phase")}
    assert client.post("/api/patients/", json.dumps(demographics_only), content_type="application/json").status_code == 201


@pytest.mark.django_db
def test_search_by_name_and_mrn(staff, client_as, make_patient):
    a = make_patient(care_team=[staff["nurse"]], last_name="Kestrel")
    b = make_patient(care_team=[staff["nurse"]], last_name="Juniper")
    client = client_as(staff["nurse"])
    page = client.get("/patients/?q=kest").content.decode()
    assert a.mrn in page and b.mrn not in page
    assert [p["id"] for p in client.get(f"/api/patients/?q={b.mrn}").json()] == [b.pk]
    # HTMX search returns only the rows fragment.
    fragment = client.get("/patients/?q=juni", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and b.mrn in fragment
