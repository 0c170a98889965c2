"""Every registry page renders for the roles that may open it."""

import pytest


@pytest.mark.django_db
def test_pages_render_for_prescriber(staff, make_patient, client_as):
    patient = make_patient(care_team=[staff["prescriber"]])
    client = client_as(staff["prescriber"])
    for url in ["/patients/", "/patients/dashboard/", "/patients/new/", f"/patients/{patient.pk}/",
                f"/patients/{patient.pk}/edit/"]:
        response = client.get(url)
        assert response.status_code == 200, url
    assert patient.last_name in client.get("/patients/").content.decode()
