"""The front desk's rough edges: search by birth date and full name, phone numbers checked and formatted, error
pages inside the clinic's layout, and the patient's own footer."""

import datetime as dt

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["1981-03-09", "03/09/1981", "3/9/1981", "Imogen Halvorsen", "halvorsen, imogen",
                               "  Imogen   Halvorsen "])
def test_search_finds_a_patient_by_birth_date_or_full_name(staff, client_as, make_patient, q):
    wanted = make_patient(first_name="Imogen", last_name="Halvorsen", date_of_birth=dt.date(1981, 3, 9))
    make_patient(first_name="Imogen", last_name="Ashdown", date_of_birth=dt.date(1981, 3, 10))
    make_patient(first_name="Ruth", last_name="Halvorsen", date_of_birth=dt.date(1990, 9, 3))
    page = client_as(staff["front_desk"]).get("/patients/", {"q": q}).content.decode()
    assert wanted.mrn in page
    assert "Ashdown" not in page and "Ruth" not in page


@pytest.mark.django_db
def test_search_by_birth_date_stays_within_the_users_patients(staff, client_as, make_patient):
    make_patient(care_team=[staff["other_nurse"]], last_name="Offteam", date_of_birth=dt.date(1981, 3, 9))
    page = client_as(staff["nurse"]).get("/patients/", {"q": "1981-03-09"}).content.decode()
    assert "Offteam" not in page and "No patients match" in page


REGISTRATION = {"mrn": "PH0001", "first_name": "Tomas", "last_name": "Brenner", "date_of_birth": "1975-06-01",
                "sex": "male", "phase": "screening"}


@pytest.mark.django_db
@pytest.mark.parametrize("typed, stored", [
    ("2025550143", "(202) 555-0143"),
    ("202.555.0143", "(202) 555-0143"),
    ("+1 (202) 555 0143", "(202) 555-0143"),
    ("+44 20 7946 0958", "+44 20 7946 0958"),
    ("", ""),
])
def test_phone_numbers_are_stored_as_the_clinic_dials_them(staff, client_as, typed, stored):
    from ketamine_clinic.patients.models import Patient

    response = client_as(staff["front_desk"]).post("/patients/new/", {**REGISTRATION, "phone": typed,
                                                                     "emergency_contact_phone": typed})
    assert response.status_code == 302
    patient = Patient.objects.get(mrn="PH0001")
    assert (patient.phone, patient.emergency_contact_phone) == (stored, stored)


@pytest.mark.django_db
@pytest.mark.parametrize("typed, message", [
    ("abc", "This is not a phone number"),
    ("555-0143", "not complete or does not exist"),
    ("+1 999 555 0143", "not complete or does not exist"),
])
def test_a_wrong_phone_number_is_refused_and_nothing_is_saved(staff, client_as, typed, message):
    from ketamine_clinic.patients.models import Patient

    response = client_as(staff["front_desk"]).post("/patients/new/", {**REGISTRATION, "phone": typed})
    assert response.status_code == 200 and message in response.content.decode()
    assert f'value="{typed}"' in response.content.decode()  # what was typed is kept for correcting
    assert not Patient.objects.filter(mrn="PH0001").exists()
    api = client_as(staff["front_desk"]).post("/api/patients/", {**REGISTRATION, "phone": typed},
                                              content_type="application/json")
    assert api.status_code == 422 and message in api.json()["detail"]["phone"][0]


@pytest.mark.django_db
def test_an_old_unchecked_number_does_not_block_other_edits(staff, client_as, make_patient):
    patient = make_patient(care_team=[staff["nurse"]], phone="555-0101")
    response = client_as(staff["nurse"]).patch(f"/api/patients/{patient.pk}", {"weight_kg": "72.5"},
                                               content_type="application/json")
    assert response.status_code == 200 and response.json()["phone"] == "555-0101"
    changed = client_as(staff["nurse"]).patch(f"/api/patients/{patient.pk}", {"phone": "555-0102"},
                                              content_type="application/json")
    assert changed.status_code == 422


@pytest.mark.django_db
def test_error_pages_keep_the_clinics_layout(staff, client_as, make_patient, settings):
    settings.DEBUG = False
    other = make_patient(care_team=[staff["other_nurse"]])
    nurse = client_as(staff["nurse"])
    missing = nurse.get(f"/patients/{other.pk}/")
    assert missing.status_code == 404
    page = missing.content.decode()
    assert 'id="error-page"' in page and "Not found" in page and 'class="topbar"' in page and "Patients" in page
    forbidden = nurse.get("/audit/")
    assert forbidden.status_code == 403
    assert 'id="error-page"' in forbidden.content.decode() and "Not allowed" in forbidden.content.decode()


@pytest.mark.django_db
def test_patients_see_their_own_footer(staff, client_as, make_patient):
    patient = make_patient(care_team=[staff["nurse"]], with_login=True)
    page = client_as(patient.user).get("/portal/").content.decode()
    assert 'id="patient-footer"' in page and "988" in page
    assert "Decision support for clinicians" not in page
    staff_page = client_as(staff["nurse"]).get("/patients/").content.decode()
    assert "Decision support for clinicians" in staff_page and "988" not in staff_page
