"""Every read and write of patient data leaves an audit row; audit rows can never be changed."""

import json

import pytest
from django.db import DatabaseError, connection, transaction

from ketamine_clinic.audit.models import AuditEvent


@pytest.fixture
def team(staff, make_patient):
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]])
    return staff, patient


@pytest.mark.django_db
def test_chart_read_is_audited_with_who_what_where(team, client_as):
    staff, patient = team
    client_as(staff["nurse"]).get(f"/patients/{patient.pk}/", REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.filter(patient=patient, action="view").get()
    assert event.user == staff["nurse"] and event.role == "nurse" and event.username == "t_nurse"
    assert event.path == f"/patients/{patient.pk}/" and event.ip_address == "10.1.2.3"


@pytest.mark.django_db
def test_api_read_and_write_are_audited(team, client_as):
    staff, patient = team
    client = client_as(staff["prescriber"])
    client.get(f"/api/patients/{patient.pk}")
    client.patch(f"/api/patients/{patient.pk}", json.dumps({"phone": "(202) 555-0142"}), content_type="application/json")
    actions = list(AuditEvent.objects.filter(patient=patient).order_by("id").values_list("action", flat=True))
    assert actions == ["view", "update"]
    update = AuditEvent.objects.get(patient=patient, action="update")
    assert update.detail == {"fields": ["phone"]} and update.object_type == "patients.Patient"


@pytest.mark.django_db
def test_create_and_list_are_audited(staff, client_as):
    client = client_as(staff["front_desk"])
    response = client.post("/patients/new/", {"mrn": "n1", "first_name": "Ada", "last_name": "Synthetic",
                                              "date_of_birth": "1990-02-03", "sex": "female"})
    assert response.status_code == 302
    created = AuditEvent.objects.get(action="create")
    assert created.patient.mrn == "N1"
    client.get("/patients/?q=Synthetic")
    listed = AuditEvent.objects.get(action="list")
    assert listed.detail["q"] == "Synthetic" and listed.detail["shown"] == [created.patient_id]


@pytest.mark.django_db
def test_denied_access_is_audited(team, client_as, make_patient):
    staff, _ = team
    stranger = make_patient()
    assert client_as(staff["nurse"]).get(f"/patients/{stranger.pk}/").status_code == 404
    assert AuditEvent.objects.filter(action="denied", user=staff["nurse"]).count() == 1


@pytest.mark.django_db
def test_rows_cannot_be_updated_or_deleted_through_the_orm(team, client_as):
    staff, patient = team
    client_as(staff["nurse"]).get(f"/patients/{patient.pk}/")
    event = AuditEvent.objects.get(action="view")
    event.action = "update"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


@pytest.mark.django_db
def test_database_refuses_update_by_raw_sql(team, client_as):
    staff, patient = team
    client_as(staff["nurse"]).get(f"/patients/{patient.pk}/")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET username = 'someone-else'")
    assert set(AuditEvent.objects.values_list("username", flat=True)) == {"t_nurse"}


@pytest.mark.django_db
def test_director_filters_the_log_others_cannot_open_it(team, client_as, make_patient):
    staff, patient = team
    other = make_patient(care_team=[staff["nurse"]])
    client_as(staff["nurse"]).get(f"/patients/{patient.pk}/")
    client_as(staff["nurse"]).get(f"/patients/{other.pk}/")
    director = client_as(staff["director"])
    page = director.get(f"/audit/?patient={patient.mrn}&user=t_nurse").content.decode()
    assert patient.mrn in page and other.mrn not in page
    assert director.get("/audit/?date_from=2026-02-01&date_to=2026-01-01").status_code == 200
    api = director.get(f"/api/audit/events?patient={other.mrn}&date_from=2026-01-01").json()
    assert {e["patient_id"] for e in api} == {other.pk}
    # Reading the log (it names patients) is itself on the log, page and API alike.
    reads = AuditEvent.objects.filter(username="t_director", action="list")
    assert {r.detail.get("page") or r.detail.get("api") for r in reads} == {"audit:log", "audit events"}
    for role in ("prescriber", "nurse", "therapist", "front_desk"):
        assert client_as(staff[role]).get("/audit/").status_code == 403
        assert client_as(staff[role]).get("/api/audit/events").status_code == 403
