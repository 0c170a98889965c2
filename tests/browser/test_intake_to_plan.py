"""A new patient through the real pages: register, intake with screening, prescriber's decision, consent,
IV plan from the protocol template, generated schedule. Planning is first refused while consent is missing."""

import datetime as dt

import pytest
from playwright.sync_api import expect


@pytest.fixture
def clinic(staff):
    from ketamine_clinic.demo.assessment import ensure_consent_documents
    from ketamine_clinic.scheduling.models import Chair

    ensure_consent_documents(staff["director"])
    Chair.objects.create(name="Chair 1", room="Infusion suite")
    Chair.objects.create(name="Chair 2", room="Infusion suite")
    return staff


def test_new_patient_from_intake_to_generated_schedule(page, live_server, login, clinic, clinic_clock):
    from ketamine_clinic.assessment.models import SCREENING_FIELDS, IntakeAssessment
    from ketamine_clinic.patients.models import Patient
    from ketamine_clinic.scheduling.models import Appointment

    # The clinic's Tuesday morning; the form's times are New York wall-clock times.
    clinic_clock.move_to("2026-12-01T10:00")
    login(page, live_server, "t_prescriber")

    # Register the patient (the prescriber joins the care team).
    page.goto(f"{live_server.url}/patients/new/")
    page.fill("#id_mrn", "BRW001")
    page.fill("#id_first_name", "Sky")
    page.fill("#id_last_name", "Browserton")
    page.fill("#id_date_of_birth", "1980-04-02")
    page.select_option("#id_sex", "female")
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/patients/*/")
    patient = Patient.objects.get(mrn="BRW001")

    # Intake: history, vitals, and every screening question answered "No".
    page.goto(f"{live_server.url}/assessment/patient/{patient.pk}/")
    page.click("#start-intake")
    page.fill("#id_presenting_problem", "Recurrent major depression; two failed antidepressants")
    page.fill("#id_current_medications", "Sertraline 150 mg daily")
    page.fill("#id_systolic_bp_mmhg", "126")
    page.fill("#id_diastolic_bp_mmhg", "80")
    page.fill("#id_heart_rate_bpm", "72")
    page.fill("#id_spo2_percent", "98")
    page.fill("#id_weight_kg", "64")
    page.fill("#id_vitals_taken_at", "2026-12-01T09:45")
    for name in SCREENING_FIELDS:
        if name != "hypertension_controlled":
            page.check(f"input[name={name}][value=false]")
    page.click("#intake-form button[type=submit]")
    # No previous treatments recorded yet: short of the treatment-resistance definition is a caution (issue 12).
    expect(page.locator("#screening-status")).to_have_text("Eligible with cautions")
    intake = IntakeAssessment.objects.get(patient=patient)
    assert intake.vitals_taken_at == clinic_clock.local("2026-12-01T09:45")  # read as clinic time, not UTC

    # Planning is refused until the decision and consent exist, with a message saying so.
    page.goto(f"{live_server.url}/plans/patient/{patient.pk}/new/?route=iv")
    expect(page.locator("#planning-blocked")).to_contain_text("No prescriber decision to proceed")
    expect(page.locator("#planning-blocked")).to_contain_text("has not acknowledged the current consent")
    expect(page.locator("#planning-blocked")).to_contain_text("No PDMP check is recorded")

    # The prescriber's decision.
    page.goto(f"{live_server.url}/assessment/patient/{patient.pk}/")
    page.click("#record-decision")
    page.check("input[name=decision][value=proceed]")
    page.fill("#id_rationale", "Treatment-resistant depression, no contraindication on screening.")
    page.fill("#id_override_reason", "Two failed antidepressant trials per referral letter; to be recorded.")
    page.click("#decision-form button[type=submit]")
    expect(page.locator("#decision")).to_contain_text("Proceed to treatment planning")

    # Consent to IV ketamine: a wrong name is refused, the right one recorded.
    page.click("#consent-iv")
    page.check("#id_understood")
    page.fill("#id_typed_name", "Sky Someone")
    page.click("#consent-form button[type=submit]")
    expect(page.locator("#consent-form")).to_contain_text(
        "Type the patient's full name exactly as registered"
    )
    page.check("#id_understood")
    page.fill("#id_typed_name", "Sky Browserton")
    page.click("#consent-form button[type=submit]")
    expect(page.locator("#consent")).to_contain_text("Consented")

    # The PDMP check, on the Plan tab: a check found concerns must say what; then it is recorded.
    page.click("nav.tabs >> text=Plan")
    expect(page.locator("#pdmp-needed")).to_contain_text("No PDMP check is recorded")
    page.fill("#id_checked_on", clinic_clock.today().isoformat())
    page.fill("#id_state", "ny")
    page.check("input[name=result][value=concerns]")
    page.click("#pdmp-form button[type=submit]")
    expect(page.locator("#pdmp-form")).to_contain_text("Describe what the PDMP showed")
    page.check("input[name=result][value=no_concerns]")
    page.click("#pdmp-form button[type=submit]")
    expect(page.locator("#pdmp-latest")).to_contain_text("in NY")
    expect(page.locator("#pdmp-latest")).to_contain_text("No concerns")

    # Plan from the IV template, starting next Monday.
    page.click("#new-plan-iv")
    today = clinic_clock.today()
    monday = today + dt.timedelta(days=7 - today.weekday())
    assert monday == dt.date(2026, 12, 7)
    page.select_option("#id_protocol_key", "iv_racemic_standard")
    page.fill("#id_start_date", monday.isoformat())
    page.fill("#id_session_time", "09:00")
    page.click("#plan-form button[type=submit]")
    expect(page.locator("#plan-dose")).to_contain_text("0.5 mg/kg")
    expect(page.locator("#plan-dose")).to_contain_text("32.0 mg at 64.0 kg")

    # Generate the schedule and see it on the plan page.
    page.click("#generate-appointments")
    rows = page.locator("#plan-appointments tbody tr")
    expect(rows.first).to_contain_text("Dosing session")
    expect(page.locator("#plan-appointments")).to_contain_text("Integration")
    dosing = Appointment.objects.filter(patient=patient, kind="dosing").order_by("starts_at")
    assert dosing.count() == 13
    assert dosing.first().starts_at.date() >= monday - dt.timedelta(days=1)
    expect(page.locator("#plan-appointments")).to_contain_text(monday.strftime("%Y-%m-%d") + " 09:00")
    assert rows.count() == Appointment.objects.filter(patient=patient).count()
