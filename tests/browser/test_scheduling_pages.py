"""Booking, moving and cancelling a dosing visit through the real scheduling pages, as the nurse does: the chair
already taken is refused with the message (nothing booked), the visit is booked, moved to the next day (a
reason is required: held back without one, the new time kept) and then cancelled with a reason; the history of
changes and the day views follow."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect


def next_monday() -> dt.date:
    today = timezone.localdate()
    return today + dt.timedelta(days=7 - today.weekday())


@pytest.mark.django_db(transaction=True)
def test_nurse_books_moves_and_cancels_a_dosing_visit(page, live_server, login, staff, make_patient):
    from ketamine_clinic.demo.assessment import ready_for_planning
    from ketamine_clinic.plans import services as plans
    from ketamine_clinic.scheduling import services as scheduling
    from ketamine_clinic.scheduling.models import Appointment, AppointmentChange, Chair

    monday = next_monday()
    tuesday = monday + dt.timedelta(days=1)
    patients = []
    for name in ("Booker", "Other"):
        p = make_patient(care_team=[staff["nurse"], staff["prescriber"]], last_name=name)
        ready_for_planning(staff["prescriber"], p, "iv")
        plans.create_plan(staff["prescriber"], p, protocol_key="iv_racemic_standard", start_date=monday)
        patients.append(p)
    patient, other = patients
    chair = Chair.objects.create(name="Chair 9", room="Suite C")
    scheduling.book(
        staff["other_nurse"], patient=other, kind="dosing", duration_min=120, chair=chair,
        starts_at=timezone.make_aware(dt.datetime.combine(monday, dt.time(10, 0))),
    )

    login(page, live_server, "t_nurse")
    page.goto(f"{live_server.url}/schedule/patient/{patient.pk}/")
    form = page.locator("#book-form")
    form.locator("select[name=kind]").select_option("dosing")
    form.locator("input[name=starts_at]").fill(f"{monday:%Y-%m-%d}T11:00")
    form.locator("input[name=duration_min]").fill("120")
    form.locator("select[name=chair]").select_option(str(chair.pk))
    form.locator("select[name=staff]").select_option(str(staff["nurse"].pk))
    form.locator("button[type=submit]").click()
    expect(page.locator("#book-form")).to_contain_text("Chair 9 is already booked")
    assert not Appointment.objects.filter(patient=patient).exists()
    page.locator("#book-form input[name=starts_at]").fill(f"{monday:%Y-%m-%d}T13:00")
    page.locator("#book-form button[type=submit]").click()
    row = page.locator("#appointments tbody tr", has_text="Dosing session")
    expect(row).to_contain_text(f"{monday:%Y-%m-%d} 13:00 (120 min)")
    expect(row).to_contain_text("Booked")
    appointment = Appointment.objects.get(patient=patient)

    # Move it to Tuesday: without a reason the page refuses and keeps the new time typed.
    row.locator("a", has_text="move").click()
    page.wait_for_url(f"**/schedule/appointment/{appointment.pk}/reschedule/")
    page.fill("input[name=starts_at]", f"{tuesday:%Y-%m-%d}T09:00")
    page.click("main button:has-text('Reschedule')")
    # The reason is a required field: the browser holds the form back, nothing is moved, the new time stays typed.
    expect(page.locator("input[name=reason]:invalid")).to_have_count(1)
    expect(page.locator("input[name=starts_at]")).to_have_value(f"{tuesday:%Y-%m-%d}T09:00")
    assert not AppointmentChange.objects.exists()
    page.fill("input[name=reason]", "Patient asked for a morning slot")
    page.click("main button:has-text('Reschedule')")
    expect(page.locator(".messages")).to_contain_text("Appointment moved.")
    row = page.locator("#appointments tbody tr", has_text="Dosing session")
    expect(row).to_contain_text(f"{tuesday:%Y-%m-%d} 09:00")
    change = AppointmentChange.objects.get(appointment=appointment, kind="reschedule")
    assert change.reason == "Patient asked for a morning slot"
    assert timezone.localtime(change.new_starts_at).replace(tzinfo=None) == dt.datetime.combine(tuesday, dt.time(9))

    # Tuesday's day view shows it in Chair 9; cancel it from there with a reason.
    page.goto(f"{live_server.url}/schedule/day/?date={tuesday:%Y-%m-%d}")
    visit = page.locator("#day-chairs tr", has_text="Chair 9").locator(".appt", has_text="Booker")
    expect(visit).to_contain_text("09:00–11:00")
    visit.locator("a", has_text="cancel").click()
    page.wait_for_url(f"**/schedule/appointment/{appointment.pk}/cancel/")
    page.fill("input[name=reason]", "Unwell today, will call back")
    page.click("main button:has-text('Cancel')")
    expect(page.locator(".messages")).to_contain_text("Appointment cancelled.")
    row = page.locator("#appointments tbody tr", has_text="Dosing session")
    expect(row).to_contain_text("Cancelled")
    expect(row).to_contain_text("(Unwell today, will call back)")
    expect(row.locator("a", has_text="move")).to_have_count(0)
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    # Monday shows only the other patient now: the visit moved away from it.
    page.goto(f"{live_server.url}/schedule/day/?date={monday:%Y-%m-%d}")
    expect(page.locator("#day-chairs")).to_contain_text("Other")
    expect(page.locator("#day-chairs")).not_to_contain_text("Booker")
