"""Staff enter a questionnaire: scored by the core engine, saved, audited; bad answers re-render, nothing lost."""

import pytest

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.outcomes.models import MeasureResponse


def url(patient, instrument="phq9"):
    return f"/outcomes/patient/{patient.pk}/administer/{instrument}/"


@pytest.mark.django_db
def test_nurse_enters_phq9_and_it_is_scored_saved_and_audited(patient, staff, client_as, phq9_post):
    response = client_as(staff["nurse"]).post(url(patient), phq9_post([1, 1, 1, 2, 2, 3, 3, 3, 0]))
    assert response.status_code == 302 and response.url == f"/outcomes/patient/{patient.pk}/"
    admin = MeasureResponse.objects.get(patient=patient)
    assert (admin.total, admin.severity, admin.flags) == (16, "moderately severe", [])
    assert admin.administered_by == staff["nurse"] and not admin.self_reported
    assert AuditEvent.objects.filter(
        action="create", object_type="outcomes.MeasureResponse", object_id=str(admin.pk), user=staff["nurse"]
    ).exists()


@pytest.mark.django_db
def test_out_of_range_answer_rerenders_with_the_item_named_and_keeps_answers(
    patient, staff, client_as, phq9_post
):
    data = phq9_post([1, 1, 1, 2, 2, 3, 3, 3, 0])
    data["item_4"] = "7"
    response = client_as(staff["nurse"]).post(url(patient), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "Select a valid choice" in body
    assert 'name="item_2" value="1"' in body and "checked" in body
    assert not MeasureResponse.objects.exists()


@pytest.mark.django_db
def test_too_many_blank_items_is_refused_with_the_engine_message(patient, staff, client_as, phq9_post):
    response = client_as(staff["nurse"]).post(url(patient), phq9_post([None, None, None, 1, 1, 1, 1, 1, 0]))
    assert response.status_code == 400
    assert "too many unanswered items (1, 2, 3)" in response.content.decode()
    assert not MeasureResponse.objects.exists()


@pytest.mark.django_db
def test_missing_item9_is_refused_on_item_9(patient, staff, client_as, phq9_post):
    response = client_as(staff["prescriber"]).post(url(patient), phq9_post([1] * 8 + [None]))
    assert response.status_code == 400
    assert "PHQ-9 item 9 (thoughts of death/self-harm) is a critical item" in response.content.decode()


@pytest.mark.django_db
def test_madrs_entry_links_to_a_session(patient, staff, client_as):
    from django.utils import timezone

    from ketamine_clinic.sessions.models import DosingSession

    session = DosingSession.objects.create(patient=patient, route="iv", scheduled_for=timezone.now())
    data = {f"item_{i}": "3" for i in range(1, 11)}
    data["session"] = str(session.pk)
    response = client_as(staff["prescriber"]).post(url(patient, "madrs") + f"?session={session.pk}", data)
    assert response.status_code == 302
    admin = MeasureResponse.objects.get()
    assert admin.session == session and admin.total == 30 and admin.severity == "moderate"


@pytest.mark.django_db
def test_unknown_instrument_is_404(patient, staff, client_as):
    assert client_as(staff["nurse"]).get(url(patient, "beck")).status_code == 404


@pytest.mark.django_db
def test_front_desk_may_not_enter_measures_and_outsiders_do_not_see_the_patient(
    patient, staff, client_as, phq9_post
):
    assert client_as(staff["front_desk"]).get(url(patient)).status_code == 403
    assert client_as(staff["other_prescriber"]).get(url(patient)).status_code == 404
    assert client_as(staff["other_nurse"]).post(url(patient), phq9_post([0] * 9)).status_code == 404
    assert not MeasureResponse.objects.exists()
    assert AuditEvent.objects.filter(action="denied").count() >= 3


@pytest.mark.django_db
def test_patient_cannot_use_the_staff_entry_form(patient, client_as, phq9_post):
    assert client_as(patient.user).post(url(patient), phq9_post([0] * 9)).status_code == 403
    assert not MeasureResponse.objects.exists()
