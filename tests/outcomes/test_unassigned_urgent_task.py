"""An urgent suicide-risk task for a patient with no prescriber on the care team: it opens unassigned, and it must
not fall through the cracks. The director sees it (marked "no prescriber assigned") and may act on it; a
prescriber off the care team does not see it; once the director adds a prescriber to the care team, that
prescriber sees it and closes it through the page; until then it holds the pre-dose checks."""

import pytest
from django.urls import reverse

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.outcomes import services
from ketamine_clinic.outcomes.models import UrgentTask

pytestmark = pytest.mark.django_db

PANEL = "/outcomes/urgent-tasks/panel/"


@pytest.fixture
def unassigned(make_patient, staff):
    """A patient cared for by a nurse and a therapist only, whose PHQ-9 item 9 = 2 opened an urgent task."""
    patient = make_patient(care_team=[staff["nurse"], staff["therapist"]], last_name="Nopresc", phase="induction")
    services.record_measure_response(patient=patient, instrument="phq9", answers=[0] * 8 + [2], user=staff["nurse"])
    return patient, UrgentTask.objects.get(patient=patient)


def test_the_task_opens_unassigned_and_the_audit_says_so(unassigned):
    _patient, task = unassigned
    assert task.assigned_to is None and task.is_open and task.flags == ["phq9_item9"]
    created = AuditEvent.objects.get(action="create", object_type="outcomes.UrgentTask", object_id=str(task.pk))
    assert created.detail["assigned_to"] is None


def test_the_director_sees_it_marked_unassigned_and_others_do_not(unassigned, staff, client_as):
    patient, task = unassigned
    body = client_as(staff["director"]).get(PANEL).content.decode()
    assert f'data-task="{task.pk}"' in body and patient.last_name in body and "no prescriber assigned" in body
    for who in ("prescriber", "other_prescriber", "nurse", "therapist"):  # no prescriber is on the care team
        body = client_as(staff[who]).get(PANEL).content.decode()
        assert f'data-task="{task.pk}"' not in body, who
    assert [t.pk for t in services.open_tasks_for(staff["director"])] == [task.pk]


def test_a_prescriber_added_to_the_care_team_sees_and_closes_it(unassigned, staff, client_as):
    patient, task = unassigned
    director, prescriber = client_as(staff["director"]), client_as(staff["prescriber"])
    response = director.post(reverse("patients:care_team", args=[patient.pk]), {"user": staff["prescriber"].pk})
    assert response.status_code == 302
    assert f'data-task="{task.pk}"' in prescriber.get(PANEL).content.decode()
    # Still unassigned: a care-team prescriber may close it; the other prescriber, off the team, is not even shown
    # that the patient exists (404, as for any chart off one's care team) and the task stays open.
    assert client_as(staff["other_prescriber"]).post(
        reverse("outcomes:acknowledge", args=[task.pk]), {"action_taken": "Called patient, safety plan reviewed"}
    ).status_code == 404
    task.refresh_from_db()
    assert task.is_open
    response = prescriber.post(
        reverse("outcomes:acknowledge", args=[task.pk]), {"action_taken": "Called patient, safety plan reviewed"}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert not task.is_open and task.acknowledged_by == staff["prescriber"]
    assert "No open urgent tasks" in director.get(PANEL).content.decode()


def test_the_director_may_close_it(unassigned, staff, client_as):
    _patient, task = unassigned
    response = client_as(staff["director"]).post(
        reverse("outcomes:acknowledge", args=[task.pk]), {"action_taken": "Called patient, seen by on-call today"}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.acknowledged_by == staff["director"]


def test_an_unassigned_task_holds_the_pre_dose_checks(unassigned):
    from ketamine_clinic.core.administration.predose import PreDoseChecks, evaluate_pre_dose
    from ketamine_clinic.sessions.services import open_suicide_tasks

    patient, task = unassigned
    (described,) = open_suicide_tasks(patient)
    assert task.reason in described
    checks = PreDoseChecks(session_date=task.created_at.date(), weight_based_dose=False, open_suicide_tasks=(described,))
    assert [f.code for f in evaluate_pre_dose(checks).holds] == ["suicide_risk"]
