"""Daily digests: what waits for each member of staff, once a day at DIGEST_AT on open days, through the real
worker and SMTP server; the sources are a list another work list can join."""

import datetime as dt

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

SUBJECT = "ketamine-clinic: your daily digest"


@pytest.fixture
def waiting(make_patient, staff, settings, clinic_clock):
    """An unsigned session note of the prescriber's, and a safe with no count today."""
    from ketamine_clinic.inventory.models import StorageLocation
    from ketamine_clinic.sessions.models import DosingSession, SessionNote

    settings.DIGEST_AT = dt.time(17, 0)
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]], first_name="Ottoline")
    session = DosingSession.objects.create(patient=patient, route="iv", scheduled_for=clinic_clock.now(),
                                           prescriber=staff["prescriber"], state="discharged")
    SessionNote.objects.create(session=session, body="Synthetic note", generated_at=clinic_clock.now(),
                               generated_by=staff["nurse"])
    return {"patient": patient, "safe": StorageLocation.objects.create(name="Safe A")}


def _sweep(run_worker):
    from ketamine_clinic.followup import sweep

    sweep.sweep.enqueue()
    run_worker()


def test_each_owner_gets_one_digest_a_day_after_digest_time(waiting, staff, emails, inbox, run_worker, clinic_clock):
    _sweep(run_worker)  # Tuesday 10:00: too early
    assert inbox.messages == []

    clinic_clock.move_to("2026-12-01T17:05")
    _sweep(run_worker)
    [to_prescriber] = inbox.to(emails["prescriber"])
    assert to_prescriber["Subject"] == SUBJECT
    body = inbox.body(to_prescriber)
    assert "1 session note waits for your signature." in body and "count" not in body
    assert "Ottoline" not in body and waiting["patient"].mrn not in body
    for who in ("director", "nurse", "other_nurse"):
        [mail] = inbox.to(emails[who])
        assert "Today's count is not recorded yet for: Safe A." in inbox.body(mail)
    assert not inbox.to(emails["therapist"]) and not inbox.to(emails["front_desk"])

    clinic_clock.move_to("2026-12-01T17:40")  # the same day again: nothing more
    _sweep(run_worker)
    assert len(inbox.to(emails["prescriber"])) == 1 and len(inbox.to(emails["director"])) == 1

    clinic_clock.move_to("2026-12-02T17:05")  # the next day: the note still waits
    _sweep(run_worker)
    assert len(inbox.to(emails["prescriber"])) == 2


def test_a_count_recorded_today_and_a_signed_note_leave_nothing_to_send(
    waiting, staff, emails, inbox, run_worker, clinic_clock
):
    from ketamine_clinic.inventory.models import Count
    from ketamine_clinic.sessions.models import SessionNote

    clinic_clock.move_to("2026-12-01T17:05")
    Count.objects.create(performed_at=clinic_clock.now(), counted_by=staff["nurse"], witness=staff["other_nurse"],
                         location=waiting["safe"])
    SessionNote.objects.update(signed_at=clinic_clock.now(), signed_by=staff["prescriber"])
    _sweep(run_worker)
    assert inbox.messages == []


def test_no_digest_on_a_closed_day(waiting, emails, inbox, run_worker, clinic_clock):
    clinic_clock.move_to("2026-12-05T17:05")  # Saturday
    _sweep(run_worker)
    assert inbox.messages == []


def test_a_new_source_joins_the_digest(waiting, staff, emails, inbox, run_worker, clinic_clock, monkeypatch):
    from ketamine_clinic.followup import digests

    monkeypatch.setattr(digests, "DIGEST_SOURCES", [lambda now: [(staff["front_desk"], "2 forms are due soon.")]])
    clinic_clock.move_to("2026-12-01T17:05")
    _sweep(run_worker)
    [mail] = inbox.messages
    assert mail.envelope_to == [emails["front_desk"]] and "- 2 forms are due soon." in inbox.body(mail)
