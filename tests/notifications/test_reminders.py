"""Appointment reminders at the clinic's set times before a dosing visit, by the patient's chosen channel: the
sweep finds them, the real worker sends them through a real SMTP server (or the SMS file backend)."""

import datetime as dt

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

VISIT = "2026-12-04T10:00"  # a Friday; the clock starts on Tuesday 2026-12-01 10:00


@pytest.fixture
def visit(make_patient, staff, clinic_clock, settings):
    """A dosing visit (IV ketamine) booked through the scheduling service for Friday 10:00, for a patient with an
    email address and a phone."""
    from ketamine_clinic.clinic.services import current_site
    from ketamine_clinic.demo.assessment import ready_for_planning
    from ketamine_clinic.plans import services as plans
    from ketamine_clinic.scheduling import services as scheduling
    from ketamine_clinic.scheduling.models import Chair

    settings.REMINDER_HOURS_BEFORE = (48, 2)
    site = current_site()
    site.name, site.address = "Harbour Street Clinic", "12 Harbour Street\nBoston, MA 02110"
    site.save()
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]], email="pat@example.test",
                           phone="+1 617 555 0101", with_login=True)
    ready_for_planning(staff["prescriber"], patient, "iv")
    plan = plans.create_plan(staff["prescriber"], patient, protocol_key="iv_racemic_standard",
                             start_date=dt.date(2026, 12, 4), session_time=dt.time(10, 0))
    return scheduling.book(
        staff["front_desk"], patient=patient, kind="dosing", starts_at=clinic_clock.local(VISIT), duration_min=120,
        plan=plan, chair=Chair.objects.create(name="Chair 1", room="Room 2", chair_type="infusion"),
    )


@pytest.fixture
def sweep_now(run_worker):
    """Queue a sweep due now and run the worker (the sweep queues its successor, not due yet)."""
    from ketamine_clinic.followup import sweep

    def run():
        sweep.sweep.enqueue()
        run_worker()

    return run


def test_the_reminder_arrives_48_hours_before_with_the_routes_preparation(visit, inbox, sweep_now, clinic_clock):
    from ketamine_clinic.core.protocols.route_texts import reminder_text

    clinic_clock.move_to("2026-12-02T09:58")
    sweep_now()
    assert inbox.to("pat@example.test") == []  # not yet: 48 hours before is Wednesday 10:00

    clinic_clock.move_to("2026-12-02T10:01")
    sweep_now()
    [mail] = inbox.to("pat@example.test")
    assert mail["Subject"] == "ketamine-clinic: appointment reminder"
    body = " ".join(inbox.body(mail).split())
    assert reminder_text("iv") in body
    assert "Friday 04 December 2026 at 10:00 at Harbour Street Clinic, 12 Harbour Street, Boston, MA 02110 (Room 2)" in body
    assert "http://127.0.0.1:8000/portal/appointments/" in body

    clinic_clock.move_to("2026-12-04T08:01")  # 2 hours before: the second reminder
    sweep_now()
    assert len(inbox.to("pat@example.test")) == 2


def test_the_sweep_run_twice_sends_once(visit, inbox, run_worker, clinic_clock):
    from ketamine_clinic.followup import sweep
    from ketamine_clinic.notifications.models import Message

    clinic_clock.move_to("2026-12-02T10:05")
    sweep.sweep.enqueue()
    sweep.sweep.enqueue()
    run_worker()
    assert len(inbox.to("pat@example.test")) == 1
    assert Message.objects.filter(kind="reminder").count() == 1
    # ... and exactly one sweep waits for its next turn.
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(task_path=sweep.sweep.module_path, status="READY").count() == 1


def test_an_opted_out_patient_gets_nothing(visit, inbox, sweep_now, clinic_clock, sms_dir):
    from ketamine_clinic.notifications import services
    from ketamine_clinic.notifications.models import Message

    services.set_reminder_channel(visit.patient.user, visit.patient, "none")
    clinic_clock.move_to("2026-12-02T10:05")
    sweep_now()
    clinic_clock.move_to("2026-12-04T08:05")
    sweep_now()
    assert inbox.messages == [] and not sms_dir.exists()
    assert not Message.objects.exists()


def test_a_cancelled_appointment_gets_nothing(visit, staff, inbox, sweep_now, clinic_clock):
    from ketamine_clinic.scheduling import services as scheduling

    scheduling.cancel(staff["front_desk"], visit, reason="Patient is travelling")
    clinic_clock.move_to("2026-12-02T10:05")
    sweep_now()
    assert inbox.messages == []


def test_a_moved_appointment_is_reminded_for_its_new_time(visit, staff, inbox, sweep_now, clinic_clock):
    from ketamine_clinic.scheduling import services as scheduling

    clinic_clock.move_to("2026-12-02T10:05")
    sweep_now()
    assert len(inbox.to("pat@example.test")) == 1
    # Moved by the desk to the next Tuesday: reminded again, for the new time.
    scheduling.reschedule(staff["front_desk"], visit, starts_at=clinic_clock.local("2026-12-08T11:00"),
                          reason="Patient asked")
    clinic_clock.move_to("2026-12-04T08:05")  # the old 2-hour reminder time: nothing
    sweep_now()
    assert len(inbox.to("pat@example.test")) == 1
    clinic_clock.move_to("2026-12-06T11:05")
    sweep_now()
    mails = inbox.to("pat@example.test")
    assert len(mails) == 2 and "Tuesday 08 December 2026 at 11:00" in inbox.body(mails[1])


def test_a_text_message_reminder_lands_in_the_sms_file(visit, inbox, sweep_now, clinic_clock, sms_dir):
    from ketamine_clinic.notifications import services
    from ketamine_clinic.notifications.models import Message

    services.set_reminder_channel(visit.patient.user, visit.patient, "sms")
    clinic_clock.move_to("2026-12-02T10:05")
    sweep_now()
    [text] = list(sms_dir.glob("*.txt"))
    content = text.read_text()
    assert "To: +1 617 555 0101" in content
    assert "Friday 04 December 2026 at 10:00 at Harbour Street Clinic (Room 2). See the portal" in content
    for clinical in ("eat", "drink", "ketamine ", "esketamine", "dose", "drive"):
        assert clinical not in content.split("\n\n", 1)[1].lower().replace("ketamine-clinic", "")
    message = Message.objects.get()
    assert message.channel == "sms" and message.status == "sent" and message.provider_id == text.stem
    assert inbox.messages == []
