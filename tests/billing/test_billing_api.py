"""The billing API: the list for a range, one session's lines, roles, hidden patients (404) and bad dates (422)."""

import pytest
from django.utils import timezone

from ketamine_clinic.audit.models import AuditEvent


def today():
    return timezone.localdate().isoformat()


def test_list_for_a_range(staff, client_as, completed_iv, aborted_session):
    answer = client_as(staff["prescriber"]).get("/api/billing/sessions", {"start": today(), "end": today()})
    assert answer.status_code == 200
    by_session = {s["session_id"]: s for s in answer.json()}
    iv = by_session[completed_iv.pk]
    assert [(line["code"], line["units"]) for line in iv["lines"]] == [("96365", 1), ("J3490", 1)]
    assert iv["infusion_minutes"] == 50 and iv["dose_mg"] == "35" and iv["date_of_service"] == today()
    assert iv["lines"][0]["system"] == "CPT" and "15 minutes" in iv["lines"][0]["citation"]
    assert by_session[aborted_session.pk]["lines"] == [] and by_session[aborted_session.pk]["dose_mg"] is None
    assert AuditEvent.objects.filter(user=staff["prescriber"], action="export", detail__via="api").exists()


def test_one_session(staff, client_as, esketamine_session):
    session = esketamine_session(84)
    answer = client_as(staff["front_desk"]).get(f"/api/billing/session/{session.pk}")
    assert answer.status_code == 200
    body = answer.json()
    assert [(line["code"], line["units"]) for line in body["lines"]] == [("G2083", 1), ("J0013", 84)]
    assert body["observation_minutes"] == 125
    assert AuditEvent.objects.filter(user=staff["front_desk"], action="view", object_id=str(session.pk)).exists()


@pytest.mark.parametrize("role", ["nurse", "therapist"])
def test_roles_without_billing_get_403(staff, client_as, completed_iv, role):
    client = client_as(staff[role])
    assert client.get(f"/api/billing/session/{completed_iv.pk}").status_code == 403
    assert client.get("/api/billing/sessions", {"start": today(), "end": today()}).status_code == 403


def test_patient_is_refused(staff, client_as, make_patient, completed_iv):
    patient = make_patient(care_team=[staff["prescriber"]], with_login=True)
    assert client_as(patient.user).get(f"/api/billing/session/{completed_iv.pk}").status_code == 403


def test_a_session_of_a_hidden_patient_is_404(staff, client_as, completed_iv):
    client = client_as(staff["other_prescriber"])
    assert client.get(f"/api/billing/session/{completed_iv.pk}").status_code == 404
    assert client.get("/api/billing/session/999999").status_code == 404
    listed = client.get("/api/billing/sessions", {"start": today(), "end": today()})
    assert listed.status_code == 200 and listed.json() == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "2026-13-01", "end": "2026-12-01"}, "start"),
        ({"start": "2026-12-01"}, "end"),
        ({"start": "2026-12-02", "end": "2026-12-01"}, "end"),
        ({"start": "2024-01-01", "end": "2026-12-01"}, "end"),
        ({"start": "9999-12-31", "end": "9999-12-31"}, "start"),
        ({"start": "0001-01-01", "end": "0001-01-02"}, "start"),
    ],
)
def test_bad_dates_are_422_naming_the_field(staff, client_as, query, field):
    answer = client_as(staff["director"]).get("/api/billing/sessions", query)
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    named = detail.keys() if isinstance(detail, dict) else {item["loc"][-1] for item in detail}
    assert field in named
