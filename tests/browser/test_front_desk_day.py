"""The front desk's day through the real pages: register a new patient (a duplicate MRN refused first, with
everything typed kept), book her assessment visit with the prescriber (a clashing second visit refused with a
message, nothing booked), then find both on the day view for that date, by chair and by staff member."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect


def next_tuesday() -> dt.date:
    """A Tuesday 2-8 days ahead in the clinic's time zone (the default calendar is open Monday to Friday)."""
    today = timezone.localdate()
    return today + dt.timedelta(days=7 - today.weekday() + 1)


@pytest.mark.django_db(transaction=True)
def test_front_desk_registers_books_and_sees_the_day(page, live_server, login, staff, make_patient):
    from ketamine_clinic.patients.models import Patient
    from ketamine_clinic.scheduling.models import Appointment, Chair

    make_patient(mrn="FD-0001", last_name="Existing")
    room = Chair.objects.create(name="Consult room", room="Front", chair_type="recliner")
    day = next_tuesday()
    login(page, live_server, "t_front_desk")

    # Register: the MRN is taken, so the form comes back with the message and every field as typed.
    page.goto(f"{live_server.url}/patients/")
    page.click("text=Register patient")
    page.fill("#id_mrn", "FD-0001")
    page.fill("#id_first_name", "Marisol")
    page.fill("#id_last_name", "Quintero")
    page.fill("#id_date_of_birth", "1979-08-30")
    page.select_option("#id_sex", "female")
    page.fill("#id_phone", "202 555 0142")
    page.click("main button:has-text('Save')")
    expect(page.locator("main form")).to_contain_text("already exists")
    expect(page.locator("#id_last_name")).to_have_value("Quintero")
    expect(page.locator("#id_date_of_birth")).to_have_value("1979-08-30")
    expect(page.locator("#id_phone")).to_have_value("202 555 0142")
    page.fill("#id_mrn", "FD-0002")
    page.click("main button:has-text('Save')")
    expect(page.locator(".messages")).to_contain_text("Registered Marisol Quintero (FD-0002)")
    patient = Patient.objects.get(mrn="FD-0002")
    assert (patient.last_name, patient.date_of_birth, patient.sex) == ("Quintero", dt.date(1979, 8, 30), "female")

    # Book her assessment with the prescriber from the chart's Appointments tab.
    page.locator("nav.tabs a", has_text="Appointments").click()
    page.wait_for_url(f"**/schedule/patient/{patient.pk}/")
    expect(page.locator("#appointments")).to_contain_text("No appointments.")
    form = page.locator("#book-form")
    form.locator("select[name=kind]").select_option("consult")
    form.locator("input[name=starts_at]").fill(f"{day:%Y-%m-%d}T10:00")
    form.locator("input[name=duration_min]").fill("45")
    form.locator("select[name=staff]").select_option(str(staff["prescriber"].pk))
    form.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("Booked")
    expect(page.locator("#appointments")).to_contain_text(f"{day:%Y-%m-%d} 10:00 (45 min)")
    expect(page.locator("#appointments")).to_contain_text("Prescriber consultation")

    # A second visit overlapping the first is refused on the page: the message, the typed time kept, nothing saved.
    form = page.locator("#book-form")
    form.locator("select[name=kind]").select_option("assessment")
    form.locator("input[name=starts_at]").fill(f"{day:%Y-%m-%d}T10:30")
    form.locator("input[name=duration_min]").fill("60")
    form.locator("select[name=chair]").select_option(str(room.pk))
    form.locator("button[type=submit]").click()
    expect(page.locator("#book-form")).to_contain_text("The patient already has")
    expect(page.locator("#book-form input[name=starts_at]")).to_have_value(f"{day:%Y-%m-%d}T10:30")
    assert Appointment.objects.filter(patient=patient).count() == 1
    page.locator("#book-form input[name=starts_at]").fill(f"{day:%Y-%m-%d}T11:00")
    page.locator("#book-form button[type=submit]").click()
    expect(page.locator("#appointments tbody tr")).to_have_count(2)

    # The day view, reached by its date field: the visits by chair (and "No chair") and by staff member.
    page.goto(f"{live_server.url}/schedule/day/")
    page.fill("input[name=date]", day.isoformat())
    page.click("button:has-text('Go')")
    expect(page.locator("h1")).to_contain_text(day.isoformat())
    chairs = page.locator("#day-chairs")
    consult_room = chairs.locator("tr", has_text="Consult room")
    expect(consult_room).to_contain_text("11:00")
    expect(consult_room).to_contain_text("Quintero, Marisol")
    expect(consult_room).to_contain_text("Assessment")
    no_chair = chairs.locator("tr", has_text="No chair")
    expect(no_chair).to_contain_text("10:00–10:45")
    expect(no_chair).to_contain_text("Prescriber consultation")
    expect(page.locator("#day-staff")).to_contain_text("10:00 Prescriber consultation (Quintero)")
    # The day before shows neither.
    page.click("text=previous day")
    expect(page.locator("h1")).to_contain_text((day - dt.timedelta(days=1)).isoformat())
    expect(page.locator("#day-chairs")).not_to_contain_text("Quintero")
