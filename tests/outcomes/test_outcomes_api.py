"""API: list and create administrations, score series, due list, urgent tasks; 422 on invalid answers."""

import json

import pytest

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.outcomes.models import MeasureResponse, UrgentTask


def post(client, path, data):
    return client.post(path, json.dumps(data), content_type="application/json")


@pytest.mark.django_db
def test_staff_create_and_list(patient, staff, client_as):
    client = client_as(staff["nurse"])
    r = post(
        client,
        f"/api/outcomes/patients/{patient.pk}/administrations",
        {"instrument": "gad7", "answers": [2, 2, 2, 2, 1, 1, None]},
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["total"] == 12 and body["severity"] == "moderate" and body["answers"][-1] is None
    r = client.get(f"/api/outcomes/patients/{patient.pk}/administrations?instrument=gad7")
    assert [a["id"] for a in r.json()] == [body["id"]]
    assert AuditEvent.objects.filter(action="list", patient=patient, user=staff["nurse"]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload,field,message",
    [
        (
            {"instrument": "phq9", "answers": [0, 0, 0, 4, 0, 0, 0, 0, 0]},
            "item_4",
            "PHQ-9 item 4: 4 is out of range",
        ),
        ({"instrument": "phq9", "answers": [0, 0, 0]}, "answers", "has 9 items; got 3"),
        ({"instrument": "beck", "answers": [0]}, "instrument", "Unknown instrument"),
        (
            {"instrument": "cssrs_screener", "answers": [1, 0, None, 1, None, 0, None]},
            "item_4",
            "only asked when",
        ),
    ],
)
def test_invalid_answers_are_422_naming_the_item(patient, staff, client_as, payload, field, message):
    r = post(client_as(staff["nurse"]), f"/api/outcomes/patients/{patient.pk}/administrations", payload)
    assert r.status_code == 422
    assert message in r.json()["detail"][field][0]
    assert not MeasureResponse.objects.exists()


@pytest.mark.django_db
def test_patient_creates_only_own_self_report_and_gets_escalation_flag(
    patient, make_patient, staff, client_as
):
    other = make_patient(care_team=[staff["prescriber"]])
    client = client_as(patient.user)
    r = post(
        client,
        f"/api/outcomes/patients/{patient.pk}/administrations",
        {"instrument": "phq9", "answers": [1, 1, 1, 1, 1, 1, 1, 1, 1]},
    )
    assert r.status_code == 201
    assert r.json()["self_reported"] is True and r.json()["urgent_task_created"] is True
    assert UrgentTask.objects.get().assigned_to == staff["prescriber"]
    assert (
        post(
            client,
            f"/api/outcomes/patients/{other.pk}/administrations",
            {"instrument": "phq9", "answers": [0] * 9},
        ).status_code
        == 404
    )
    r = post(
        client,
        f"/api/outcomes/patients/{patient.pk}/administrations",
        {"instrument": "madrs", "answers": [0] * 10},
    )
    assert r.status_code == 422 and "clinician-rated" in r.json()["detail"]["instrument"][0]


@pytest.mark.django_db
def test_scores_series_and_status(patient, staff, client_as):
    client = client_as(staff["prescriber"])
    for answers in ([3, 3, 3, 3, 2, 2, 2, 2, 0], [1, 1, 1, 0, 0, 0, 0, 0, 0]):
        assert (
            post(
                client,
                f"/api/outcomes/patients/{patient.pk}/administrations",
                {"instrument": "phq9", "answers": answers},
            ).status_code
            == 201
        )
    r = client.get(f"/api/outcomes/patients/{patient.pk}/scores?instrument=phq9")
    series = r.json()[0]
    assert [p["total"] for p in series["points"]] == [20, 3]
    assert series["status"]["label"] == "remission" and series["status"]["ever_responded"] is True


@pytest.mark.django_db
def test_front_desk_and_outsiders_are_refused(patient, staff, client_as):
    path = f"/api/outcomes/patients/{patient.pk}/administrations"
    assert client_as(staff["front_desk"]).get(path).status_code == 403
    assert client_as(staff["other_prescriber"]).get(path).status_code == 404


@pytest.mark.django_db
def test_urgent_tasks_and_acknowledge_via_api(patient, staff, client_as):
    post(
        client_as(staff["nurse"]),
        f"/api/outcomes/patients/{patient.pk}/administrations",
        {"instrument": "cssrs_screener", "answers": [1, 1, 1, 1, 0, 0, None]},
    )
    client = client_as(staff["prescriber"])
    tasks = client.get("/api/outcomes/urgent-tasks").json()
    assert len(tasks) == 1 and tasks[0]["priority"] == "high"
    # The published field name stays, pointing at the questionnaire response the task came from.
    assert tasks[0]["administration_id"] == UrgentTask.objects.get().measure_response_id
    r = post(client, f"/api/outcomes/urgent-tasks/{tasks[0]['id']}/acknowledge", {"action_taken": " "})
    assert r.status_code == 422 and "action_taken" in r.json()["detail"]
    r = post(
        client,
        f"/api/outcomes/urgent-tasks/{tasks[0]['id']}/acknowledge",
        {"action_taken": "Seen same day, safety plan, family informed"},
    )
    assert r.status_code == 200 and r.json()["acknowledged_at"]
    assert client.get("/api/outcomes/urgent-tasks").json() == []


@pytest.mark.django_db
def test_instrument_library_endpoint(staff, client_as):
    data = client_as(staff["nurse"]).get("/api/outcomes/instruments").json()
    phq = next(i for i in data if i["key"] == "phq9")
    assert phq["max_total"] == 27 and phq["items"][8]["critical"] is True
