"""Creating a plan from a protocol template: refused without decision or consent, with a clear message."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.core.protocols.dose_rule import DoseRule
from ketamine_clinic.demo.assessment import (
    approve,
    consent,
    ensure_consent_documents,
    pdmp_checked,
    record_intake,
)
from ketamine_clinic.plans.models import TreatmentPlan
from ketamine_clinic.plans.services import current_plan

pytestmark = pytest.mark.django_db


def start_date():
    """3 days after today on the clinic clock (tests/conftest.py ``clinic_clock``)."""
    return (timezone.localdate() + dt.timedelta(days=3)).isoformat()


@pytest.fixture
def patient(staff, make_patient):
    """A patient with a current PDMP check (that gate: test_pdmp_check.py), so the tests here see the others."""
    ensure_consent_documents(staff["director"])
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]])
    pdmp_checked(staff["prescriber"], patient)
    return patient


def create(client, patient, route="iv", **data):
    body = {
        "route": route,
        "protocol_key": "iv_racemic_standard",
        "start_date": start_date(),
        "session_time": "09:00",
    }
    body.update(data)
    return client.post(reverse("plans:create", args=[patient.pk]) + f"?route={route}", body)


def test_refused_without_screening_decision_or_consent(patient, staff, client_as):
    client = client_as(staff["prescriber"])
    response = create(client, patient)
    assert response.status_code == 400
    assert b"No eligibility screening yet" in response.content
    assert b"has not acknowledged the current consent" in response.content

    record_intake(staff["nurse"], patient)
    response = create(client, patient)
    assert b"No prescriber decision to proceed" in response.content

    approve(staff["prescriber"], patient)
    response = create(client, patient)
    assert response.status_code == 400
    assert b"has not acknowledged the current consent for IV infusion" in response.content
    assert TreatmentPlan.objects.count() == 0


def test_refused_for_absolute_contraindication(patient, staff, client_as):
    record_intake(staff["nurse"], patient, ketamine_hypersensitivity=True)
    page = client_as(staff["prescriber"]).get(reverse("plans:create", args=[patient.pk]) + "?route=iv")
    assert b"Not eligible: an absolute contraindication blocks planning" in page.content
    assert b"Hypersensitivity" in page.content


def test_consent_for_another_route_does_not_count(patient, staff, client_as):
    record_intake(staff["nurse"], patient)
    approve(staff["prescriber"], patient)
    consent(staff["nurse"], patient, "intranasal")
    response = create(client_as(staff["prescriber"]), patient, route="iv")
    assert response.status_code == 400
    response = create(
        client_as(staff["prescriber"]), patient, route="intranasal", protocol_key="esketamine_label"
    )
    assert response.status_code == 302


def test_plan_created_from_template_with_version_and_dose_rule(patient, staff, client_as):
    record_intake(staff["nurse"], patient)
    approve(staff["prescriber"], patient)
    consent(staff["nurse"], patient, "iv")
    response = create(client_as(staff["prescriber"]), patient)
    assert response.status_code == 302
    plan = current_plan(patient)
    assert plan.status == "active" and plan.version == 1
    assert plan.dose_rule() == DoseRule("mg_per_kg", 0.5, 0.25, 0.75, "racemic ketamine", 40, 50)
    assert plan.measurement_schedule["baseline"]
    assert [p["phase"] for p in plan.session_frequency] == [
        "induction",
        "booster_weekly",
        "booster_fortnightly",
        "booster_monthly",
    ]
    assert plan.versions.get().reason.startswith("Created from protocol template")
    assert AuditEvent.objects.filter(
        action="create", object_type="plans.TreatmentPlan", patient=patient
    ).exists()
    page = client_as(staff["nurse"]).get(reverse("plans:chart", args=[patient.pk]))
    assert b"35.0 mg at 70.0 kg" in page.content


def test_dose_outside_template_limits_is_refused(patient, staff, client_as):
    record_intake(staff["nurse"], patient)
    approve(staff["prescriber"], patient)
    consent(staff["nurse"], patient, "iv")
    response = create(client_as(staff["prescriber"]), patient, dose_amount="1.5")
    assert response.status_code == 400
    assert b"must lie within its limits" in response.content
    assert TreatmentPlan.objects.count() == 0


def test_second_active_plan_is_refused(patient, staff, client_as):
    record_intake(staff["nurse"], patient)
    approve(staff["prescriber"], patient)
    consent(staff["nurse"], patient, "iv")
    client = client_as(staff["prescriber"])
    create(client, patient)
    response = create(client, patient, dose_amount="0.5")
    assert response.status_code == 400
    assert b"already has an active plan" in response.content
    assert TreatmentPlan.objects.count() == 1
    assert current_plan(patient).dose_amount == Decimal("0.5")


def test_nurse_cannot_create_plans(patient, staff, client_as):
    assert create(client_as(staff["nurse"]), patient).status_code == 403
