"""A therapist signs their own integration note on the follow-up tab; signed, it shows who signed and when, and
it cannot be signed again; nobody else signs it for them; the signature is audited."""

import pytest

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.followup.models import IntegrationNote


@pytest.fixture
def note(staff, make_patient):
    patient = make_patient(care_team=[staff["therapist"], staff["prescriber"], staff["other_therapist"]])
    return IntegrationNote.objects.create(patient=patient, author=staff["therapist"], body="Worked on meaning.")


def _sign(client, note):
    return client.post(f"/followup/patient/{note.patient_id}/notes/{note.pk}/sign/", follow=True)


@pytest.mark.django_db
def test_the_author_signs_once(staff, client_as, note):
    therapist = client_as(staff["therapist"])
    chart = therapist.get(f"/followup/patient/{note.patient_id}/").content.decode()
    assert "Unsigned" in chart and "Sign note" in chart
    assert "Integration note signed." in _sign(therapist, note).content.decode()
    note.refresh_from_db()
    assert note.signed_by == staff["therapist"] and note.signed_at is not None
    assert AuditEvent.objects.filter(action="update", object_type="followup.IntegrationNote",
                                     detail__signed=True).count() == 1
    page = _sign(therapist, note).content.decode()
    assert "already signed" in page
    assert "Sign note" not in page and "Signed</span> by" in page


@pytest.mark.django_db
def test_nobody_signs_for_the_author(staff, client_as, note):
    page = _sign(client_as(staff["other_therapist"]), note).content.decode()
    assert "Only" in page and "who wrote this note, can sign it" in page
    assert _sign(client_as(staff["prescriber"]), note).status_code == 403  # reads therapy notes, does not write
    note.refresh_from_db()
    assert note.signed_at is None
