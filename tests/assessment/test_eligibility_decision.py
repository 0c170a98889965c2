"""The prescriber's decision: absolute blocks, cautions need an audited override reason, stale decisions lapse."""

import pytest
from django.urls import reverse

from ketamine_clinic.assessment import services
from ketamine_clinic.assessment.models import EligibilityDecision
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.demo.assessment import record_intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(staff, make_patient, failed_trials):
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]])
    failed_trials(patient, staff["nurse"])  # treatment-resistant: otherwise the screen lists that as a caution
    return patient


def decide(client, patient, **data):
    return client.post(reverse("assessment:decision", args=[patient.pk]), data)


def test_clear_screen_proceed_makes_eligibility_current(patient, staff, client_as):
    record_intake(staff["nurse"], patient)
    assert not services.eligibility_is_current(patient)
    response = decide(
        client_as(staff["prescriber"]), patient, decision="proceed", rationale="TRD, no contraindication"
    )
    assert response.status_code == 302
    assert services.eligibility_is_current(patient)
    assert (
        AuditEvent.objects.filter(action="create", object_type="assessment.EligibilityDecision").count() == 1
    )
    assert not AuditEvent.objects.filter(action="override").exists()


def test_absolute_contraindication_cannot_be_overridden(patient, staff, client_as):
    record_intake(staff["nurse"], patient, raised_intracranial_pressure=True)
    response = decide(
        client_as(staff["prescriber"]), patient, decision="proceed", rationale="x", override_reason="I insist"
    )
    assert response.status_code == 400
    assert b"absolute contraindication blocks treatment planning" in response.content
    assert b"Raised intracranial pressure" in response.content
    assert EligibilityDecision.objects.count() == 0
    assert not services.eligibility_is_current(patient)


def test_declining_an_ineligible_patient_is_recorded(patient, staff, client_as):
    record_intake(staff["nurse"], patient, pregnant=True)
    response = decide(
        client_as(staff["prescriber"]), patient, decision="decline", rationale="Pregnant; defer."
    )
    assert response.status_code == 302
    assert EligibilityDecision.objects.get().decision == "decline"
    assert not services.eligibility_is_current(patient)


def test_cautions_need_a_written_override_reason_which_is_audited(patient, staff, client_as):
    record_intake(staff["nurse"], patient, psychosis_history=True, current_medications="Clonazepam 1 mg")
    client = client_as(staff["prescriber"])
    response = decide(client, patient, decision="proceed", rationale="Remote single episode.")
    assert response.status_code == 400
    assert b"write the reason for proceeding" in response.content
    assert EligibilityDecision.objects.count() == 0

    response = decide(
        client,
        patient,
        decision="proceed",
        rationale="Remote single episode.",
        override_reason="Psychosis 15 years ago, stable since; clonazepam held 24 h before sessions.",
    )
    assert response.status_code == 302
    decision = EligibilityDecision.objects.get()
    assert decision.is_override
    override = AuditEvent.objects.get(action="override")
    assert set(override.detail["overridden"]) == {"psychosis_history", "interaction:benzodiazepine"}
    assert "stable since" in override.detail["reason"]
    assert override.user == staff["prescriber"]


def test_a_new_intake_makes_the_decision_stale(patient, staff, client_as):
    record_intake(staff["nurse"], patient)
    decide(client_as(staff["prescriber"]), patient, decision="proceed", rationale="ok")
    assert services.eligibility_is_current(patient)
    record_intake(staff["nurse"], patient)
    assert not services.eligibility_is_current(patient)


def test_nurse_cannot_decide(patient, staff, client_as):
    record_intake(staff["nurse"], patient)
    response = decide(client_as(staff["nurse"]), patient, decision="proceed", rationale="ok")
    assert response.status_code == 403
    assert EligibilityDecision.objects.count() == 0


def test_decision_without_rationale_is_refused(patient, staff, client_as):
    record_intake(staff["nurse"], patient)
    response = decide(client_as(staff["prescriber"]), patient, decision="proceed", rationale="")
    assert response.status_code == 400
    assert EligibilityDecision.objects.count() == 0


def test_decision_page_without_screening_redirects_with_message(patient, staff, client_as):
    response = client_as(staff["prescriber"]).get(
        reverse("assessment:decision", args=[patient.pk]), follow=True
    )
    assert b"Complete the intake assessment first" in response.content
