"""The booking form answers in words: a booking link opened directly leads to the chart's booking form, and a
refused booking says why (the field errors, or the rule that refused it), never "Not booked:" alone."""

import pytest


@pytest.mark.django_db
def test_a_direct_booking_link_leads_to_the_booking_form(staff, client_as, make_patient):
    patient = make_patient(care_team=[staff["nurse"]])
    response = client_as(staff["front_desk"]).get(f"/schedule/patient/{patient.pk}/book/")
    assert response.status_code == 302 and response["Location"] == f"/schedule/patient/{patient.pk}/#book-form"


@pytest.mark.django_db
def test_a_booking_with_wrong_fields_says_to_correct_them(staff, client_as, make_patient):
    from ketamine_clinic.scheduling.models import Appointment

    patient = make_patient(care_team=[staff["nurse"]])
    response = client_as(staff["front_desk"]).post(f"/schedule/patient/{patient.pk}/book/",
                                                   {"kind": "integration", "starts_at": "not a time"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Not booked: correct the fields marked below." in page
    assert not Appointment.objects.filter(patient=patient).exists()
