"""Scheduling API: book (a clash is 422 naming the chair), generate, reschedule, cancel, day list."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from ketamine_clinic.demo.assessment import ready_for_planning
from ketamine_clinic.plans import services as plans
from ketamine_clinic.scheduling.models import Chair

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_book_clash_reschedule_cancel_and_day(staff, ready_patient, client_as):
    chair = Chair.objects.create(name="Chair A")
    a, b = ready_patient(), ready_patient()
    client = client_as(staff["nurse"])
    today = timezone.localdate()
    monday = today + dt.timedelta(days=7 - today.weekday())  # open day (the clinic is open Monday to Friday)
    start = timezone.make_aware(dt.datetime.combine(monday, dt.time(9, 0)))
    body = {"kind": "dosing", "starts_at": start.isoformat(), "duration_min": 120, "chair_id": chair.pk}
    first = post(client, f"/api/schedule/patient/{a.pk}", body)
    assert first.status_code == 201
    clash = post(client, f"/api/schedule/patient/{b.pk}", body)
    assert clash.status_code == 422 and "Chair A is already booked" in clash.json()["detail"]["chair"][0]
    assert post(client, f"/api/schedule/patient/{b.pk}", dict(body, chair_id=999)).status_code == 422
    assert post(client, f"/api/schedule/patient/{b.pk}", dict(body, kind="party")).status_code == 422

    appt = first.json()["id"]
    moved = post(
        client,
        f"/api/schedule/appointments/{appt}/reschedule",
        {"starts_at": (start + dt.timedelta(hours=3)).isoformat(), "reason": "Traffic"},
    )
    assert moved.status_code == 200
    assert post(client, f"/api/schedule/patient/{b.pk}", body).status_code == 201

    day = client.get(f"/api/schedule/day?date={start.date().isoformat()}").json()
    assert len(day) == 2
    assert post(client, f"/api/schedule/appointments/{appt}/cancel", {"reason": ""}).status_code == 422
    cancelled = post(client, f"/api/schedule/appointments/{appt}/cancel", {"reason": "Unwell"})
    assert cancelled.json()["status"] == "cancelled"
    assert client_as(staff["other_nurse"]).get(f"/api/schedule/patient/{a.pk}").status_code == 404


def test_generate_from_plan(staff, make_patient, client_as):
    Chair.objects.create(name="Chair A")
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]])
    ready_for_planning(staff["prescriber"], patient, "iv")
    plan = plans.create_plan(
        staff["prescriber"],
        patient,
        protocol_key="iv_racemic_standard",
        start_date=timezone.localdate() + dt.timedelta(days=1),
    )
    client = client_as(staff["front_desk"])
    response = post(client, f"/api/schedule/plan/{plan.pk}/generate", {})
    assert response.status_code == 201
    created = response.json()["created"]
    assert sum(1 for a in created if a["kind"] == "dosing") == 13
    again = post(client, f"/api/schedule/plan/{plan.pk}/generate", {})
    assert again.status_code == 422 and "already generated" in again.json()["detail"]["__all__"][0]


def test_chairs_list(staff, client_as):
    Chair.objects.create(name="Chair Z", room="Suite")
    data = client_as(staff["front_desk"]).get("/api/schedule/chairs").json()
    assert [c["name"] for c in data] == ["Chair Z"]
