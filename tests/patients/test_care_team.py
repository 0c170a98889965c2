"""The care team decides who may open a chart; only the medical director changes it."""

import pytest

from ketamine_clinic.audit.models import AuditEvent


@pytest.mark.django_db
def test_director_adds_a_nurse_who_can_then_open_the_chart(staff, make_patient, client_as):
    patient = make_patient(care_team=[staff["prescriber"]])
    nurse = client_as(staff["other_nurse"])
    assert nurse.get(f"/patients/{patient.pk}/").status_code == 404

    response = client_as(staff["director"]).post(f"/patients/{patient.pk}/care-team/",
                                                  {"user": staff["other_nurse"].pk})
    assert response.status_code == 302
    assert nurse.get(f"/patients/{patient.pk}/").status_code == 200
    assert AuditEvent.objects.filter(patient=patient, detail__care_team_added="t_other_nurse").exists()

    client_as(staff["director"]).post(f"/patients/{patient.pk}/care-team/",
                                      {"user": staff["other_nurse"].pk, "remove": "on"})
    assert nurse.get(f"/patients/{patient.pk}/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["prescriber", "nurse", "therapist", "front_desk"])
def test_others_cannot_change_the_care_team(staff, make_patient, client_as, role):
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"], staff["therapist"]])
    response = client_as(staff[role]).post(f"/patients/{patient.pk}/care-team/", {"user": staff["other_nurse"].pk})
    assert response.status_code == 403
    assert not patient.careteammember_set.filter(user=staff["other_nurse"]).exists()


@pytest.mark.django_db
def test_openapi_schema_lists_the_registry(client_as, staff):
    schema = client_as(staff["director"]).get("/api/openapi.json").json()
    assert "/api/patients/{patient_id}" in schema["paths"]
