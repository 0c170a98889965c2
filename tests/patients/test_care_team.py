"""The care team decides who may open a chart. The front desk (who registers the patient and books the first
visit) and the medical director change it: at registration and later, on the chart and through the API, every
change audited; clinicians cannot add themselves or others."""

import json

import pytest

from ketamine_clinic.audit.models import AuditEvent


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["director", "front_desk"])
def test_director_or_front_desk_adds_a_nurse_who_can_then_open_the_chart(staff, make_patient, client_as, role):
    patient = make_patient(care_team=[staff["prescriber"]])
    nurse = client_as(staff["other_nurse"])
    assert nurse.get(f"/patients/{patient.pk}/").status_code == 404

    response = client_as(staff[role]).post(f"/patients/{patient.pk}/care-team/", {"user": staff["other_nurse"].pk})
    assert response.status_code == 302
    assert nurse.get(f"/patients/{patient.pk}/").status_code == 200
    added = AuditEvent.objects.get(patient=patient, detail__care_team_added="t_other_nurse")
    assert added.username == staff[role].username and added.action == "update"

    client_as(staff[role]).post(f"/patients/{patient.pk}/care-team/", {"user": staff["other_nurse"].pk, "remove": "on"})
    assert nurse.get(f"/patients/{patient.pk}/").status_code == 404
    assert AuditEvent.objects.filter(patient=patient, detail__care_team_removed="t_other_nurse").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["prescriber", "nurse", "therapist"])
def test_clinicians_cannot_change_the_care_team(staff, make_patient, client_as, role):
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"], staff["therapist"]])
    response = client_as(staff[role]).post(f"/patients/{patient.pk}/care-team/", {"user": staff["other_nurse"].pk})
    assert response.status_code == 403
    api = client_as(staff[role]).post(f"/api/patients/{patient.pk}/care-team", json.dumps(
        {"user_id": staff["other_nurse"].pk}), content_type="application/json")
    assert api.status_code == 403
    assert not patient.careteammember_set.filter(user=staff["other_nurse"]).exists()


@pytest.mark.django_db
def test_front_desk_and_deactivated_staff_are_not_care_team_members(staff, make_patient, client_as):
    patient = make_patient()
    desk = client_as(staff["front_desk"])
    response = desk.post(f"/api/patients/{patient.pk}/care-team", json.dumps({"user_id": staff["director"].pk}),
                         content_type="application/json")
    assert response.status_code == 422 and "No active prescriber, nurse or therapist" in response.json()["detail"][
        "care_team"][0]
    staff["other_nurse"].is_active = False
    staff["other_nurse"].save()
    response = desk.post(f"/api/patients/{patient.pk}/care-team", json.dumps({"user_id": staff["other_nurse"].pk}),
                         content_type="application/json")
    assert response.status_code == 422
    assert not patient.careteammember_set.exists()


@pytest.mark.django_db
def test_the_api_lists_adds_and_removes_members(staff, make_patient, client_as):
    patient = make_patient(care_team=[staff["prescriber"]])
    desk = client_as(staff["front_desk"])
    added = desk.post(f"/api/patients/{patient.pk}/care-team",
                      json.dumps({"user_id": staff["nurse"].pk, "is_primary": True}), content_type="application/json")
    assert added.status_code == 201
    assert {(m["user_id"], m["role"], m["is_primary"]) for m in added.json()} == {
        (staff["prescriber"].pk, "prescriber", True), (staff["nurse"].pk, "nurse", True)}
    again = desk.post(f"/api/patients/{patient.pk}/care-team", json.dumps({"user_id": staff["nurse"].pk}),
                      content_type="application/json")
    assert again.status_code == 200 and len(again.json()) == 2
    removed = desk.delete(f"/api/patients/{patient.pk}/care-team/{staff['nurse'].pk}")
    assert removed.status_code == 200 and [m["user_id"] for m in removed.json()] == [staff["prescriber"].pk]
    assert desk.delete(f"/api/patients/{patient.pk}/care-team/{staff['nurse'].pk}").status_code == 404


def _registration(**extra):
    return {"mrn": "NEW001", "first_name": "Ada", "last_name": "Registered", "date_of_birth": "1980-02-03",
            "sex": "female", "phone": "(202) 555-0100", "phase": "screening", **extra}


@pytest.mark.django_db
def test_the_front_desk_chooses_the_care_team_at_registration(staff, client_as):
    from ketamine_clinic.patients.models import Patient

    desk = client_as(staff["front_desk"])
    form = desk.get("/patients/new/").content.decode()
    assert 'name="team-prescriber"' in form and 'name="team-nurse"' in form and 'name="team-therapist"' in form
    response = desk.post("/patients/new/", _registration(**{"team-prescriber": staff["prescriber"].pk,
                                                             "team-nurse": staff["nurse"].pk}))
    assert response.status_code == 302
    patient = Patient.objects.get(mrn="NEW001")
    assert set(patient.care_team.values_list("username", flat=True)) == {"t_prescriber", "t_nurse"}
    # The prescriber the front desk booked can open the chart the same minute.
    assert client_as(staff["prescriber"]).get(f"/patients/{patient.pk}/").status_code == 200
    assert AuditEvent.objects.filter(patient=patient, action="create").count() == 1
    assert AuditEvent.objects.filter(patient=patient, detail__has_key="care_team_added").count() == 2


@pytest.mark.django_db
def test_a_bad_care_team_choice_saves_nothing(staff, client_as):
    from ketamine_clinic.patients.models import Patient

    desk = client_as(staff["front_desk"])
    response = desk.post("/patients/new/", _registration(**{"team-prescriber": staff["nurse"].pk}))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Patient.objects.filter(mrn="NEW001").exists()


@pytest.mark.django_db
def test_a_clinician_who_registers_joins_and_sees_no_team_choosers(staff, client_as):
    from ketamine_clinic.patients.models import Patient

    nurse = client_as(staff["nurse"])
    assert 'name="team-prescriber"' not in nurse.get("/patients/new/").content.decode()
    assert nurse.post("/patients/new/", _registration(**{"team-prescriber": staff["prescriber"].pk})).status_code == 302
    patient = Patient.objects.get(mrn="NEW001")
    assert list(patient.care_team.values_list("username", flat=True)) == ["t_nurse"]


@pytest.mark.django_db
def test_registration_through_the_api_with_a_care_team(staff, client_as):
    desk = client_as(staff["front_desk"])
    response = desk.post("/api/patients/", json.dumps(_registration(care_team=[staff["therapist"].pk])),
                         content_type="application/json")
    assert response.status_code == 201
    team = client_as(staff["therapist"]).get(f"/api/patients/{response.json()['id']}/care-team").json()
    assert [m["user_id"] for m in team] == [staff["therapist"].pk]
    refused = desk.post("/api/patients/", json.dumps(_registration(mrn="NEW002", care_team=[999999])),
                        content_type="application/json")
    assert refused.status_code == 422 and refused.json()["detail"]["care_team"]


@pytest.mark.django_db
def test_openapi_schema_lists_the_registry(client_as, staff):
    schema = client_as(staff["director"]).get("/api/openapi.json").json()
    assert "/api/patients/{patient_id}" in schema["paths"]
    assert "/api/patients/{patient_id}/care-team" in schema["paths"]
