"""Changing a plan keeps the old version and needs a reason; completing/stopping needs a reason too."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.demo.assessment import ready_for_planning
from ketamine_clinic.plans import services
from ketamine_clinic.plans.models import TreatmentPlanVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(staff, make_patient):
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]])
    ready_for_planning(staff["prescriber"], patient, "iv")
    return services.create_plan(
        staff["prescriber"], patient, protocol_key="iv_racemic_standard", start_date=timezone.localdate()
    )


def change_form(plan, **overrides):
    data = {
        "dose_amount": "0.75",
        "concentration_mg_per_ml": "50",
        "infusion_duration_min": "40",
        "titration_rule": plan.titration_rule,
        "integration_every_n_doses": "2",
        "start_date": plan.start_date.isoformat(),
        "session_time": "09:00",
        "notes": "",
        "measurement_schedule_json": '{"weekly": ["phq9"]}',
        "reason": "No response after two infusions",
    }
    data.update(overrides)
    return data


def test_titration_creates_version_two_and_keeps_version_one(plan, staff, client_as):
    response = client_as(staff["prescriber"]).post(reverse("plans:change", args=[plan.pk]), change_form(plan))
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.version == 2 and plan.dose_amount == Decimal("0.75")
    assert plan.dose_rule().amount == 0.75
    assert plan.measurement_schedule == {"weekly": ["phq9"]}
    v1, v2 = TreatmentPlanVersion.objects.filter(plan=plan).order_by("number")
    assert v1.data["dose_amount"] == "0.500" and v2.data["dose_amount"] == "0.750"
    assert v2.reason == "No response after two infusions"
    event = AuditEvent.objects.get(action="update", object_type="plans.TreatmentPlan")
    assert "dose_amount" in event.detail["fields"] and event.detail["version"] == 2


def test_change_without_reason_or_out_of_limits_or_bad_json_changes_nothing(plan, staff, client_as):
    client = client_as(staff["prescriber"])
    for overrides, message in [
        ({"reason": ""}, b"This field is required"),
        ({"dose_amount": "0.9"}, b"must lie within its limits"),
        ({"measurement_schedule_json": "{oops"}, b"Not valid JSON"),
        ({"measurement_schedule_json": '{"weekly": ["tarot"]}'}, b"unknown instrument"),
    ]:
        response = client.post(reverse("plans:change", args=[plan.pk]), change_form(plan, **overrides))
        assert response.status_code == 400
        assert message in response.content
    plan.refresh_from_db()
    assert plan.version == 1 and plan.dose_amount == Decimal("0.5")
    assert TreatmentPlanVersion.objects.filter(plan=plan).count() == 1


def test_stop_needs_a_reason_and_is_versioned(plan, staff, client_as):
    client = client_as(staff["prescriber"])
    assert client.post(reverse("plans:status", args=[plan.pk]), {"status": "stopped"}).status_code == 400
    response = client.post(
        reverse("plans:status", args=[plan.pk]), {"status": "stopped", "reason": "Adverse BP"}
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "stopped" and plan.version == 2
    assert services.current_plan(plan.patient) is None
    with pytest.raises(Exception, match="cannot be changed"):
        services.change_plan(staff["prescriber"], plan, reason="x", notes="late")


def test_nurse_may_not_change_a_plan(plan, staff, client_as):
    response = client_as(staff["nurse"]).post(reverse("plans:change", args=[plan.pk]), change_form(plan))
    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.version == 1


def test_prescriber_outside_care_team_gets_404(plan, staff, client_as):
    response = client_as(staff["other_prescriber"]).get(reverse("plans:change", args=[plan.pk]))
    assert response.status_code == 404


def test_esketamine_dose_must_be_whole_devices(staff, make_patient):
    from django.core.exceptions import ValidationError

    patient = make_patient(care_team=[staff["prescriber"]])
    ready_for_planning(staff["prescriber"], patient, "intranasal")
    plan = services.create_plan(
        staff["prescriber"], patient, protocol_key="esketamine_label", start_date=timezone.localdate()
    )
    with pytest.raises(ValidationError, match="28 mg devices"):
        services.change_plan(staff["prescriber"], plan, reason="try", dose_amount=Decimal("70"))
    plan = services.change_plan(staff["prescriber"], plan, reason="tolerated", dose_amount=Decimal("84"))
    assert plan.dose_rule().amount == 84


def test_plan_page_embeds_the_pk_prediction_fragment(plan, staff, client_as):
    page = client_as(staff["nurse"]).get(reverse("plans:chart", args=[plan.patient.pk]))
    html = page.content.decode()
    url = reverse("prediction:patient_curve", args=[plan.patient.pk])
    assert f'hx-get="{url}?route=iv&amp;dose_mg=35' in html
    assert "duration_min=40" in html


def test_plan_tab_speaks_the_clinics_words(plan, staff, client_as):
    """Measurement schedule by instrument name and time point, versions' doses as 0.5 mg/kg: no raw keys."""
    html = client_as(staff["prescriber"]).get(reverse("plans:chart", args=[plan.patient.pk])).content.decode()
    assert "C-SSRS screener" in html and "Before each dose" in html
    assert "cssrs_screener" not in html and "before_each_dose" not in html
    assert "(mg_per_kg)" not in html and "0.5 mg/kg · Active" in html
    assert TreatmentPlanVersion.objects.get(plan=plan).dose_text == "0.5 mg/kg"
