"""Pre-dose checks, the BP gate and dose confirmation with plan limits and prescriber overrides."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.sessions import services

HIGH_BP = {"sbp": 186, "dbp": 104, "hr": 80, "spo2": 97, "rr": 14}


def test_pre_dose_form_saves_checks_and_todays_weight(staff, client_as, iv_session, patient):
    nurse = staff["nurse"]
    services.transition(iv_session, "checked_in", user=nurse, version=1)
    client = client_as(nurse)
    response = client.post(
        reverse("sessions:predose", args=[iv_session.pk]),
        {
            "version": iv_session.version,
            "weight_kg": "72.4",
            "fasting_confirmed": "yes",
            "escort_confirmed": "no",
        },
    )
    assert response.status_code == 302
    iv_session.refresh_from_db()
    patient.refresh_from_db()
    assert iv_session.fasting_confirmed is True and iv_session.escort_confirmed is False
    assert float(iv_session.weight_kg) == 72.4 and float(patient.weight_kg) == 72.4
    levels = {f.code: f.level for f in services.pre_dose_result(iv_session).findings}
    assert levels["escort"] == "stop" and levels["baseline_vitals"] == "missing"


def test_pre_dose_form_rejects_implausible_weight(staff, client_as, iv_session):
    services.transition(iv_session, "checked_in", user=staff["nurse"], version=1)
    response = client_as(staff["nurse"]).post(
        reverse("sessions:predose", args=[iv_session.pk]),
        {"version": iv_session.version, "weight_kg": "320"},
    )
    # The chart's own limits (20-300 kg): the weight typed here becomes the chart weight.
    assert response.status_code == 400
    assert "Ensure this value is less than or equal to 300" in response.content.decode()
    iv_session.refresh_from_db()
    assert iv_session.weight_kg is None


def test_dose_plan_double_check_shown(staff, client_as, iv_session, helpers):
    helpers.ready_pre_dose(iv_session, staff["nurse"])
    page = client_as(staff["nurse"]).get(reverse("sessions:flowsheet", args=[iv_session.pk])).content.decode()
    assert "150.0 mL/h" in page and "0.70 mL" in page and "Two-person double check" in page


def test_dose_within_limits_confirmed_and_dosing_starts(staff, iv_session, helpers):
    nurse = staff["nurse"]
    helpers.ready_pre_dose(iv_session, nurse)
    services.record_dose(iv_session, dose_mg=35, user=nurse, expected_version=iv_session.version)
    assert float(iv_session.pump_rate_ml_per_h) == 150.0
    services.transition(iv_session, "dosing", user=nurse, version=iv_session.version)
    assert iv_session.state == "dosing" and iv_session.dosing_started_at is not None


def test_dose_outside_limits_refused_then_prescriber_override_is_audited(
    staff, client_as, iv_session, helpers
):
    helpers.ready_pre_dose(iv_session, staff["nurse"])
    nurse = client_as(staff["nurse"])
    url = reverse("sessions:dose", args=[iv_session.pk])
    response = nurse.post(url, {"version": iv_session.version, "dose_mg": "90"})
    assert response.status_code == 400 and "outside the plan" in response.content.decode()
    response = nurse.post(
        url, {"version": iv_session.version, "dose_mg": "90", "override_reason": "I think so"}
    )
    assert response.status_code == 403  # only a prescriber may override
    iv_session.refresh_from_db()
    assert iv_session.dose_mg is None
    prescriber = client_as(staff["prescriber"])
    response = prescriber.post(
        url, {"version": iv_session.version, "dose_mg": "90", "override_reason": "Titration agreed"}
    )
    assert response.status_code == 302
    iv_session.refresh_from_db()
    assert float(iv_session.dose_mg) == 90 and iv_session.dose_override_reason == "Titration agreed"
    row = AuditEvent.objects.get(action="override", object_id=str(iv_session.pk))
    assert row.detail["override_reason"] == "Titration agreed" and row.user == staff["prescriber"]


def test_dosing_refused_by_bp_hard_stop_until_prescriber_overrides(staff, iv_session, helpers):
    nurse, prescriber = staff["nurse"], staff["prescriber"]
    helpers.ready_pre_dose(iv_session, nurse, baseline=HIGH_BP)
    services.record_dose(iv_session, dose_mg=35, user=nurse, expected_version=iv_session.version)
    with pytest.raises(ValidationError, match="hard stop"):
        services.transition(iv_session, "dosing", user=nurse, version=iv_session.version)
    with pytest.raises(PermissionDenied):
        services.transition(
            iv_session, "dosing", user=nurse, version=iv_session.version, override_reason="ok"
        )
    services.transition(
        iv_session,
        "dosing",
        user=prescriber,
        version=iv_session.version,
        override_reason="Repeat 150/90 after rest",
    )
    event = iv_session.events.last()
    assert event.override_reason == "Repeat 150/90 after rest" and "hard stop" in event.overridden_items[0]
    assert AuditEvent.objects.filter(action="override", detail__to="dosing").exists()


def test_dosing_needs_a_confirmed_dose(staff, iv_session, helpers):
    helpers.ready_pre_dose(iv_session, staff["nurse"])
    with pytest.raises(ValidationError, match="Confirm the dose"):
        services.transition(iv_session, "dosing", user=staff["nurse"], version=iv_session.version)


def test_lot_without_stock_service_or_bad_lot_rolls_back(staff, iv_session, helpers):
    helpers.ready_pre_dose(iv_session, staff["nurse"])
    version = iv_session.version
    with pytest.raises(ValidationError):
        services.record_dose(
            iv_session, dose_mg=35, user=staff["nurse"], lot_id=999999, expected_version=version
        )
    iv_session.refresh_from_db()
    assert iv_session.dose_mg is None and iv_session.version == version


def test_session_without_order_cannot_compute_dose(staff, iv_session, helpers):
    iv_session.dose_rule = None
    iv_session.save()
    helpers.ready_pre_dose(iv_session, staff["nurse"])
    with pytest.raises(ValidationError, match="No active plan"):
        services.record_dose(iv_session, dose_mg=35, user=staff["nurse"])


def test_measures_from_outcomes_count_and_suicide_flag_blocks(staff, iv_session):
    from django.utils import timezone

    from ketamine_clinic.outcomes.models import Administration

    services.transition(iv_session, "checked_in", user=staff["nurse"], version=1)
    patient = iv_session.patient
    Administration.objects.create(
        patient=patient, instrument="phq9", total=12, session=iv_session, taken_at=timezone.now()
    )
    levels = {f.code: f for f in services.pre_dose_result(iv_session).findings}
    assert "phq9" not in levels["measures"].message and "cssrs" in levels["measures"].message
    Administration.objects.create(
        patient=patient,
        instrument="cssrs_screener",
        flags=["cssrs_positive"],
        session=iv_session,
        taken_at=timezone.now(),
    )
    result = services.pre_dose_result(iv_session)
    levels = {f.code: f.level for f in result.findings}
    assert levels["measures"] == "ok" and levels["suicide_risk"] == "stop"


def test_order_comes_from_current_plan_and_is_snapshotted(staff, patient, helpers):
    from decimal import Decimal

    from django.utils import timezone

    from ketamine_clinic.plans.models import TreatmentPlan
    from ketamine_clinic.sessions.models import DosingSession

    plan = TreatmentPlan.objects.create(
        patient=patient,
        protocol_key="iv_induction",
        route="iv",
        status="active",
        created_by=staff["prescriber"],
        dose_kind="mg_per_kg",
        dose_amount=Decimal("0.5"),
        dose_min=Decimal("0.4"),
        dose_max=Decimal("0.75"),
        infusion_duration_min=40,
        concentration_mg_per_ml=Decimal("50"),
    )
    session = DosingSession.objects.create(patient=patient, route="iv", scheduled_for=timezone.now())
    rule = services.dose_rule_for(session)
    assert (rule.amount, rule.min_amount, rule.max_amount) == (0.5, 0.4, 0.75)
    assert DosingSession.objects.get(pk=session.pk).dose_rule is None  # read live until the dose is confirmed
    rule = services.dose_rule_for(session, snapshot=True)
    session.refresh_from_db()
    assert session.plan == plan and session.dose_rule["max_amount"] == 0.75
    # A later plan change does not alter the order this session was prepared with.
    plan.dose_max = Decimal("1.0")
    plan.save()
    assert services.dose_rule_for(DosingSession.objects.get(pk=session.pk)).max_amount == 0.75


def test_dose_form_offers_in_date_lots_and_refuses_wrong_strength(staff, client_as, iv_session, helpers):
    import datetime as dt

    from django.utils import timezone

    from ketamine_clinic.inventory.models import Lot
    from ketamine_clinic.inventory.seed import ensure_products

    products = ensure_products()
    today = timezone.localdate()
    good = Lot.objects.create(
        product=products["ketamine-50-10"], lot_number="OK-1", expires_on=today + dt.timedelta(days=90)
    )
    Lot.objects.create(
        product=products["ketamine-50-10"], lot_number="OLD-1", expires_on=today - dt.timedelta(days=1)
    )
    Lot.objects.create(
        product=products["esketamine-28"], lot_number="NASAL-1", expires_on=today + dt.timedelta(days=90)
    )
    strong = Lot.objects.create(
        product=products["ketamine-100-5"], lot_number="STRONG-1", expires_on=today + dt.timedelta(days=90)
    )
    helpers.ready_pre_dose(iv_session, staff["nurse"])
    page = client_as(staff["nurse"]).get(reverse("sessions:flowsheet", args=[iv_session.pk])).content.decode()
    assert "OK-1" in page and "STRONG-1" in page and "OLD-1" not in page and "NASAL-1" not in page
    assert f'value="{good.pk}"' in page
    # The draw-up volume was computed for 50 mg/mL; a 100 mg/mL lot would double the dose drawn.
    with pytest.raises(ValidationError, match="100 mg/mL but the dose was calculated for 50"):
        services.record_dose(iv_session, dose_mg=35, user=staff["nurse"], lot_id=strong.pk)
    iv_session.refresh_from_db()
    assert iv_session.dose_mg is None


def test_bp_caution_does_not_block_but_is_recorded_at_dosing(staff, iv_session, helpers):
    nurse = staff["nurse"]
    helpers.ready_pre_dose(
        iv_session, nurse, baseline={"sbp": 152, "dbp": 92, "hr": 78, "spo2": 98, "rr": 14}
    )
    services.record_dose(iv_session, dose_mg=35, user=nurse, expected_version=iv_session.version)
    services.transition(iv_session, "dosing", user=nurse, version=iv_session.version)
    event = iv_session.events.last()
    assert event.to_state == "dosing" and "152/92" in event.reason
    assert AuditEvent.objects.filter(detail__to="dosing", action="update").first().detail["cautions"]
