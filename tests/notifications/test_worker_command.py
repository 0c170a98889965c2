"""``ketamine-clinic worker``: runs the queue (here in batch mode) and keeps one sweep queued."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_worker_sends_what_is_queued_and_queues_one_sweep(make_patient, staff, emails, inbox):
    from django_tasks_db.models import DBTaskResult

    from ketamine_clinic.cli import main
    from ketamine_clinic.followup import sweep
    from ketamine_clinic.outcomes import services

    patient = make_patient(care_team=[staff["prescriber"]])
    services.record_measure_response(patient=patient, instrument="phq9", answers=[0] * 8 + [3], user=staff["nurse"])
    assert main(["worker", "--batch"]) == 0
    assert len(inbox.to(emails["prescriber"])) == 1
    assert main(["worker", "--batch"]) == 0  # again: nothing sent twice, still one sweep waiting
    assert len(inbox.to(emails["prescriber"])) == 1
    assert DBTaskResult.objects.filter(task_path=sweep.sweep.module_path, status="READY").count() == 1


def test_a_bad_interval_is_refused(capsys):
    from ketamine_clinic.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["worker", "--interval", "soon"])
    assert exit_.value.code == 2
    assert main(["worker", "--interval", "-1"]) == 2
    assert "--interval must be zero or more seconds" in capsys.readouterr().err
