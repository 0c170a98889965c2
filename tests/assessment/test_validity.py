"""Eligibility decisions and consent lapse after the clinic's validity period: planning, pages and pre-dose checks."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.assessment import services
from ketamine_clinic.assessment.models import ConsentAcknowledgement, EligibilityScreening
from ketamine_clinic.demo.assessment import approve, consent, ready_for_planning, record_intake
from ketamine_clinic.plans import services as plans

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(staff, make_patient):
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]], with_login=True)
    ready_for_planning(staff["prescriber"], patient, "iv")
    return patient


def age_screening(patient, days):
    EligibilityScreening.objects.filter(patient=patient).update(
        screened_at=timezone.now() - dt.timedelta(days=days)
    )


def age_consent(patient, days):
    ConsentAcknowledgement.objects.filter(patient=patient).update(
        acknowledged_at=timezone.now() - dt.timedelta(days=days)
    )


def test_defaults_are_a_year_each():
    assert services.eligibility_valid_days() == 365 and services.consent_valid_days() == 365


def test_screening_older_than_the_validity_needs_an_updated_intake_and_a_new_decision(patient, staff):
    age_screening(patient, 364)
    assert services.eligibility_is_current(patient)
    age_screening(patient, 366)
    problem = services.eligibility_problem(patient)
    assert not services.eligibility_is_current(patient)
    assert "more than 365 days old (clinic setting ELIGIBILITY_VALID_DAYS)" in problem
    assert "record an updated intake" in problem
    assert problem in plans.planning_blockers(patient, "iv")
    # Deciding again on the same old screening does not renew it: the facts are what has aged.
    approve(staff["prescriber"], patient)
    assert not services.eligibility_is_current(patient)
    record_intake(staff["nurse"], patient)  # re-runs the screen
    assert services.eligibility_problem(patient) == (
        "No prescriber decision to proceed on the latest eligibility screening."
    )
    approve(staff["prescriber"], patient)
    assert services.eligibility_is_current(patient)


def test_validity_is_a_clinic_setting(patient, settings):
    age_screening(patient, 40)
    age_consent(patient, 40)
    settings.ELIGIBILITY_VALID_DAYS = 30
    settings.CONSENT_VALID_DAYS = 30
    assert "more than 30 days old" in services.eligibility_problem(patient)
    assert "more than 30 days old (clinic setting CONSENT_VALID_DAYS)" in services.consent_problem(
        patient, "iv"
    )
    settings.ELIGIBILITY_VALID_DAYS = 0  # no time limit
    settings.CONSENT_VALID_DAYS = None
    assert services.eligibility_is_current(patient) and services.consent_is_current(patient, "iv")


def test_lapsed_consent_blocks_planning_and_the_patient_can_acknowledge_again(patient, staff, client_as):
    age_consent(patient, 400)
    assert not services.consent_is_current(patient, "iv")
    assert any("more than 365 days old" in b for b in plans.planning_blockers(patient, "iv"))
    client = client_as(patient.user)
    page = client.get(reverse("assessment:consent", args=[patient.pk, "iv"])).content.decode()
    assert 'id="consent-lapsed"' in page and 'id="consent-form"' in page
    chart = client_as(staff["nurse"]).get(reverse("assessment:chart", args=[patient.pk])).content.decode()
    assert "Re-consent needed (consented" in chart
    consent(patient.user, patient, "iv")
    assert services.consent_is_current(patient, "iv")
    assert plans.planning_blockers(patient, "iv") == []


def test_pre_dose_checks_and_plan_page_see_lapsed_eligibility_and_consent(patient, staff, client_as):
    from ketamine_clinic.sessions.models import DosingSession
    from ketamine_clinic.sessions.services import pre_dose_checks, pre_dose_result

    plan = plans.create_plan(
        staff["prescriber"], patient, protocol_key="iv_racemic_standard", start_date=timezone.localdate()
    )
    session = DosingSession.objects.create(
        patient=patient, plan=plan, route="iv", scheduled_for=timezone.now()
    )
    checks = pre_dose_checks(session)
    assert checks.eligibility_current is True and checks.consent_current is True
    age_screening(patient, 366)
    age_consent(patient, 366)
    checks = pre_dose_checks(session)
    assert checks.eligibility_current is False and checks.consent_current is False
    # The nurse's pre-dose gate says why, in the assessment record's words, not just "not current".
    findings = {f.code: f for f in pre_dose_result(session).findings}
    assert findings["eligibility"].level == "stop" and "ELIGIBILITY_VALID_DAYS" in findings["eligibility"].message
    assert findings["consent"].level == "stop" and "CONSENT_VALID_DAYS" in findings["consent"].message
    page = client_as(staff["prescriber"]).get(reverse("plans:chart", args=[patient.pk])).content.decode()
    assert 'id="eligibility-not-current"' in page and 'id="reconsent-needed"' in page
    assert "ELIGIBILITY_VALID_DAYS" in page and "CONSENT_VALID_DAYS" in page


def test_api_summary_says_why(patient, staff, client_as):
    age_screening(patient, 366)
    body = client_as(staff["prescriber"]).get(f"/api/assessment/patient/{patient.pk}").json()
    assert body["eligibility_current"] is False and "ELIGIBILITY_VALID_DAYS" in body["eligibility_problem"]
    iv = next(c for c in body["consents"] if c["route"] == "iv")
    assert iv["consented"] is True and iv["problem"] is None
