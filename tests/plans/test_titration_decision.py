"""Titration suggestion on the plan page and API: shown to prescribers, accepted as a new version or declined."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.demo.assessment import ready_for_planning
from ketamine_clinic.outcomes.models import MeasureResponse
from ketamine_clinic.plans import services, titration
from ketamine_clinic.plans.models import TitrationDecision, TreatmentPlanVersion
from ketamine_clinic.sessions.models import DosingSession

pytestmark = pytest.mark.django_db


def dose(plan, when, state="discharged"):
    return DosingSession.objects.create(
        patient=plan.patient,
        plan=plan,
        route=plan.route,
        state=state,
        scheduled_for=when,
        dose_rule=dataclasses.asdict(plan.dose_rule()),
    )


def score(patient, when, total, instrument="phq9"):
    return MeasureResponse.objects.create(
        patient=patient, instrument=instrument, total=total, taken_at=when, answers=[]
    )


@pytest.fixture
def plan(staff, make_patient):
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]])
    ready_for_planning(staff["prescriber"], patient, "iv")
    start = timezone.localdate() - dt.timedelta(days=6)
    return services.create_plan(
        staff["prescriber"], patient, protocol_key="iv_racemic_standard", start_date=start
    )


@pytest.fixture
def no_response(plan):
    """Baseline PHQ-9 14, two infusions at 0.5 mg/kg, PHQ-9 13 afterwards: the protocol's trigger."""
    now = timezone.now().replace(microsecond=0)
    score(plan.patient, now - dt.timedelta(days=7), 14)
    dose(plan, now - dt.timedelta(days=5))
    dose(plan, now - dt.timedelta(days=3))
    score(plan.patient, now - dt.timedelta(days=1), 13)
    return plan


def test_suggestion_reason_names_doses_scores_and_source(no_response):
    s = titration.evaluate(no_response)
    assert (s.from_amount, s.to_amount, s.doses_at_level) == (0.5, 0.75, 2)
    assert s.reason.startswith(
        "2 infusions given at 0.5 mg/kg, PHQ-9 14 -> 13 (7% reduction; response needs 50%"
    )
    assert "Cusin" in s.reason


def test_no_suggestion_before_the_trigger_after_response_or_from_uncompleted_sessions(plan):
    now = timezone.now().replace(microsecond=0)
    score(plan.patient, now - dt.timedelta(days=7), 14)
    dose(plan, now - dt.timedelta(days=5))
    dose(plan, now - dt.timedelta(days=3), state="aborted")  # no drug given: does not count
    score(plan.patient, now - dt.timedelta(days=1), 13)
    assert titration.evaluate(plan) is None
    dose(plan, now - dt.timedelta(days=2))
    assert titration.evaluate(plan) is not None
    score(plan.patient, now - dt.timedelta(hours=2), 6)  # response (>= 50% reduction): no escalation
    assert titration.evaluate(plan) is None


def test_madrs_is_used_when_the_plan_has_no_phq9_baseline(plan):
    now = timezone.now().replace(microsecond=0)
    score(plan.patient, now - dt.timedelta(days=7), 30, "madrs")
    dose(plan, now - dt.timedelta(days=5))
    dose(plan, now - dt.timedelta(days=3))
    score(plan.patient, now - dt.timedelta(days=1), 27, "madrs")
    s = titration.evaluate(plan)
    assert s.instrument == "MADRS" and "MADRS 30 -> 27 (10% reduction" in s.reason


def test_page_shows_the_suggestion_to_prescribers_only_and_says_who_decides(no_response, staff, client_as):
    url = reverse("plans:chart", args=[no_response.patient_id])
    page = client_as(staff["prescriber"]).get(url).content.decode()
    assert 'id="titration-suggestion"' in page and "PHQ-9 14 -&gt; 13" in page
    assert "The software suggests; the prescriber decides." in page
    assert "Titration per protocol: 2 infusions given" in page  # accept reason pre-filled
    nurse_page = client_as(staff["nurse"]).get(url).content.decode()
    assert 'id="titration-suggestion"' not in nurse_page
    assert (
        client_as(staff["nurse"])
        .post(reverse("plans:titration", args=[no_response.pk]), {"action": "decline", "reason": "x"})
        .status_code
        == 403
    )


def test_accept_makes_a_new_version_with_the_new_dose_and_is_audited(no_response, staff, client_as):
    client = client_as(staff["prescriber"])
    response = client.post(
        reverse("plans:titration", args=[no_response.pk]),
        {"action": "accept", "from_amount": "0.500", "reason": "No response after two infusions; BP fine."},
    )
    assert response.status_code == 302
    no_response.refresh_from_db()
    assert no_response.version == 2 and no_response.dose_amount == Decimal("0.75")
    v2 = TreatmentPlanVersion.objects.get(plan=no_response, number=2)
    assert v2.reason == "No response after two infusions; BP fine." and v2.data["dose_amount"] == "0.750"
    decision = TitrationDecision.objects.get(plan=no_response)
    assert (decision.decision, decision.plan_version, decision.decided_by) == (
        "accepted",
        2,
        staff["prescriber"],
    )
    assert AuditEvent.objects.filter(object_type="plans.TitrationDecision", action="create").count() == 1
    assert AuditEvent.objects.filter(object_type="plans.TreatmentPlan", action="update").count() == 1
    # At 0.75 mg/kg (the maximum) there is nothing more to suggest.
    assert titration.evaluate(no_response) is None


def test_decline_needs_a_reason_is_kept_and_not_suggested_again_at_that_dose(no_response, staff, client_as):
    client = client_as(staff["prescriber"])
    url = reverse("plans:titration", args=[no_response.pk])
    empty = client.post(url, {"action": "decline", "from_amount": "0.500", "reason": "  "})
    assert empty.status_code == 400 and b"This field is required" in empty.content
    assert not TitrationDecision.objects.exists()
    response = client.post(
        url, {"action": "decline", "from_amount": "0.500", "reason": "Marked dissociation at 0.5 mg/kg."}
    )
    assert response.status_code == 302
    decision = TitrationDecision.objects.get(plan=no_response)
    assert decision.decision == "declined" and decision.reason == "Marked dissociation at 0.5 mg/kg."
    event = AuditEvent.objects.get(object_type="plans.TitrationDecision")
    assert (
        event.detail["reason"] == "Marked dissociation at 0.5 mg/kg."
        and event.detail["decision"] == "declined"
    )
    no_response.refresh_from_db()
    assert no_response.version == 1 and no_response.dose_amount == Decimal("0.5")
    # More doses without response at the same level: still not suggested again.
    dose(no_response, timezone.now() - dt.timedelta(hours=6))
    score(no_response.patient, timezone.now() - dt.timedelta(hours=1), 13)
    assert titration.evaluate(no_response) is None
    page = client.get(reverse("plans:chart", args=[no_response.patient_id])).content.decode()
    assert 'id="titration-suggestion"' not in page and "Marked dissociation" in page
    again = client.post(url, {"action": "accept", "from_amount": "0.500", "reason": "changed my mind"})
    assert again.status_code == 400 and b"no titration suggestion" in again.content


def test_a_stale_page_cannot_accept_a_suggestion_for_another_dose(no_response, staff, client_as):
    response = client_as(staff["prescriber"]).post(
        reverse("plans:titration", args=[no_response.pk]),
        {"action": "accept", "from_amount": "0.250", "reason": "ok"},
    )
    assert response.status_code == 400 and b"dose changed since" in response.content
    no_response.refresh_from_db()
    assert no_response.version == 1


def test_api_reads_accepts_and_declines(no_response, staff, client_as):
    api = client_as(staff["prescriber"])
    url = f"/api/plans/{no_response.pk}/titration"
    body = api.get(url).json()
    assert body["suggestion"]["to_amount"] == 0.75 and body["suggestion"]["instrument"] == "PHQ-9"
    assert body["note"].startswith("The software suggests; the prescriber decides.")
    assert client_as(staff["nurse"]).get(url).status_code == 403
    bad = api.post(f"{url}/decline", {"reason": ""}, content_type="application/json")
    assert bad.status_code == 422 and "reason" in bad.json()["detail"]
    ok = api.post(f"{url}/accept", {}, content_type="application/json")
    assert ok.status_code == 201 and ok.json()["decision"] == "accepted" and ok.json()["plan_version"] == 2
    assert ok.json()["reason"].startswith("Titration per protocol: 2 infusions given at 0.5 mg/kg")
    after = api.get(url).json()
    assert after["suggestion"] is None and len(after["decisions"]) == 1
    assert api.post(f"{url}/decline", {"reason": "late"}, content_type="application/json").status_code == 422
