"""Esketamine (intranasal) discharge in the browser: the label asks for at least 2 hours' observation after the
dose. Two sessions are booked and walked through the services on an explicit past timeline (booking, check-in,
pre-dose checks, dose confirmation with the double check, dosing, end of dosing): the first ended its dosing
100 minutes ago and the nurse's "Ready for discharge" is refused on the page; the second ended 125 minutes ago
and its nurse moves it on, fills the discharge checklist and discharges the patient.

The test never moves the machine clock nor updates the models directly: the past times are given to the
services, which refuse times in the future and times before the step they follow."""

import datetime as dt
import importlib.util
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

# The sessions app's test helpers (plain functions in its conftest), loaded by path as the inventory tests do.
_spec = importlib.util.spec_from_file_location(
    "sessions_test_helpers", Path(__file__).resolve().parents[1] / "sessions" / "conftest.py"
)
session_helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(session_helpers)


@pytest.fixture
def open_every_day(settings):
    # The sessions are booked in the last few hours, whatever the weekday the suite runs on.
    settings.CLINIC_CALENDAR = {"open_weekdays": [0, 1, 2, 3, 4, 5, 6]}


def nasal_session_ended(staff, make_patient, *, nurse, chair_name, last_name, ended_minutes_ago, now):
    """An esketamine session whose last device was given ``ended_minutes_ago`` before ``now``, through the
    services: a patient ready for dosing (intake, decision to proceed, consent, an active esketamine plan), the
    chair and nurse booked (every booking rule), its session, then the nurse's steps at past times."""
    from ketamine_clinic.demo.assessment import ready_for_planning
    from ketamine_clinic.plans import services as plans
    from ketamine_clinic.scheduling import services as scheduling
    from ketamine_clinic.scheduling.models import Chair
    from ketamine_clinic.sessions import services

    patient = make_patient(care_team=[staff["prescriber"], nurse], last_name=last_name, sex="male")
    ready_for_planning(staff["prescriber"], patient, "intranasal")
    plans.create_plan(
        staff["prescriber"], patient, protocol_key="esketamine_label", start_date=timezone.localdate(now)
    )
    ended = now - dt.timedelta(minutes=ended_minutes_ago)
    dosing_started = ended - dt.timedelta(minutes=5)  # two devices, 5 minutes apart
    checked_in = dosing_started - dt.timedelta(minutes=10)
    chair = Chair.objects.create(name=chair_name, room="Nasal suite", chair_type="recliner")
    appointment = scheduling.book_session_now(
        nurse, patient, route="intranasal", chair=chair, staff=nurse,
        starts_at=checked_in - dt.timedelta(minutes=2),
    )
    session, created = services.session_for_appointment(appointment, user=nurse)
    assert created and session.route == "intranasal"

    session_helpers.stock_lot("intranasal")
    session_helpers.ready_pre_dose(session, nurse, at=checked_in)  # check-in .. measures, at +0..+4 min
    session_helpers.confirm_dose(session, nurse, dose_mg=56, now=dosing_started - dt.timedelta(minutes=3))
    services.transition(session, "dosing", user=nurse, version=session.version, now=dosing_started)
    services.transition(session, "monitoring", user=nurse, version=session.version, now=ended)
    # The label's blood-pressure check about 40 minutes after the dose.
    services.record_reading(
        session, user=nurse, idempotency_key=session_helpers.key(),
        values={"sbp": 134, "dbp": 84, "hr": 76, "spo2": 98, "rr": 14},
        taken_at=dosing_started + dt.timedelta(minutes=40),
    )
    session.refresh_from_db()
    assert (session.state, session.dosing_ended_at) == ("monitoring", ended)
    return session


def enter_vitals(page, sbp, dbp, hr, spo2, rr):
    rows = page.locator("#vitals-table tbody tr")
    count = rows.count() if page.locator("#vitals-table").count() else 0
    form = page.locator("#vitals-form")
    for name, value in (("sbp", sbp), ("dbp", dbp), ("hr", hr), ("spo2", spo2), ("rr", rr)):
        form.locator(f"input[name={name}]").fill(str(value))
    form.locator("button[type=submit]").click()
    expect(page.locator("#vitals-table tbody tr")).to_have_count(count + 1)


def move(page, target, expected_label):
    page.click(f"button[data-move={target}]")
    expect(page.locator("#session-state")).to_have_text(expected_label)


@pytest.mark.django_db(transaction=True)
def test_esketamine_discharge_waits_for_two_hours(page, live_server, login, staff, make_patient, open_every_day):
    from ketamine_clinic.sessions.models import DischargeChecklist, DosingSession

    now = timezone.now()
    early = nasal_session_ended(
        staff, make_patient, nurse=staff["nurse"], chair_name="Recliner 1", last_name="Early",
        ended_minutes_ago=100, now=now,
    )
    # The second patient sits in another recliner with another nurse (a nurse runs one session at a time).
    due = nasal_session_ended(
        staff, make_patient, nurse=staff["other_nurse"], chair_name="Recliner 2", last_name="Due",
        ended_minutes_ago=125, now=now,
    )

    # 100 minutes after the last device: a fresh reading, then "Ready for discharge" is refused.
    login(page, live_server, "t_nurse")
    page.goto(f"{live_server.url}/sessions/{early.pk}/")
    expect(page.locator("#session-state")).to_have_text("Monitoring / observation")
    enter_vitals(page, 128, 80, 72, 98, 14)
    ready_button = page.locator("button[data-move=ready_for_discharge]")
    expect(ready_button).to_have_text("Mark ready for discharge")
    expect(ready_button).to_be_disabled()  # the nurse cannot pass the minimum observation: the reason is beside it
    expect(page.locator("#why-ready_for_discharge")).to_contain_text("Not yet: Observed at least 120 min")
    expect(page.locator("#session-state")).to_have_text("Monitoring / observation")
    expect(page.locator("button[data-move=discharged]")).to_have_count(0)
    early.refresh_from_db()
    assert early.state == "monitoring"
    assert early.vitalsreadings.filter(is_baseline=False).count() == 2

    # 125 minutes after the last device: the second patient's nurse moves on and discharges.
    page.click("text=Log out")
    login(page, live_server, "t_other_nurse")
    page.goto(f"{live_server.url}/sessions/{due.pk}/")
    expect(page.locator("#session-state")).to_have_text("Monitoring / observation")
    enter_vitals(page, 126, 80, 70, 98, 14)
    move(page, "ready_for_discharge", "Ready for discharge")
    expect(page.locator("#discharge-criteria")).to_contain_text("not met")  # the checklist is still empty
    checklist = page.locator("#discharge-form")
    for name in ("alert_and_oriented", "steady_gait", "nausea_controlled", "escort_present"):
        checklist.locator(f"input[name={name}]").check()
    checklist.locator("input[name=escort_name]").fill("Robin Due")
    checklist.locator("button[type=submit]").click()
    expect(page.locator("#discharge-criteria")).to_contain_text("Escort present")
    expect(page.locator("#discharge-criteria")).not_to_contain_text("not met")
    move(page, "discharged", "Discharged")

    due = DosingSession.objects.get(pk=due.pk)
    assert due.state == "discharged"
    assert due.discharged_at - due.dosing_ended_at >= dt.timedelta(minutes=120)
    assert DischargeChecklist.objects.get(session=due).escort_present
    assert DosingSession.objects.get(pk=early.pk).state == "monitoring"
