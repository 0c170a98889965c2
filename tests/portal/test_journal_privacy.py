"""Integration journal privacy: private unless shared; therapists see only shared entries; patients only their own."""

import pytest

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.portal.models import JournalEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_patients(make_patient, staff):
    team = [staff["prescriber"], staff["nurse"], staff["therapist"]]
    alice = make_patient(care_team=team, with_login=True, phase="maintenance")
    bob = make_patient(care_team=team, with_login=True, phase="maintenance")
    return alice, bob


def entry(patient, body, shared=False, **fields):
    e = JournalEntry(patient=patient, body=body, **fields)
    e.set_shared(shared)
    e.save()
    return e


def test_queryset_layer_hides_private_entries_from_every_staff_role(two_patients, staff):
    alice, _ = two_patients
    private = entry(alice, "private thoughts")
    shared = entry(alice, "shared insight", shared=True)
    for role in ("therapist", "prescriber", "director"):
        assert list(JournalEntry.objects.visible_to(staff[role])) == [shared], role
    # Nurses and the front desk do not read journals at all, shared or not.
    for role in ("nurse", "front_desk"):
        assert not JournalEntry.objects.visible_to(staff[role]).exists(), role
    # A therapist not on the care team sees nothing.
    assert not JournalEntry.objects.visible_to(staff["other_therapist"]).exists()
    # The patient sees both of their own.
    assert set(JournalEntry.objects.visible_to(alice.user)) == {private, shared}


def test_therapist_cannot_read_an_unshared_entry_on_the_chart(two_patients, staff, client_as):
    alice, _ = two_patients
    entry(alice, "PRIVATE-TEXT about my sister")
    entry(alice, "SHARED-TEXT about the session", shared=True)
    page = client_as(staff["therapist"]).get(f"/followup/patient/{alice.pk}/").content.decode()
    assert "SHARED-TEXT" in page and "PRIVATE-TEXT" not in page
    # And through the API.
    data = client_as(staff["therapist"]).get(f"/api/followup/patients/{alice.pk}/journal").json()
    assert [e["body"] for e in data] == ["SHARED-TEXT about the session"]


def test_a_patient_cannot_read_or_change_another_patients_entry(two_patients, client_as):
    alice, bob = two_patients
    bobs = entry(bob, "BOB-ONLY")
    client = client_as(alice.user)
    assert client.get(f"/portal/journal/{bobs.pk}/").status_code == 404
    assert client.post(f"/portal/journal/{bobs.pk}/share/", {"share": "1"}).status_code == 404
    assert (
        client.patch(
            f"/api/portal/journal/{bobs.pk}", {"shared": True}, content_type="application/json"
        ).status_code
        == 404
    )
    bobs.refresh_from_db()
    assert not bobs.shared
    assert "BOB-ONLY" not in client.get("/portal/journal/").content.decode()
    assert "BOB-ONLY" not in str(client.get("/api/portal/journal").json())
    # Staff chart URLs are not a way round it either.
    assert client.get(f"/followup/patient/{bob.pk}/").status_code == 404


def test_patient_writes_then_shares_an_entry(two_patients, client_as, staff):
    alice, _ = two_patients
    client = client_as(alice.user)
    response = client.post(
        "/portal/journal/new/",
        {
            "timing": "after_session",
            "body": "Felt lighter after the infusion",
            "mood": "7",
            "tags": ["insight", "body"],
        },
    )
    assert response.status_code == 302
    e = JournalEntry.objects.get(patient=alice)
    assert (e.mood, e.tags, e.shared, e.timing) == (7, ["insight", "body"], False, "after_session")
    assert not JournalEntry.objects.visible_to(staff["therapist"]).exists()
    assert AuditEvent.objects.filter(
        action="create", object_type="portal.JournalEntry", object_id=str(e.pk)
    ).exists()
    assert client.post(f"/portal/journal/{e.pk}/share/", {"share": "1"}).status_code == 302
    e.refresh_from_db()
    assert e.shared and e.shared_at is not None
    assert list(JournalEntry.objects.visible_to(staff["therapist"])) == [e]
    # Un-sharing takes it away again.
    client.post(f"/portal/journal/{e.pk}/share/", {"share": "0"})
    assert not JournalEntry.objects.visible_to(staff["therapist"]).exists()


def test_bad_journal_input_rerenders_and_keeps_the_text(two_patients, client_as):
    alice, _ = two_patients
    response = client_as(alice.user).post(
        "/portal/journal/new/",
        {"timing": "other", "body": "Keep this text", "mood": "11", "tags": ["gossip"]},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Keep this text" in page
    assert "less than or equal to 10" in page
    assert "gossip is not one of the available choices" in page
    assert not JournalEntry.objects.exists()


def test_journal_entry_cannot_link_another_patients_session(two_patients, client_as):
    from django.utils import timezone

    from ketamine_clinic.sessions.models import DosingSession

    alice, bob = two_patients
    bobs_session = DosingSession.objects.create(
        patient=bob, route="iv", state="discharged", scheduled_for=timezone.now()
    )
    response = client_as(alice.user).post(
        "/portal/journal/new/", {"timing": "after_session", "body": "x", "session": str(bobs_session.pk)}
    )
    assert response.status_code == 400
    assert not JournalEntry.objects.exists()


def test_staff_cannot_write_journal_entries(two_patients, staff, client_as):
    alice, _ = two_patients
    # Staff have no portal: the portal is for a patient's own record.
    assert client_as(staff["therapist"]).get("/portal/journal/").status_code == 403
    response = client_as(staff["therapist"]).post(
        "/api/portal/journal", {"body": "x"}, content_type="application/json"
    )
    assert response.status_code == 403


def test_get_requests_never_change_sharing(two_patients, client_as):
    alice, _ = two_patients
    e = entry(alice, "shared", shared=True)
    response = client_as(alice.user).get(f"/portal/journal/{e.pk}/share/")
    assert response.status_code == 302
    e.refresh_from_db()
    assert e.shared
