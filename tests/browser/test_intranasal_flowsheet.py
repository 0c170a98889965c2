"""An esketamine (intranasal) session through the real flowsheet pages, up to the end of dosing (the 2-hour
discharge is tests/browser/test_esketamine_discharge.py): check-in, the pre-dose checks of a woman of 40 (no
weight needed for the fixed dose, the pregnancy test asked for and first missing), the baseline, the dose by
devices with the two-person check (a wrong second-checker password refused first, nothing drawn), dosing held
until the pregnancy result is recorded, then the devices actually used at the end (more than were drawn
refused with the number kept; one of two accepted) and the ledger's administered entry and held remainder.

Only the booking, the plan and the patient's pre-dose questionnaires are set up through the services, in the
past; every step of the nurse's happens on the page, at the real time."""

import datetime as dt
import importlib.util
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

_spec = importlib.util.spec_from_file_location(
    "sessions_test_helpers", Path(__file__).resolve().parents[1] / "sessions" / "conftest.py"
)
session_helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(session_helpers)


@pytest.fixture
def nasal_booked(settings, staff, make_patient):
    """A woman of 40 ready for esketamine, booked in a recliner with the nurse from 3 minutes ago; her PHQ-9 and
    C-SSRS screener scored 20 minutes ago; a stock lot of 28 mg devices in the safe."""
    from ketamine_clinic.demo.assessment import ready_for_planning
    from ketamine_clinic.plans import services as plans
    from ketamine_clinic.scheduling import services as scheduling
    from ketamine_clinic.scheduling.models import Chair
    from ketamine_clinic.sessions import services

    settings.CLINIC_CALENDAR = {"open_weekdays": [0, 1, 2, 3, 4, 5, 6]}
    now = timezone.now()
    nurse = staff["nurse"]
    patient = make_patient(
        care_team=[staff["prescriber"], nurse], last_name="Nasalia", sex="female", date_of_birth=dt.date(1985, 5, 17)
    )
    ready_for_planning(staff["prescriber"], patient, "intranasal")
    plans.create_plan(
        staff["prescriber"], patient, protocol_key="esketamine_label",
        start_date=timezone.localdate(now - dt.timedelta(minutes=30)),
    )
    chair = Chair.objects.create(name="Recliner 5", room="Nasal suite", chair_type="recliner")
    appointment = scheduling.book_session_now(
        nurse, patient, route="intranasal", chair=chair, staff=nurse, starts_at=now - dt.timedelta(minutes=3)
    )
    session, _ = services.session_for_appointment(appointment, user=nurse)
    lot = session_helpers.stock_lot("intranasal")
    from ketamine_clinic.outcomes import services as outcomes

    for instrument, n in (("phq9", 9), ("cssrs_screener", 7)):
        outcomes.record_measure_response(
            patient=patient, instrument=instrument, answers=[0] * n, user=nurse,
            taken_at=now - dt.timedelta(minutes=20),
        )
    return session, lot


def move(page, target, expected_label):
    page.click(f"button[data-move={target}]")
    expect(page.locator("#session-state")).to_have_text(expected_label)


@pytest.mark.django_db(transaction=True)
def test_nurse_runs_an_intranasal_session_by_devices(page, live_server, login, staff, nasal_booked):
    from ketamine_clinic.inventory.models import LedgerEntry
    from ketamine_clinic.sessions.models import DosingSession

    session, lot = nasal_booked
    login(page, live_server, "t_nurse")
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    move(page, "checked_in", "Checked in")
    move(page, "pre_dose_checks", "Pre-dose checks")

    # Pre-dose checks without the pregnancy result: the checklist asks for it; the fixed dose needs no weight.
    form = page.locator("#predose-form")
    form.locator("select[name=fasting_confirmed]").select_option("yes")
    form.locator("select[name=escort_confirmed]").select_option("yes")
    form.locator("input[name=escort_name]").fill("Robin Nasalia")
    form.locator("button[type=submit]").click()
    findings = page.locator("#predose-findings")
    expect(findings).to_contain_text("Escort / ride home confirmed.")
    expect(findings).to_contain_text("Fixed dose: weight not needed for the dose.")
    expect(findings).to_contain_text("Record the pregnancy test result.")
    vitals = page.locator("#vitals-form")
    for name, value in (("sbp", 128), ("dbp", 80), ("hr", 72), ("spo2", 98), ("rr", 14)):
        vitals.locator(f"input[name={name}]").fill(str(value))
    vitals.locator("button[type=submit]").click()
    expect(page.locator("#baseline")).to_contain_text("BP 128/80")

    # The dose by devices, with the two-person check: a wrong password of the second checker draws nothing.
    expect(page.locator("#dose")).to_contain_text("2 nasal devices of 28 mg, 5 minutes apart.")
    dose = page.locator("#dose-form")
    dose.locator("input[name=dose_mg]").fill("56")
    dose.locator("select[name=lot_id]").select_option(str(lot.pk))
    dose.locator("select[name=second_checker]").select_option(str(staff["prescriber"].pk))
    dose.locator("input[name=second_checker_password]").fill("not-her-password")
    dose.locator("button[type=submit]").click()
    expect(page.locator("#flowsheet-error")).to_contain_text("password")
    expect(page.locator("#confirmed-dose")).to_have_count(0)
    assert not LedgerEntry.objects.filter(kind="drawn").exists()
    dose = page.locator("#dose-form")
    expect(dose.locator("input[name=dose_mg]")).to_have_value("56")  # what was typed is kept
    dose.locator("select[name=lot_id]").select_option(str(lot.pk))
    dose.locator("select[name=second_checker]").select_option(str(staff["prescriber"].pk))
    dose.locator("input[name=second_checker_password]").fill("demo-password-1")
    dose.locator("button[type=submit]").click()
    expect(page.locator("#confirmed-dose")).to_contain_text("56.00 mg")
    drawn = LedgerEntry.objects.get(kind="drawn")
    assert (drawn.session_id, drawn.quantity_mcg, drawn.lot_id) == (session.pk, 56_000, lot.pk)  # two devices

    # Dosing waits for the pregnancy result; a negative test recorded on the form lets it start.
    # The nurse cannot pass the gate: the action is disabled, with the reason beside it (and named as an action).
    start = page.locator("button[data-move=dosing]")
    expect(start).to_have_text("Start dosing")
    expect(start).to_be_disabled()
    expect(page.locator("#why-dosing")).to_have_text("Not yet: Record the pregnancy test result.")
    expect(page.locator("#session-state")).to_have_text("Pre-dose checks")
    form = page.locator("#predose-form")
    form.locator("select[name=pregnancy_test]").select_option("negative")
    form.locator("button[type=submit]").click()
    expect(page.locator("#predose-findings")).to_contain_text("Pregnancy test negative.")
    move(page, "dosing", "Dosing")

    # End of dosing: the nurse counts the devices used. Three (more than were drawn) is refused and kept on the
    # form; one (the patient stopped after the first device) is recorded as a partial dose.
    end = page.locator("#delivery-monitoring")
    expect(end).to_contain_text("of 2")
    end.locator("input[name=devices_used]").fill("3")
    page.click("button[data-move=monitoring]")
    expect(page.locator("#flowsheet-error")).to_contain_text("3 devices is more than the 2 confirmed")
    expect(page.locator("#session-state")).to_have_text("Dosing")
    expect(page.locator("#delivery-monitoring input[name=devices_used]")).to_have_value("3")
    page.locator("#delivery-monitoring input[name=devices_used]").fill("1")
    move(page, "monitoring", "Monitoring / observation")
    expect(page.locator("#delivered-dose")).to_contain_text("Delivered 28.00 mg of 56.00 mg confirmed")
    expect(page.locator("#delivered-dose")).to_contain_text("1 of 2 nasal devices used")
    expect(page.locator("#held-remainder")).to_contain_text(f"of lot {lot.lot_number}")

    session = DosingSession.objects.get(pk=session.pk)
    assert (session.state, session.pregnancy_test, str(session.delivered_mg)) == ("monitoring", "negative", "28.00")
    given = LedgerEntry.objects.get(kind="administered")
    assert (given.session_id, given.quantity_mcg) == (session.pk, 28_000)
