"""A whole IV infusion session through the real pages, as the nurse runs it on a tablet, then the prescriber
signs the note: check-in, pre-dose checks, dose confirmation with the double check (drawing a vial from the
controlled-substance stock), four vitals entries (one raising an alert), the rate halved, the end of dosing
with the dose actually delivered read from the pump (a wrong reading refused first, nothing lost), the
remainder wasted with a witness, discharge (first refused, then allowed) and the signed, locked note."""

import dataclasses
import datetime as dt

import pytest
from playwright.sync_api import expect

from ketamine_clinic.core.protocols.dose_rule import DoseRule


@pytest.fixture
def infusion_day(staff, make_patient):
    from django.utils import timezone

    from ketamine_clinic.assessment.models import (
        ConsentAcknowledgement,
        ConsentDocument,
        EligibilityDecision,
        EligibilityScreening,
        IntakeAssessment,
    )
    from ketamine_clinic.scheduling.models import Chair
    from ketamine_clinic.sessions.models import DosingSession

    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]], last_name="Larkspur", sex="male")
    intake = IntakeAssessment.objects.create(
        patient=patient, presenting_problem="Treatment-resistant depression"
    )
    screening = EligibilityScreening.objects.create(patient=patient, intake=intake, status="eligible")
    EligibilityDecision.objects.create(
        patient=patient,
        screening=screening,
        decision="proceed",
        rationale="Eligible",
        decided_by=staff["prescriber"],
    )
    document = ConsentDocument.objects.create(
        route="iv", version=1, title="IV ketamine consent", body="Synthetic"
    )
    ConsentAcknowledgement.objects.create(
        patient=patient, document=document, typed_name="Larkspur", recorded_by=staff["prescriber"]
    )
    # Two 500 mg vials of 50 mg/mL ketamine in the safe.
    from ketamine_clinic.demo.inventory import ensure_products
    from ketamine_clinic.inventory import services as inventory
    from ketamine_clinic.inventory.models import StorageLocation

    inventory.receive(
        actor=staff["nurse"],
        product=ensure_products()["ketamine-50-10"],
        lot_number="IV-2407",
        expires_on=timezone.localdate() + dt.timedelta(days=365),
        location=StorageLocation.objects.create(name="Safe A"),
        containers=2,
        supplier="Synthetic Wholesale Co",
        invoice="INV-IV-1",
    )
    # The plan's order as snapshotted on the session: 0.5 mg/kg over 40 min from 50 mg/mL stock.
    rule = DoseRule("mg_per_kg", 0.5, 0.25, 1.0, infusion_duration_min=40, concentration_mg_per_ml=50)
    session = DosingSession.objects.create(
        patient=patient,
        route="iv",
        scheduled_for=timezone.now(),
        chair=Chair.objects.create(name="Chair 3", room="Suite B"),
        dose_rule=dataclasses.asdict(rule),
    )
    # This morning's PHQ-9 (self-report at home) and the C-SSRS screener: scored, none flagging risk.
    from ketamine_clinic.outcomes import services as outcomes

    for instrument, n in (("phq9", 9), ("cssrs_screener", 7)):
        outcomes.record_measure_response(
            patient=patient, instrument=instrument, answers=[0] * n, user=staff["nurse"],
            taken_at=timezone.now() - dt.timedelta(hours=1),
        )
    return session


def move(page, target, expected_label):
    page.click(f"button[data-move={target}]")
    expect(page.locator("#session-state")).to_have_text(expected_label)


def fill_pre_dose(page):
    """The nurse's pre-dose form: today's weight (70 kg), fasting, escort (Sam Larkspur); the findings show it."""
    form = page.locator("#predose-form")
    form.locator("input[name=weight_kg]").fill("70")
    form.locator("select[name=fasting_confirmed]").select_option("yes")
    form.locator("select[name=escort_confirmed]").select_option("yes")
    form.locator("input[name=escort_name]").fill("Sam Larkspur")
    form.locator("button[type=submit]").click()
    expect(page.locator("#predose-findings")).to_contain_text("Weight 70 kg measured today")


def confirm_dose_on_page(page, second_checker):
    """The dose form: the stock's lot, and the two-person check (the second checker types their own password)."""
    from ketamine_clinic.inventory.models import LedgerEntry

    lot = LedgerEntry.objects.get(kind="received").lot
    page.locator("#dose-form select[name=lot_id]").select_option(str(lot.pk))
    page.locator("#dose-form select[name=second_checker]").select_option(str(second_checker.pk))
    page.locator("#dose-form input[name=second_checker_password]").fill("demo-password-1")
    page.locator("#dose-form button[type=submit]").click()


def enter_vitals(page, sbp, dbp, hr, spo2, rr):
    count = page.locator("#vitals-table tbody tr").count() if page.locator("#vitals-table").count() else 0
    form = page.locator("#vitals-form")
    for name, value in (("sbp", sbp), ("dbp", dbp), ("hr", hr), ("spo2", spo2), ("rr", rr)):
        form.locator(f"input[name={name}]").fill(str(value))
    form.locator("button[type=submit]").click()
    if count:
        expect(page.locator("#vitals-table tbody tr")).to_have_count(count + 1)


@pytest.mark.django_db(transaction=True)
def test_nurse_runs_iv_session_and_prescriber_signs_note(page, live_server, login, infusion_day, staff):
    from django.utils import timezone

    from ketamine_clinic.inventory.models import LedgerEntry
    from ketamine_clinic.sessions import custody
    from ketamine_clinic.sessions.models import DosingSession, SessionNote, VitalsReading

    session = infusion_day
    login(page, live_server, "t_nurse")

    # Today's board: chair, patient, state.
    page.goto(f"{live_server.url}/sessions/")
    row = page.locator(f"#sessions-board tr[data-session='{session.pk}']")
    expect(row).to_contain_text("Chair 3")
    expect(row).to_contain_text("Scheduled")
    row.locator("a").click()
    page.wait_for_url(f"**/sessions/{session.pk}/")

    move(page, "checked_in", "Checked in")
    move(page, "pre_dose_checks", "Pre-dose checks")

    # Pre-dose checks: weight, fasting, escort, measures (consent and eligibility come from the assessment app).
    fill_pre_dose(page)
    expect(page.locator("#predose-findings")).to_contain_text("Consent current")
    enter_vitals(page, 124, 78, 72, 98, 14)  # baseline
    expect(page.locator("#baseline")).to_contain_text("BP 124/78")
    expect(page.locator("#predose-findings")).not_to_contain_text("missing")

    # Dose: the double check shows the arithmetic; confirm the computed 35 mg.
    expect(page.locator("#double-check")).to_contain_text("150.0 mL/h")
    expect(page.locator("#double-check")).to_contain_text("0.70 mL")
    expect(page.locator("#dose-form input[name=dose_mg]")).to_have_value("35.0")
    confirm_dose_on_page(page, staff["prescriber"])
    expect(page.locator("#confirmed-dose")).to_contain_text("35.00 mg")
    drawn = LedgerEntry.objects.get(kind="drawn")  # a whole vial, into the session's custody
    assert (drawn.session_id, drawn.quantity_mcg) == (session.pk, 500_000)

    move(page, "dosing", "Dosing")
    expect(page.locator("#next-due")).to_be_visible()

    # Four readings during the infusion; the second crosses SBP > 180 and raises a visible alert.
    enter_vitals(page, 128, 80, 76, 98, 14)
    enter_vitals(page, 186, 102, 88, 97, 15)
    expect(page.locator("#active-alerts")).to_contain_text("Systolic BP 186")
    expect(page.locator("#vitals-chart circle[r='5']").first).to_be_visible()

    # Intervention: the rate is halved, then the alert is acknowledged.
    iv = page.locator("#intervention-form")
    iv.locator("select[name=kind]").select_option("rate_reduced")
    iv.locator("input[name=new_rate_ml_per_h]").fill("75")
    iv.locator("input[name=note]").fill("BP 186/102, prescriber informed")
    iv.locator("button[type=submit]").click()
    expect(page.locator("#intervention-list")).to_contain_text("Rate reduced (new rate 75.0 mL/h)")
    page.locator("#active-alerts button").first.click()
    expect(page.locator("#active-alerts")).to_have_count(0)

    enter_vitals(page, 150, 90, 80, 98, 14)
    enter_vitals(page, 130, 82, 74, 98, 14)
    assert VitalsReading.objects.filter(session=session, is_baseline=False).count() == 4
    assert VitalsReading.objects.exclude(alerts=[]).filter(session=session).count() == 1

    # End of dosing: the rate was halved, so not all of the bag went in. A misread pump volume (more than the
    # 100 mL bag) is refused with a message and the typed value stays; then the right reading is entered.
    assert not LedgerEntry.objects.filter(kind="administered").exists()
    end = page.locator("#delivery-monitoring")
    expect(end).to_contain_text("read the pump's volume infused")
    end.locator("input[name=volume_infused_ml]").fill("120")
    page.click("button[data-move=monitoring]")
    expect(page.locator("#flowsheet-error")).to_contain_text("120 mL is more than the 100 mL bag")
    expect(page.locator("#session-state")).to_have_text("Dosing")
    expect(page.locator("#delivery-monitoring input[name=volume_infused_ml]")).to_have_value("120")
    page.locator("#delivery-monitoring input[name=volume_infused_ml]").fill("90")
    move(page, "monitoring", "Monitoring / observation")
    expect(page.locator("#delivered-dose")).to_contain_text("Delivered 31.50 mg of 35.00 mg confirmed")
    given = LedgerEntry.objects.get(kind="administered")
    assert (given.session_id, given.quantity_mcg) == (session.pk, 31_500)

    # The rest is held by the session: the link opens the witnessed-waste page pre-filled with it.
    expect(page.locator("#held-remainder")).to_contain_text("468.5 mg of lot IV-2407")
    page.locator("#held-remainder a", has_text="Waste remainder").click()
    assert page.input_value("#id_quantity_mg") == "468.5"
    page.select_option("#id_witness", str(staff["prescriber"].pk))
    page.fill("#id_witness_password", "demo-password-1")
    page.click("button:has-text('Record witnessed waste')")
    page.wait_for_url(f"{live_server.url}/inventory/")
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    expect(page.locator("#delivered-dose")).to_be_visible()
    expect(page.locator("#held-remainder")).to_have_count(0)
    # Too early: the infusion ended moments ago and the clinic observes 60 min after an IV infusion.
    expect(page.locator("button[data-move=ready_for_discharge]")).to_be_disabled()
    expect(page.locator("#why-ready_for_discharge")).to_contain_text("Not yet: Observed at least 60 min")
    expect(page.locator("#session-state")).to_have_text("Monitoring / observation")

    # Let 65 minutes of observation pass (the test cannot wait): move the session's dosing times back and
    # take one more set of vitals "now", as the nurse would before discharge.
    shift = dt.timedelta(minutes=65)
    s = DosingSession.objects.get(pk=session.pk)
    DosingSession.objects.filter(pk=s.pk).update(
        dosing_started_at=s.dosing_started_at - shift, dosing_ended_at=s.dosing_ended_at - shift
    )
    page.reload()
    enter_vitals(page, 128, 80, 72, 98, 14)
    move(page, "ready_for_discharge", "Ready for discharge")
    checklist = page.locator("#discharge-form")
    for name in ("alert_and_oriented", "steady_gait", "nausea_controlled", "escort_present"):
        checklist.locator(f"input[name={name}]").check()
    checklist.locator("input[name=escort_name]").fill("Sam Larkspur")
    checklist.locator("button[type=submit]").click()
    expect(page.locator("#discharge-criteria")).to_contain_text("Escort present")
    expect(page.locator("#discharge-criteria")).not_to_contain_text("not met")
    move(page, "discharged", "Discharged")

    page.locator("#note-generate button").click()
    expect(page.locator("#note-body")).to_contain_text("35.00 mg confirmed")
    expect(page.locator("#note-body")).to_contain_text("Delivered 31.5 mg of 35 mg confirmed")
    expect(page.locator("#note-body")).to_contain_text("Rate reduced")
    expect(page.locator("#note-sign-form")).to_have_count(0)  # nurses cannot sign

    # The prescriber signs; the note is then locked.
    page.click("text=Log out")
    login(page, live_server, "t_prescriber")
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    page.locator("#note-sign-form button").click()
    expect(page.locator("#note-signed")).to_be_visible()
    expect(page.locator("#note-generate")).to_have_count(0)
    note = SessionNote.objects.get(session=session)
    assert note.signed_by == staff["prescriber"] and "ALERT" in note.body
    assert DosingSession.objects.get(pk=session.pk).state == "discharged"
    # The ledger ties out: drawn 500 mg = administered 31.5 mg (the delivered dose) + wasted 468.5 mg.
    today = timezone.localdate()
    row = next(r for r in custody.reconciliation(today, today) if r.session.pk == session.pk)
    assert (row.drawn_mcg, row.administered_mcg, row.wasted_mcg) == (500_000, 31_500, 468_500)
    assert row.status == "Balanced"
