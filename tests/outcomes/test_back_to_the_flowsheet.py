"""A measure taken from the flowsheet (the C-SSRS or PHQ-9 link carries ?session=) brings the nurse back to that
session's flowsheet once saved, not to the Outcomes tab; taken from the chart, it returns to the chart."""

import pytest
from django.utils import timezone


@pytest.mark.django_db
def test_saving_a_measure_from_the_flowsheet_returns_to_the_session(staff, client_as, make_patient):
    from ketamine_clinic.sessions.models import DosingSession

    patient = make_patient(care_team=[staff["nurse"]])
    session = DosingSession.objects.create(patient=patient, route="iv", scheduled_for=timezone.now())
    nurse = client_as(staff["nurse"])
    answers = {f"item_{n}": "0" for n in range(1, 10)}
    form = nurse.get(f"/outcomes/patient/{patient.pk}/administer/phq9/?session={session.pk}").content.decode()
    assert f'<option value="{session.pk}" selected' in form
    response = nurse.post(f"/outcomes/patient/{patient.pk}/administer/phq9/?session={session.pk}",
                          {**answers, "session": session.pk})
    assert response.status_code == 302 and response["Location"] == f"/sessions/{session.pk}/"
    from_chart = nurse.post(f"/outcomes/patient/{patient.pk}/administer/phq9/", answers)
    assert from_chart.status_code == 302 and from_chart["Location"] == f"/outcomes/patient/{patient.pk}/"
