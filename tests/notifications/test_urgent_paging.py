"""An urgent suicide-risk task pages the care team at once and the director if nobody acknowledges it in time:
the real task worker sends through a real SMTP server."""

import datetime as dt

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

SUBJECT = "ketamine-clinic: an urgent task needs you"


def _urgent_task(patient, nurse):
    from ketamine_clinic.outcomes import services

    services.record_measure_response(patient=patient, instrument="phq9", answers=[0] * 8 + [2], user=nurse)
    return patient.urgent_tasks.get()


@pytest.fixture
def patient(make_patient, staff, emails):
    return make_patient(care_team=[staff["prescriber"], staff["therapist"]], first_name="Imogen",
                        last_name="Quarrie")


def test_the_care_team_is_paged_at_once_without_clinical_detail(patient, staff, emails, inbox, run_worker):
    _urgent_task(patient, staff["nurse"])
    run_worker()

    for who in ("prescriber", "therapist", "director"):
        [mail] = inbox.to(emails[who])
        assert mail["Subject"] == SUBJECT
    body = inbox.body(inbox.to(emails["prescriber"])[0])
    for clinical in ("Imogen", "Quarrie", patient.mrn, "PHQ", "item 9", "suicid"):
        assert clinical.lower() not in (body + SUBJECT).lower()
    assert "http://" in body  # the link to sign in
    # Staff not on the care team (the other prescriber, the nurse) are not paged.
    assert not inbox.to(emails["other_prescriber"]) and not inbox.to(emails["nurse"])

    from ketamine_clinic.audit.models import AuditEvent
    from ketamine_clinic.notifications.models import Message

    pages = Message.objects.filter(kind="urgent_page")
    assert set(pages.values_list("status", flat=True)) == {"sent"}
    assert AuditEvent.objects.filter(patient=patient, object_type="notifications.Message", action="create").count() == 3


def test_unacknowledged_after_the_set_minutes_the_director_is_paged_again(
    patient, staff, emails, inbox, run_worker, clinic_clock, settings
):
    settings.URGENT_ESCALATION_MIN = 15
    _urgent_task(patient, staff["nurse"])
    run_worker()
    assert len(inbox.to(emails["director"])) == 1  # the first page only

    clinic_clock.move_to(clinic_clock.now() + dt.timedelta(minutes=14))
    run_worker()
    assert len(inbox.to(emails["director"])) == 1  # not yet

    clinic_clock.move_to(clinic_clock.now() + dt.timedelta(minutes=2))
    run_worker()
    subjects = [m["Subject"] for m in inbox.to(emails["director"])]
    assert subjects == [SUBJECT, "ketamine-clinic: an urgent task is still waiting"]
    assert "15 minutes" in inbox.body(inbox.to(emails["director"])[1])
    assert len(inbox.to(emails["prescriber"])) == 1  # the escalation goes to the director only


def test_acknowledged_in_time_there_is_no_escalation(patient, staff, emails, inbox, run_worker, clinic_clock):
    from ketamine_clinic.outcomes import services

    task = _urgent_task(patient, staff["nurse"])
    run_worker()
    services.acknowledge_task(task, user=staff["prescriber"], action="Called the patient, safety plan reviewed.")
    clinic_clock.move_to(clinic_clock.now() + dt.timedelta(minutes=30))
    run_worker()
    assert len(inbox.to(emails["director"])) == 1
    from ketamine_clinic.notifications.models import Message

    assert not Message.objects.filter(kind="urgent_escalation").exists()


def test_the_on_call_director_is_the_one_paged(patient, staff, emails, inbox, run_worker, settings):
    from ketamine_clinic.accounts.models import User

    second = User.objects.create_user(username="t_director2", password="x" * 12, role="director",
                                      email="t_director2@clinic.test")
    settings.ON_CALL_DIRECTOR = second.username
    _urgent_task(patient, staff["nurse"])
    run_worker()
    assert len(inbox.to(second.email)) == 1
    assert not inbox.to(emails["director"])
