"""The SPRAVATO REMS Patient Monitoring Form in the browser: the nurse finishes an esketamine session and finds the
form pre-filled from the record; the prescriber's signature is refused until the form is complete; the nurse
confirms the answers, the prescriber confirms the evaluation answer and signs the note; the PDF holds the lot
and the blood pressures (read back with pdftotext)."""

import importlib.util
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

_spec = importlib.util.spec_from_file_location(
    "esketamine_discharge_steps", Path(__file__).resolve().parent / "test_esketamine_discharge.py"
)
steps = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(steps)
open_every_day = steps.open_every_day


@pytest.mark.django_db(transaction=True)
def test_nurse_and_prescriber_complete_the_rems_form(page, live_server, login, staff, make_patient, open_every_day,
                                                     tmp_path):
    from ketamine_clinic.clinic import services as clinic_services
    from ketamine_clinic.sessions.models import RemsForm, SessionNote

    site = clinic_services.current_site()
    clinic_services.update_site(staff["director"], site, phone="+1 212 555 0100", address="1 Test Street\nSpringfield")
    staff["nurse"].email = "nurse@example.org"
    staff["nurse"].save(update_fields=["email"])
    session = steps.nasal_session_ended(
        staff, make_patient, nurse=staff["nurse"], chair_name="Recliner 1", last_name="Rems",
        ended_minutes_ago=125, now=timezone.now(),
    )
    lot_number = RemsForm._meta.apps.get_model("inventory", "Lot").objects.get(pk=session.lot_id).lot_number

    login(page, live_server, "t_nurse")
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    steps.enter_vitals(page, 126, 80, 70, 98, 14)
    steps.move(page, "ready_for_discharge", "Ready for discharge")
    checklist = page.locator("#discharge-form")
    for name in ("alert_and_oriented", "steady_gait", "nausea_controlled", "escort_present"):
        checklist.locator(f"input[name={name}]").check()
    checklist.locator("input[name=escort_name]").fill("Robin Rems")
    checklist.locator("button[type=submit]").click()
    steps.move(page, "discharged", "Discharged")
    page.click("#note-generate button")
    expect(page.locator("#note-body")).to_be_visible()

    # The form, pre-filled from the record: the lot, the three blood pressures, the nurse's answers still to give.
    page.click("#rems-link a")
    expect(page.locator("#rems-lot")).to_have_text(lot_number)
    expect(page.locator("#rems-bp-40")).to_have_text("134/84")
    expect(page.locator("#rems-bp-end")).to_have_text("126/80")
    expect(page.locator("#rems-missing")).to_contain_text("concomitant medications confirmed by the nurse")
    expect(page.locator("select[name=sedation]")).to_have_value("no")  # the chart's suggestion, to confirm
    page.click("#rems-answers-form button[type=submit]")
    expect(page.locator("#rems-missing")).not_to_contain_text("concomitant medications")
    expect(page.locator("#rems-missing")).to_contain_text("REMS evaluation answer confirmed by the prescriber")
    expect(page.locator("#rems-evaluation-form")).to_have_count(0)  # the nurse does not confirm it
    page.click("text=Log out")

    # The prescriber: signing is refused with the missing field named; the answer confirmed; then signed.
    login(page, live_server, "t_prescriber")
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    page.click("#note-sign-form button")
    expect(page.locator("#flowsheet-messages")).to_contain_text("REMS evaluation answer confirmed by the prescriber")
    assert not SessionNote.objects.get(session=session).is_signed
    page.goto(f"{live_server.url}/sessions/{session.pk}/rems/")
    field = page.locator("#id_evaluation_minutes")
    suggested = field.input_value()
    assert suggested == "" or int(suggested) > 0
    field.fill("95")
    page.click("#rems-evaluation-form button[type=submit]")
    expect(page.locator("#rems-evaluation-confirmed")).to_contain_text("95 min")
    expect(page.locator("#rems-complete")).to_be_visible()
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    page.click("#note-sign-form button")
    expect(page.locator("#note-signed")).to_be_visible()

    # The PDF, as a clinic would fax it.
    page.goto(f"{live_server.url}/sessions/{session.pk}/rems/")
    expect(page.locator("#rems-signed")).to_be_visible()
    answer = page.request.get(f"{live_server.url}/sessions/{session.pk}/rems/form.pdf")
    assert answer.ok and answer.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "form.pdf"
    pdf.write_bytes(answer.body())
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split())
    for expected in (lot_number, "134/84 mmHg", "126/80 mmHg", "95 minutes", "Signed with the session note"):
        assert expected in text
