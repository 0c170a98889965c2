"""Pre-dose checks, the BP gate and dose confirmation with plan limits and prescriber overrides."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.sessions import custody, services

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
    from ketamine_clinic.inventory import services as inventory

    nurse = staff["nurse"]
    helpers.ready_pre_dose(iv_session, nurse)
    lot = helpers.stock_lot("iv")
    helpers.confirm_dose(iv_session, nurse, lot_id=lot.pk, second_checker=staff["prescriber"])
    assert float(iv_session.pump_rate_ml_per_h) == 150.0
    # Both people of the two-person check are recorded, and the drug is in the session's custody.
    assert iv_session.dose_confirmed_by == nurse and iv_session.dose_second_checker == staff["prescriber"]
    assert inventory.held_for_session(lot.pk, iv_session.pk) == 500_000  # one whole 500 mg vial
    services.transition(iv_session, "dosing", user=nurse, version=iv_session.version)
    assert iv_session.state == "dosing" and iv_session.dosing_started_at is not None


def test_dose_without_a_lot_is_refused_everywhere_and_nothing_is_saved(staff, client_as, iv_session, helpers):
    nurse = staff["nurse"]
    helpers.ready_pre_dose(iv_session, nurse)
    helpers.stock_lot("iv")
    version = iv_session.version
    with pytest.raises(ValidationError, match="every controlled dose is drawn"):
        helpers.confirm_dose(iv_session, nurse, lot_id=None)
    page = client_as(nurse).post(
        reverse("sessions:dose", args=[iv_session.pk]),
        {
            "version": version, "dose_mg": "35", "lot_id": "", "second_checker": staff["prescriber"].pk,
            "second_checker_password": "demo-password-1",
        },
    )
    assert page.status_code == 400 and "This field is required" in page.content.decode()
    api = client_as(nurse).post(
        f"/api/sessions/{iv_session.pk}/dose",
        {"dose_mg": "35", "version": version, "second_checker_id": staff["prescriber"].pk,
         "second_checker_password": "demo-password-1"},
        content_type="application/json",
    )
    assert api.status_code == 422
    iv_session.refresh_from_db()
    assert iv_session.dose_mg is None and iv_session.version == version


def test_two_person_check_needs_another_person_who_types_their_own_password(staff, iv_session, helpers):
    nurse = staff["nurse"]
    helpers.ready_pre_dose(iv_session, nurse)
    version = iv_session.version
    with pytest.raises(ValidationError, match="different staff member"):
        helpers.confirm_dose(iv_session, nurse, second_checker=nurse)
    with pytest.raises(ValidationError, match="password is not correct"):
        helpers.confirm_dose(iv_session, nurse, second_checker=staff["prescriber"], second_checker_password="x")
    with pytest.raises(ValidationError, match="may not be the second checker"):
        helpers.confirm_dose(iv_session, nurse, second_checker=staff["front_desk"])
    with pytest.raises(ValidationError, match="Choose the second checker"):
        helpers.confirm_dose(iv_session, nurse, second_checker=None)
    iv_session.refresh_from_db()
    assert iv_session.dose_mg is None and iv_session.version == version


def test_dosing_cannot_start_when_the_drawn_drug_is_gone(staff, iv_session, helpers):
    """A confirmed dose whose drug no longer sits with the session (e.g. returned to the safe) cannot start."""
    from ketamine_clinic.inventory.models import StorageLocation

    nurse = staff["nurse"]
    helpers.ready_pre_dose(iv_session, nurse)
    lot = helpers.stock_lot("iv")
    helpers.confirm_dose(iv_session, nurse, lot_id=lot.pk)
    custody.record_movement(
        actor=nurse, kind="returned", lot=lot, quantity_mcg=500_000, session=iv_session,
        location=StorageLocation.objects.get(name="Session test safe"), reason="Vial back to the safe",
    )
    with pytest.raises(ValidationError, match="has not been drawn"):
        services.transition(iv_session, "dosing", user=nurse, version=iv_session.version)


def test_dose_outside_limits_refused_then_prescriber_override_is_audited(
    staff, client_as, iv_session, helpers
):
    helpers.ready_pre_dose(iv_session, staff["nurse"])
    nurse = client_as(staff["nurse"])
    url = reverse("sessions:dose", args=[iv_session.pk])
    lot = helpers.stock_lot("iv")

    def post(client, checker, **fields):
        return client.post(
            url,
            {
                "version": iv_session.version, "lot_id": lot.pk, "second_checker": checker.pk,
                "second_checker_password": "demo-password-1", **fields,
            },
        )

    response = post(nurse, staff["prescriber"], dose_mg="90")
    assert response.status_code == 400 and "outside the plan" in response.content.decode()
    response = post(nurse, staff["prescriber"], dose_mg="90", override_reason="I think so")
    assert response.status_code == 403  # only a prescriber may override
    iv_session.refresh_from_db()
    assert iv_session.dose_mg is None
    prescriber = client_as(staff["prescriber"])
    response = post(prescriber, staff["nurse"], dose_mg="90", override_reason="Titration agreed")
    assert response.status_code == 302
    iv_session.refresh_from_db()
    assert float(iv_session.dose_mg) == 90 and iv_session.dose_override_reason == "Titration agreed"
    row = AuditEvent.objects.get(action="override", object_id=str(iv_session.pk))
    assert row.detail["override_reason"] == "Titration agreed" and row.user == staff["prescriber"]


def test_dosing_refused_by_bp_hard_stop_until_prescriber_overrides(staff, iv_session, helpers):
    nurse, prescriber = staff["nurse"], staff["prescriber"]
    helpers.ready_pre_dose(iv_session, nurse, baseline=HIGH_BP)
    helpers.confirm_dose(iv_session, nurse)
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
    with pytest.raises(ValidationError, match="no stock lot"):
        helpers.confirm_dose(iv_session, staff["nurse"], lot_id=999999)
    iv_session.refresh_from_db()
    assert iv_session.dose_mg is None and iv_session.version == version


def test_session_without_order_cannot_compute_dose(staff, iv_session, helpers):
    iv_session.dose_rule = None
    iv_session.save()
    helpers.ready_pre_dose(iv_session, staff["nurse"])
    with pytest.raises(ValidationError, match="No active plan"):
        helpers.confirm_dose(iv_session, staff["nurse"])


def test_measures_from_outcomes_count_and_suicide_flag_blocks(staff, iv_session):
    from django.utils import timezone

    from ketamine_clinic.outcomes.models import MeasureResponse

    services.transition(iv_session, "checked_in", user=staff["nurse"], version=1)
    patient = iv_session.patient
    MeasureResponse.objects.create(
        patient=patient, instrument="phq9", total=12, session=iv_session, taken_at=timezone.now()
    )
    levels = {f.code: f for f in services.pre_dose_result(iv_session).findings}
    message = levels["measures"].message
    assert "PHQ-9" not in message and "C-SSRS screener" in message and "cssrs" not in message
    MeasureResponse.objects.create(
        patient=patient,
        instrument="cssrs_screener",
        flags=["cssrs_positive"],
        session=iv_session,
        taken_at=timezone.now(),
    )
    result = services.pre_dose_result(iv_session)
    levels = {f.code: f.level for f in result.findings}
    assert levels["measures"] == "ok" and levels["suicide_risk"] == "stop"


def test_no_attestation_box_and_old_measures_do_not_count(staff, client_as, iv_session, helpers):
    import datetime as dt

    from django.utils import timezone

    helpers.ready_pre_dose(iv_session, staff["nurse"], measures=False)
    page = client_as(staff["nurse"]).get(reverse("sessions:flowsheet", args=[iv_session.pk])).content.decode()
    assert "measures_attested" not in page
    # Taken two days ago: outside the protocol's window, so not today's pre-dose measures.
    iv_session.refresh_from_db()
    from ketamine_clinic.outcomes import services as outcomes

    for instrument, n in (("phq9", 9), ("cssrs_screener", 7)):
        outcomes.record_measure_response(
            patient=iv_session.patient, instrument=instrument, answers=[0] * n, user=staff["nurse"],
            taken_at=timezone.now() - dt.timedelta(days=2),
        )
    assert {f.code: f.level for f in services.pre_dose_result(iv_session).findings}["measures"] == "missing"
    helpers.take_pre_dose_measures(iv_session, staff["nurse"])
    assert {f.code: f.level for f in services.pre_dose_result(iv_session).findings}["measures"] == "ok"


def test_open_urgent_task_from_an_earlier_day_holds_dosing_until_the_prescriber_disposes(
    staff, iv_session, helpers
):
    import datetime as dt

    from django.utils import timezone

    from ketamine_clinic.outcomes import services as outcomes
    from ketamine_clinic.outcomes.models import UrgentTask

    nurse, prescriber = staff["nurse"], staff["prescriber"]
    # Three days ago the patient answered PHQ-9 item 9 "nearly every day": an urgent task opened and is still open.
    outcomes.record_measure_response(
        patient=iv_session.patient, instrument="phq9", answers=[1, 1, 1, 1, 1, 1, 1, 1, 3], user=nurse,
        taken_at=timezone.now() - dt.timedelta(days=3),
    )
    task = UrgentTask.objects.get(patient=iv_session.patient)
    helpers.ready_pre_dose(iv_session, nurse)
    helpers.confirm_dose(iv_session, nurse)
    levels = {f.code: f.level for f in services.pre_dose_result(iv_session).findings}
    assert levels["suicide_risk"] == "hold"
    with pytest.raises(ValidationError, match="urgent suicide-risk task"):
        services.transition(iv_session, "dosing", user=prescriber, version=iv_session.version,
                            override_reason="Looks fine")
    outcomes.acknowledge_task(task, user=prescriber, action="Called patient, safety plan reviewed, seen today")
    services.transition(iv_session, "dosing", user=nurse, version=iv_session.version)
    assert iv_session.state == "dosing"


def test_intranasal_session_never_takes_the_iv_plan_order(staff, patient, helpers):
    from decimal import Decimal

    from django.utils import timezone

    from ketamine_clinic.plans.models import TreatmentPlan
    from ketamine_clinic.sessions.models import DosingSession

    TreatmentPlan.objects.create(
        patient=patient, protocol_key="iv_induction", route="iv", status="active", created_by=staff["prescriber"],
        dose_kind="mg_per_kg", dose_amount=Decimal("0.5"), dose_min=Decimal("0.4"), dose_max=Decimal("0.75"),
        infusion_duration_min=40, concentration_mg_per_ml=Decimal("50"),
    )
    session = DosingSession.objects.create(patient=patient, route="intranasal", scheduled_for=timezone.now())
    assert services.dose_rule_for(session) is None
    with pytest.raises(ValidationError, match="No active plan orders a"):
        services.dose_plan_for(session)


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

    from ketamine_clinic.demo.inventory import ensure_products
    from ketamine_clinic.inventory.models import Lot

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
        helpers.confirm_dose(iv_session, staff["nurse"], lot_id=strong.pk)
    iv_session.refresh_from_db()
    assert iv_session.dose_mg is None


def test_bp_caution_does_not_block_but_is_recorded_at_dosing(staff, iv_session, helpers):
    nurse = staff["nurse"]
    helpers.ready_pre_dose(
        iv_session, nurse, baseline={"sbp": 152, "dbp": 92, "hr": 78, "spo2": 98, "rr": 14}
    )
    helpers.confirm_dose(iv_session, nurse)
    services.transition(iv_session, "dosing", user=nurse, version=iv_session.version)
    event = iv_session.events.last()
    assert event.to_state == "dosing" and "152/92" in event.reason
    assert AuditEvent.objects.filter(detail__to="dosing", action="update").first().detail["cautions"]


@pytest.mark.parametrize("returned_mcg, starts", [(465_000, True), (465_001, False)])
def test_dosing_starts_only_when_the_session_holds_the_whole_dose(staff, iv_session, helpers, returned_mcg, starts):
    """The boundary of the drawn-dose rule, to the microgram: holding exactly the confirmed 35 mg is enough, one
    microgram less is not; the refusal names no field (it is about the whole session) and says what to do."""
    from ketamine_clinic.inventory.models import StorageLocation

    nurse = staff["nurse"]
    helpers.ready_pre_dose(iv_session, nurse)
    lot = helpers.stock_lot("iv")
    helpers.confirm_dose(iv_session, nurse, lot_id=lot.pk, dose_mg=35)
    custody.record_movement(
        actor=nurse, kind="returned", lot=lot, quantity_mcg=returned_mcg, session=iv_session,
        location=StorageLocation.objects.get(name="Session test safe"), reason="Part of the vial back to the safe",
    )
    iv_session.refresh_from_db()
    if starts:
        services.transition(iv_session, "dosing", user=nurse, version=iv_session.version)
        iv_session.refresh_from_db()
        assert iv_session.state == "dosing"
        return
    with pytest.raises(ValidationError) as refused:
        services.transition(iv_session, "dosing", user=nurse, version=iv_session.version)
    assert refused.value.message_dict == {"__all__": [
        "The confirmed dose has not been drawn from the controlled-substance stock for this session: "
        "confirm the dose with its lot before starting."]}
