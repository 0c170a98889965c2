"""Clinic-wide staff pages (work lists, boards, the day's schedule) are not for patients, even where their
role may read the area for their own record: they answer 403 and the patient uses the portal."""

import pytest

STAFF_PAGES = [
    "/followup/", "/followup/panel/", "/outcomes/due/", "/outcomes/urgent-tasks/panel/",
    "/assessment/consent-documents/", "/schedule/day/", "/patients/", "/patients/dashboard/",
]


@pytest.mark.django_db
def test_a_patient_gets_403_on_clinic_wide_staff_pages(client_as, staff, make_patient):
    me = make_patient(care_team=[staff["prescriber"]], with_login=True)
    client = client_as(me.user)
    for path in STAFF_PAGES:
        assert client.get(path).status_code == 403, path
    assert client.get("/portal/").status_code == 200


@pytest.mark.django_db
def test_staff_still_open_them(client_as, staff):
    client = client_as(staff["director"])
    for path in STAFF_PAGES:
        assert client.get(path).status_code == 200, path
