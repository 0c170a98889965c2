"""Therapists write integration session notes linked to the dosing session they follow."""

import datetime as dt
from decimal import Decimal

import pytest

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.followup.models import IntegrationNote

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(make_patient, staff):
    return make_patient(
        care_team=[staff["prescriber"], staff["nurse"], staff["therapist"]], phase="induction"
    )


def test_therapist_writes_note_linked_to_session(patient, staff, client_as, course, now):
    session = course.dose(patient, now - dt.timedelta(days=1))
    response = client_as(staff["therapist"]).post(
        f"/followup/patient/{patient.pk}/notes/new/",
        {
            "session": session.pk,
            "held_on": now.date().isoformat(),
            "themes": "grief",
            "body": "Processed the imagery.",
            "plan": "",
        },
    )
    assert response.status_code == 302
    note = IntegrationNote.objects.get()
    assert (note.session, note.author, note.patient) == (session, staff["therapist"], patient)
    assert AuditEvent.objects.filter(action="create", object_type="followup.IntegrationNote").exists()
    # The prescriber reads it on the chart; the nurse's role has no therapy-notes access.
    assert (
        "Processed the imagery."
        in client_as(staff["prescriber"]).get(f"/followup/patient/{patient.pk}/").content.decode()
    )
    assert (
        "Processed the imagery."
        not in client_as(staff["nurse"]).get(f"/followup/patient/{patient.pk}/").content.decode()
    )
    assert client_as(staff["nurse"]).get(f"/api/followup/patients/{patient.pk}/notes").status_code == 403


def test_note_validation_rerenders_with_messages(patient, make_patient, staff, client_as, course, now):
    other = make_patient(care_team=[staff["therapist"]])
    others_session = course.dose(other, now - dt.timedelta(days=1))
    client = client_as(staff["therapist"])
    response = client.post(
        f"/followup/patient/{patient.pk}/notes/new/",
        {"session": others_session.pk, "held_on": now.date().isoformat(), "body": "Keep me"},
    )
    assert response.status_code == 400 and "Keep me" in response.content.decode()
    session = course.dose(patient, now)
    response = client.post(
        f"/followup/patient/{patient.pk}/notes/new/",
        {"session": session.pk, "held_on": (now - dt.timedelta(days=3)).date().isoformat(), "body": "x"},
    )
    assert response.status_code == 400 and "follows its dosing session" in response.content.decode()
    api = client.post(
        f"/api/followup/patients/{patient.pk}/notes", {"body": ""}, content_type="application/json"
    )
    assert api.status_code == 422
    assert not IntegrationNote.objects.exists()


def test_only_therapy_roles_write_notes(patient, staff, client_as, now):
    data = {"held_on": now.date().isoformat(), "body": "x"}
    assert (
        client_as(staff["nurse"]).post(f"/followup/patient/{patient.pk}/notes/new/", data).status_code == 403
    )
    assert (
        client_as(staff["prescriber"]).post(f"/followup/patient/{patient.pk}/notes/new/", data).status_code
        == 403
    )
    assert (
        client_as(staff["other_therapist"])
        .post(f"/followup/patient/{patient.pk}/notes/new/", data)
        .status_code
        == 404
    )
    assert not IntegrationNote.objects.exists()


def test_progress_report_is_print_ready(patient, staff, client_as, course, now):
    from ketamine_clinic.patients.models import Diagnosis

    Diagnosis.objects.create(
        patient=patient, icd10_code="F33.2", description="MDD, recurrent, severe", is_primary=True
    )
    start = now - dt.timedelta(days=20)
    course.score(patient, start - dt.timedelta(hours=1), 20)
    for d in (0, 2, 4):
        course.dose(patient, start + dt.timedelta(days=d), dose_mg=35)
    stopped = course.dose(patient, start + dt.timedelta(days=7), dose_mg=35)
    stopped.delivered_mg = Decimal("17.50")  # infusion stopped half-way: the report shows what was given
    stopped.save(update_fields=["delivered_mg"])
    course.score(patient, start + dt.timedelta(days=8), 9)
    response = client_as(staff["prescriber"]).get(f"/followup/patient/{patient.pk}/report/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "F33.2 MDD, recurrent, severe" in html
    assert "4 sessions with drug given" in html and "35.00 mg" in html and "17.50 mg" in html
    assert "@media print" in html and "<svg" in html
    assert "Response holding: PHQ-9 9" in html
    assert AuditEvent.objects.filter(action="export", patient=patient).exists()
    # The patient may print their own report; another patient may not.
    assert client_as(staff["front_desk"]).get(f"/followup/patient/{patient.pk}/report/").status_code == 403
