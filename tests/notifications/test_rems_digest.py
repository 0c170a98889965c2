"""REMS forms near their deadline reach the staff who own them in the daily digest (through the real worker and
SMTP server): the session's nurse and prescriber two days before, the director too once overdue; submitted forms
and forms with time left send nothing."""

import datetime as dt

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def _esketamine_session(patient, staff, *, days_ago, clinic_clock):
    from ketamine_clinic.sessions.models import DosingSession

    started = clinic_clock.now() - dt.timedelta(days=days_ago)
    return DosingSession.objects.create(
        patient=patient, route="intranasal", scheduled_for=started, dosing_started_at=started, state="discharged",
        nurse=staff["nurse"], prescriber=staff["prescriber"],
    )


def test_forms_near_and_past_their_deadline(make_patient, staff, emails, inbox, run_worker, clinic_clock, settings):
    from ketamine_clinic.followup import digests, sweep
    from ketamine_clinic.sessions.models import RemsForm

    settings.DIGEST_AT = dt.time(17, 0)
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]])
    near = _esketamine_session(patient, staff, days_ago=6, clinic_clock=clinic_clock)  # 1 day left
    _esketamine_session(patient, staff, days_ago=9, clinic_clock=clinic_clock)  # overdue by 2
    _esketamine_session(patient, staff, days_ago=2, clinic_clock=clinic_clock)  # 5 days left: not yet
    submitted = _esketamine_session(patient, staff, days_ago=5, clinic_clock=clinic_clock)
    RemsForm.objects.create(session=submitted, updated_by=staff["nurse"], signed_values={},
                            submitted_on=clinic_clock.now().date(), submission_confirmation="R-9")

    lines = dict(digests.rems_forms_near_deadline(clinic_clock.now()))
    expected = "1 REMS monitoring form is overdue; 1 REMS monitoring form is due within 2 days"
    assert lines[staff["nurse"]].startswith(expected) and lines[staff["prescriber"]].startswith(expected)
    assert lines[staff["director"]].startswith("1 REMS monitoring form is overdue (")
    assert set(lines) == {staff["nurse"], staff["prescriber"], staff["director"]}

    clinic_clock.move_to("2026-12-01T17:05")
    sweep.sweep.enqueue()
    run_worker()
    [mail] = inbox.to(emails["nurse"])
    assert expected in inbox.body(mail) and patient.mrn not in inbox.body(mail)

    RemsForm.objects.create(session=near, updated_by=staff["nurse"], signed_values={},
                            submitted_on=clinic_clock.now().date(), submission_confirmation="R-10")
    assert "due within" not in dict(digests.rems_forms_near_deadline(clinic_clock.now()))[staff["nurse"]]
