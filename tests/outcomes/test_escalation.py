"""Suicide-risk escalation: urgent task for the primary prescriber, dashboard panel, documented acknowledgement."""

import pytest

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.outcomes import services
from ketamine_clinic.outcomes.models import UrgentTask


def record(patient, instrument, answers, user):
    return services.record_measure_response(patient=patient, instrument=instrument, answers=answers, user=user)


@pytest.mark.django_db
def test_phq9_item9_creates_task_for_primary_prescriber_audited(patient, staff):
    admin = record(patient, "phq9", [1, 1, 1, 1, 1, 1, 1, 1, 1], staff["nurse"])
    task = UrgentTask.objects.get()
    assert task.measure_response == admin and task.assigned_to == staff["prescriber"]
    assert task.flags == ["phq9_item9"] and "item 9 = 1" in task.reason and task.is_open
    assert AuditEvent.objects.filter(
        action="create", object_type="outcomes.UrgentTask", object_id=str(task.pk)
    ).exists()


@pytest.mark.django_db
def test_no_task_without_risk(patient, staff):
    record(patient, "phq9", [3, 3, 3, 3, 3, 3, 3, 3, 0], staff["nurse"])
    record(patient, "cssrs_screener", [0, 0, None, None, None, 0, None], staff["nurse"])
    assert not UrgentTask.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "answers,priority",
    [
        ([1, 0, None, None, None, 0, None], "low"),
        ([1, 1, 1, 0, 0, 0, None], "moderate"),
        ([1, 1, 1, 1, 0, 0, None], "high"),
        ([0, 0, None, None, None, 1, 1], "high"),
    ],
)
def test_positive_cssrs_creates_task_with_risk_priority(patient, staff, answers, priority):
    record(patient, "cssrs_screener", answers, staff["nurse"])
    task = UrgentTask.objects.get()
    assert task.priority == priority and task.flags == ["cssrs_positive"]


@pytest.mark.django_db
def test_panel_shows_task_to_the_assigned_prescriber_only(patient, staff, client_as):
    record(patient, "phq9", [0] * 8 + [2], staff["nurse"])
    body = client_as(staff["prescriber"]).get("/outcomes/urgent-tasks/panel/").content.decode()
    assert "urgent-task" in body and patient.last_name in body
    assert (
        "No open urgent tasks"
        in client_as(staff["other_prescriber"]).get("/outcomes/urgent-tasks/panel/").content.decode()
    )
    assert (
        patient.last_name
        in client_as(staff["director"]).get("/outcomes/urgent-tasks/panel/").content.decode()
    )
    assert client_as(staff["front_desk"]).get("/outcomes/urgent-tasks/panel/").status_code == 403


@pytest.mark.django_db
def test_acknowledgement_needs_a_documented_action(patient, staff, client_as):
    record(patient, "phq9", [0] * 8 + [1], staff["nurse"])
    task = UrgentTask.objects.get()
    client = client_as(staff["prescriber"])
    response = client.post(f"/outcomes/urgent-tasks/{task.pk}/acknowledge/", {"action_taken": ""})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    response = client.post(f"/outcomes/urgent-tasks/{task.pk}/acknowledge/", {"action_taken": "ok"})
    assert response.status_code == 400
    task.refresh_from_db()
    assert task.is_open
    action = "Called patient, safety plan reviewed, seen in clinic today"
    response = client.post(f"/outcomes/urgent-tasks/{task.pk}/acknowledge/", {"action_taken": action})
    assert response.status_code == 302
    task.refresh_from_db()
    assert not task.is_open and task.acknowledged_by == staff["prescriber"] and task.action_taken == action
    assert AuditEvent.objects.filter(
        action="update",
        object_type="outcomes.UrgentTask",
        object_id=str(task.pk),
        detail__action_taken=action,
    ).exists()
    assert "No open urgent tasks" in client.get("/outcomes/urgent-tasks/panel/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("next_url, lands_on", [("/patients/", "/patients/"), ("https://elsewhere.example/", None),
                                                ("//elsewhere.example/x", None)])
def test_after_acknowledging_the_page_goes_back_only_within_the_clinic(patient, staff, client_as, next_url, lands_on):
    record(patient, "phq9", [0] * 8 + [2], staff["nurse"])
    task = UrgentTask.objects.get()
    response = client_as(staff["prescriber"]).post(
        f"/outcomes/urgent-tasks/{task.pk}/acknowledge/",
        {"action_taken": "Called patient, safety plan reviewed, seen in clinic today", "next": next_url},
    )
    assert response.status_code == 302
    assert response["Location"] == (lands_on or f"/outcomes/patient/{patient.pk}/")


@pytest.mark.django_db
def test_nurse_cannot_acknowledge_and_other_prescriber_cannot_see(patient, staff, client_as):
    record(patient, "phq9", [0] * 8 + [1], staff["nurse"])
    task = UrgentTask.objects.get()
    data = {"action_taken": "Called patient and reviewed safety plan"}
    assert (
        client_as(staff["nurse"]).post(f"/outcomes/urgent-tasks/{task.pk}/acknowledge/", data).status_code
        == 403
    )
    assert (
        client_as(staff["other_prescriber"])
        .post(f"/outcomes/urgent-tasks/{task.pk}/acknowledge/", data)
        .status_code
        == 404
    )
    task.refresh_from_db()
    assert task.is_open


@pytest.mark.django_db
def test_chart_shows_open_task_banner(patient, staff, client_as):
    record(patient, "phq9", [0] * 8 + [3], staff["nurse"])
    body = client_as(staff["nurse"]).get(f"/outcomes/patient/{patient.pk}/").content.decode()
    assert "Open suicide-risk task" in body


@pytest.mark.django_db
def test_patient_cannot_open_the_acknowledge_page_or_see_task_banners(patient, staff, client_as):
    record(patient, "phq9", [0] * 8 + [2], staff["nurse"])
    task = UrgentTask.objects.get()
    client = client_as(patient.user)
    assert client.get(f"/outcomes/urgent-tasks/{task.pk}/acknowledge/").status_code == 403
    assert AuditEvent.objects.filter(action="denied", user=patient.user).exists()
    body = client.get(f"/outcomes/patient/{patient.pk}/").content.decode()
    assert "Open suicide-risk task" not in body
