"""The Outcomes chart tab (trajectories, status, sessions marked) and the staff due/overdue list."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.outcomes import services
from ketamine_clinic.sessions.models import DosingSession


def add(patient, user, instrument, answers, days_ago):
    return services.record_measure_response(
        patient=patient,
        instrument=instrument,
        answers=answers,
        user=user,
        taken_at=timezone.now() - dt.timedelta(days=days_ago),
    )


@pytest.mark.django_db
def test_chart_plots_each_point_marks_sessions_and_shows_response(patient, staff, client_as):
    add(patient, staff["nurse"], "phq9", [3, 3, 2, 2, 2, 2, 2, 2, 0], 14)  # 18
    add(patient, staff["nurse"], "phq9", [2, 2, 1, 1, 1, 1, 1, 1, 0], 7)  # 10
    add(patient, staff["nurse"], "phq9", [1, 1, 1, 1, 1, 1, 1, 1, 0], 1)  # 8
    for days in (13, 10, 6):
        DosingSession.objects.create(
            patient=patient, route="iv", scheduled_for=timezone.now() - dt.timedelta(days=days)
        )
    response = client_as(staff["prescriber"]).get(f"/outcomes/patient/{patient.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    svg = re.search(r'<svg[^>]*data-instrument="phq9".*?</svg>', body, re.S).group(0)
    assert re.findall(r'data-total="(\d+)"', svg) == ["18", "10", "8"]
    assert svg.count('class="session"') == 3
    assert svg.count('class="band"') == 5  # PHQ-9's five severity bands shaded
    assert "status-response" in body  # 8 <= 18 * 0.5
    assert AuditEvent.objects.filter(action="view", patient=patient, user=staff["prescriber"]).exists()


@pytest.mark.django_db
def test_chart_shows_relapse_after_lost_response(patient, staff, client_as):
    add(patient, staff["nurse"], "phq9", [3, 3, 3, 2, 2, 2, 2, 2, 1], 30)  # 20
    add(patient, staff["nurse"], "phq9", [1, 1, 1, 1, 1, 1, 1, 1, 0], 20)  # 8
    add(patient, staff["nurse"], "phq9", [2, 2, 2, 2, 1, 1, 1, 1, 0], 2)  # 12
    body = client_as(staff["nurse"]).get(f"/outcomes/patient/{patient.pk}/").content.decode()
    assert "status-relapse" in body and "response lost" in body


@pytest.mark.django_db
def test_therapist_reads_chart_front_desk_does_not(patient, staff, client_as):
    assert client_as(staff["therapist"]).get(f"/outcomes/patient/{patient.pk}/").status_code == 200
    assert client_as(staff["front_desk"]).get(f"/outcomes/patient/{patient.pk}/").status_code == 403


@pytest.mark.django_db
def test_due_list_shows_baseline_for_new_patient_and_clears_once_taken(patient, staff, client_as):
    client = client_as(staff["nurse"])
    body = client.get("/outcomes/due/").content.decode()
    assert patient.last_name in body and "baseline" in body
    for key, answers in (
        ("phq9", [1] * 9),
        ("gad7", [1] * 7),
        ("cssrs_screener", [0, 0, None, None, None, 0, None]),
    ):
        add(patient, staff["nurse"], key, answers, 0)
    body = client.get("/outcomes/due/").content.decode()
    assert "baseline" not in body
    assert AuditEvent.objects.filter(action="list", user=staff["nurse"], detail__page="measures due").exists()


@pytest.mark.django_db
def test_due_list_only_covers_visible_patients(patient, staff, client_as):
    body = client_as(staff["other_nurse"]).get("/outcomes/due/").content.decode()
    assert patient.mrn not in body
    assert client_as(staff["front_desk"]).get("/outcomes/due/").status_code == 403


@pytest.mark.django_db
def test_non_outcome_instruments_get_no_response_label_and_cssrs_shows_risk(patient, staff, client_as):
    add(patient, staff["nurse"], "cadss", [2] * 19, 3)
    add(patient, staff["nurse"], "cadss", [0] * 19, 1)
    add(patient, staff["nurse"], "cssrs_screener", [1, 1, 1, 0, 0, 0, None], 1)
    body = client_as(staff["prescriber"]).get(f"/outcomes/patient/{patient.pk}/").content.decode()
    cadss = re.search(r'data-instrument="cadss">.*?</section>', body, re.S).group(0)
    assert "status-" not in cadss and "Not a treatment-outcome measure" in cadss
    risk = re.search(r'class="card risk-latest">.*?</section>', body, re.S).group(0)
    assert "moderate" in risk


@pytest.mark.django_db
def test_active_plan_measurement_schedule_drives_the_due_list(patient, staff, client_as):
    from ketamine_clinic.plans.models import TreatmentPlan

    for key, answers in (
        ("phq9", [1] * 9),
        ("gad7", [1] * 7),
        ("cssrs_screener", [0, 0, None, None, None, 0, None]),
    ):
        add(patient, staff["nurse"], key, answers, 9)
    body = client_as(staff["nurse"]).get(f"/outcomes/patient/{patient.pk}/").content.decode()
    assert "PHQ-9 - weekly" in body  # default: weekly PHQ-9 in induction, 9 days since the last one
    TreatmentPlan.objects.create(
        patient=patient,
        protocol_key="iv_racemic_standard",
        route="iv",
        status="active",
        created_by=staff["prescriber"],
        measurement_schedule={
            "baseline": ["phq9"],
            "weekly": ["pcl5"],
            "before_each_dose": ["cssrs_screener"],
            "end_of_phase": ["madrs"],
            "source": "clinic-defined",
        },
    )
    body = client_as(staff["nurse"]).get(f"/outcomes/patient/{patient.pk}/").content.decode()
    assert "PHQ-9 - weekly" not in body and "PCL-5 - weekly" in body


@pytest.mark.django_db
def test_pcl5_history_shows_its_dsm5_cluster_scores(patient, staff, client_as):
    """PCL-5: beside the total, the four symptom-cluster sums (B 1-5, C 6-7, D 8-14, E 15-20)."""
    answers = [4, 4, 4, 4, 4, 1, 1, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 3]  # B 20, C 2, D 14, E 3
    admin = add(patient, staff["prescriber"], "pcl5", answers, 1)
    assert admin.total == 39
    assert admin.subscale_scores == [
        ("Intrusion (B)", 20),
        ("Avoidance (C)", 2),
        ("Negative alterations in cognitions and mood (D)", 14),
        ("Alterations in arousal and reactivity (E)", 3),
    ]
    body = client_as(staff["prescriber"]).get(f"/outcomes/patient/{patient.pk}/").content.decode()
    assert "Intrusion (B): 20" in body and "Alterations in arousal and reactivity (E): 3" in body
    phq = add(patient, staff["prescriber"], "phq9", [1] * 9, 0)
    assert phq.subscale_scores == []
