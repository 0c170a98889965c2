"""The prescriber acting on an urgent suicide-risk task sees how to reach the patient (and the emergency contact)
on the task page and on the dashboard panel, as a link the phone can dial."""

import pytest

from ketamine_clinic.outcomes import services
from ketamine_clinic.outcomes.models import UrgentTask


@pytest.mark.django_db
def test_the_task_shows_the_patients_phone_and_emergency_contact(staff, client_as, make_patient):
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]], phase="induction",
                           phone="(202) 555-0177", emergency_contact_name="Rosa Tull",
                           emergency_contact_phone="(202) 555-0178")
    services.record_measure_response(patient=patient, instrument="phq9", answers=[0] * 8 + [2], user=staff["nurse"])
    task = UrgentTask.objects.get(patient=patient)
    prescriber = client_as(staff["prescriber"])
    page = prescriber.get(f"/outcomes/urgent-tasks/{task.pk}/acknowledge/").content.decode()
    assert 'href="tel:(202) 555-0177"' in page and "Rosa Tull" in page and 'href="tel:(202) 555-0178"' in page
    panel = prescriber.get("/outcomes/urgent-tasks/panel/").content.decode()
    assert 'href="tel:(202) 555-0177"' in panel


@pytest.mark.django_db
def test_no_number_on_record_is_said_plainly(staff, client_as, make_patient):
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]], phase="induction", phone="")
    services.record_measure_response(patient=patient, instrument="phq9", answers=[0] * 8 + [3], user=staff["nurse"])
    task = UrgentTask.objects.get(patient=patient)
    page = client_as(staff["prescriber"]).get(f"/outcomes/urgent-tasks/{task.pk}/acknowledge/").content.decode()
    assert "no phone number on record" in page
