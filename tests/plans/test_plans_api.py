"""Plans API: templates with sources; create refused without decision/consent (422); change keeps versions."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from ketamine_clinic.demo.assessment import ensure_consent_documents, ready_for_planning

pytestmark = pytest.mark.django_db


def start_date():
    """2 days after today on the clinic clock (tests/conftest.py ``clinic_clock``)."""
    return (timezone.localdate() + dt.timedelta(days=2)).isoformat()


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_templates_list_sources_and_clinic_defined_marks(staff, client_as):
    data = client_as(staff["nurse"]).get("/api/plans/templates").json()
    by_key = {t["key"]: t for t in data}
    assert by_key["iv_racemic_standard"]["dose_rule"]["amount"] == 0.5
    assert "Berman" in by_key["iv_racemic_standard"]["dose_source"]
    assert by_key["esketamine_label"]["min_observation_min"] == 120
    assert by_key["oral_racemic_clinic"]["clinic_defined"] is True
    assert all(p["source"] for t in data for p in t["phases"])


def test_create_refused_then_allowed_then_changed(staff, make_patient, client_as):
    ensure_consent_documents(staff["director"])
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]])
    client = client_as(staff["prescriber"])
    body = {"protocol_key": "esketamine_label", "start_date": start_date()}
    response = post(client, f"/api/plans/patient/{patient.pk}", body)
    assert response.status_code == 422
    assert any("No eligibility screening" in m for m in response.json()["detail"]["__all__"])

    ready_for_planning(staff["prescriber"], patient, "intranasal")
    response = post(client, f"/api/plans/patient/{patient.pk}", body)
    assert response.status_code == 201
    plan = response.json()
    assert plan["dose_rule"] == {
        "kind": "fixed_mg",
        "amount": 56.0,
        "min_amount": 56.0,
        "max_amount": 84.0,
        "drug": "esketamine",
        "infusion_duration_min": None,
        "concentration_mg_per_ml": None,
    }

    response = post(client, f"/api/plans/{plan['id']}/changes", {"reason": "", "dose_amount": "84"})
    assert response.status_code == 422 and "reason" in response.json()["detail"]
    response = post(
        client, f"/api/plans/{plan['id']}/changes", {"reason": "Tolerated; efficacy", "dose_amount": "84"}
    )
    assert response.status_code == 201 and response.json()["version"] == 2
    versions = client.get(f"/api/plans/{plan['id']}/versions").json()
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[1]["data"]["dose_amount"] == "56.000"

    response = post(client, f"/api/plans/{plan['id']}/changes", {"reason": "x", "dose_amount": "112"})
    assert response.status_code == 422

    assert (
        post(
            client_as(staff["nurse"]), f"/api/plans/{plan['id']}/status", {"status": "stopped", "reason": "x"}
        ).status_code
        == 403
    )
    response = post(client, f"/api/plans/{plan['id']}/status", {"status": "stopped", "reason": "Moved away"})
    assert response.status_code == 201 and response.json()["status"] == "stopped"


def test_esketamine_plan_must_start_at_the_label_day_one_dose(staff, make_patient, client_as):
    ensure_consent_documents(staff["director"])
    patient = make_patient(care_team=[staff["prescriber"]])
    ready_for_planning(staff["prescriber"], patient, "intranasal")
    response = post(
        client_as(staff["prescriber"]),
        f"/api/plans/patient/{patient.pk}",
        {"protocol_key": "esketamine_label", "start_date": start_date(), "dose_amount": "84"},
    )
    assert response.status_code == 422
    assert "first dose of this protocol is 56 mg" in response.json()["detail"]["dose_amount"][0]
