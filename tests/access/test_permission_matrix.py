"""The whole matrix: each role x own/other patient x read/write, through real pages and the API.

"Own" means the user is on the patient's care team (or, for a patient, is that patient); "other" means not.
Expected outcomes: 200/302 allowed, 403 forbidden area, 404 patient not visible (existence not revealed).
"""

import json

import pytest

from ketamine_clinic import access

# role -> (own read, own write, other read, other write) for the chart (demographics area).
DEMOGRAPHICS = {
    "director": ("ok", "ok", "ok", "ok"),
    "prescriber": ("ok", "ok", 404, 404),
    "nurse": ("ok", "ok", 404, 404),
    "therapist": ("ok", 403, 404, 404),
    "front_desk": ("ok", "ok", "ok", "ok"),
    "patient": ("ok", 403, 404, 404),
}
# Diagnoses are a prescribing decision: (own write, other write).
PRESCRIBING_WRITE = {
    "director": ("ok", "ok"),
    "prescriber": ("ok", 404),
    "nurse": (403, 404),
    "therapist": (403, 404),
    "front_desk": (403, 403),
    "patient": (403, 404),
}


@pytest.fixture
def world(staff, make_patient):
    """Two patients: 'own' has every role's user on its team (and its own login), 'other' has strangers."""
    own = make_patient(care_team=[staff["prescriber"], staff["nurse"], staff["therapist"]], with_login=True)
    other = make_patient(care_team=[staff["other_prescriber"], staff["other_nurse"], staff["other_therapist"]],
                         with_login=True)
    users = dict(staff)
    users["patient"] = own.user
    return users, own, other


def _outcome(response):
    if response.status_code in (200, 201, 302):
        return "ok"
    return response.status_code


def _edit_payload(patient):
    return {
        "mrn": patient.mrn, "first_name": patient.first_name, "last_name": patient.last_name,
        "date_of_birth": patient.date_of_birth.isoformat(), "sex": patient.sex, "phone": "(202) 555-0199",
        "weight_kg": "71.0", "weight_measured_on": "2026-01-02", "phase": patient.phase,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(DEMOGRAPHICS))
def test_chart_pages(world, client_as, role):
    users, own, other = world
    client = client_as(users[role])
    own_read, own_write, other_read, other_write = DEMOGRAPHICS[role]
    assert _outcome(client.get(f"/patients/{own.pk}/")) == own_read
    assert _outcome(client.get(f"/patients/{other.pk}/")) == other_read
    assert _outcome(client.post(f"/patients/{own.pk}/edit/", _edit_payload(own))) == own_write
    assert _outcome(client.post(f"/patients/{other.pk}/edit/", _edit_payload(other))) == other_write


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(DEMOGRAPHICS))
def test_api_matrix(world, client_as, role):
    users, own, other = world
    client = client_as(users[role])
    own_read, own_write, other_read, other_write = DEMOGRAPHICS[role]
    assert _outcome(client.get(f"/api/patients/{own.pk}")) == own_read
    assert _outcome(client.get(f"/api/patients/{other.pk}")) == other_read
    patch = json.dumps({"phone": "(202) 555-0100"})
    assert _outcome(client.patch(f"/api/patients/{own.pk}", patch, content_type="application/json")) == own_write
    assert _outcome(client.patch(f"/api/patients/{other.pk}", patch, content_type="application/json")) == other_write


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(PRESCRIBING_WRITE))
def test_diagnosis_is_a_prescribing_write(world, client_as, role):
    users, own, other = world
    client = client_as(users[role])
    own_write, other_write = PRESCRIBING_WRITE[role]
    payload = {"icd10_code": "F33.2", "description": "MDD, recurrent, severe", "noted_on": "2026-01-05"}
    assert _outcome(client.post(f"/patients/{own.pk}/diagnoses/", payload)) == own_write
    assert _outcome(client.post(f"/patients/{other.pk}/diagnoses/", payload)) == other_write


@pytest.mark.django_db
def test_front_desk_sees_demographics_but_not_clinical_fields(world, client_as):
    users, own, _ = world
    own.allergies = "Penicillin (rash)"
    own.save()
    client = client_as(users["front_desk"])
    page = client.get(f"/patients/{own.pk}/").content.decode()
    assert own.mrn in page
    assert "Penicillin" not in page and "Clinical summary" not in page
    body = client.get(f"/api/patients/{own.pk}").json()
    assert body["mrn"] == own.mrn
    assert body["allergies"] is None and body["weight_kg"] is None and body["diagnoses"] is None


@pytest.mark.django_db
def test_patient_list_shows_only_visible_patients(world, client_as):
    users, own, other = world
    for role, sees_other in [("prescriber", False), ("nurse", False), ("director", True), ("front_desk", True)]:
        page = client_as(users[role]).get("/patients/").content.decode()
        assert own.mrn in page
        assert (other.mrn in page) is sees_other, role
    # Patients have no registry; their portal is their list.
    assert client_as(users["patient"]).get("/patients/").status_code == 403


@pytest.mark.django_db
def test_anonymous_is_sent_to_login_and_api_says_401(world, client):
    _, own, _ = world
    response = client.get(f"/patients/{own.pk}/")
    assert response.status_code == 302 and response.url.startswith("/login/")
    assert client.get(f"/api/patients/{own.pk}").status_code == 401


def test_unknown_area_is_a_programming_error():
    with pytest.raises(ValueError):
        access.can(None, "no-such-area", "read")


@pytest.mark.django_db
def test_inactive_user_can_do_nothing(world):
    users, own, _ = world
    nurse = users["nurse"]
    nurse.is_active = False
    assert not access.can(nurse, "clinical", "read", own)
    assert not access.visible_patients(nurse).exists()
