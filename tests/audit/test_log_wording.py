"""The director's audit log reads in the clinic's words: roles and record types, not code identifiers."""

import pytest


@pytest.mark.django_db
def test_log_shows_role_and_record_names_not_code_labels(staff, make_patient, client_as):
    patient = make_patient(care_team=[staff["prescriber"]])
    client_as(staff["front_desk"]).post(f"/patients/{patient.pk}/edit/", {})  # some audited activity
    client_as(staff["front_desk"]).get(f"/patients/{patient.pk}/")
    client_as(staff["prescriber"]).post(
        f"/patients/{patient.pk}/diagnoses/", {"icd10_code": "F32.2", "description": "MDD", "is_primary": "on"}
    )
    html = client_as(staff["director"]).get("/audit/").content.decode()
    assert "<td>Front desk</td>" in html
    assert "<td>front_desk</td>" not in html
    assert "patients.Diagnosis" not in html
    assert "diagnosis #" in html
