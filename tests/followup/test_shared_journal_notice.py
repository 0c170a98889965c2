"""The therapist learns that a patient shared a journal entry: the dashboard's follow-up panel counts the shared
entries not yet read, the follow-up tab marks them "new" once, and opening it reads them. Nurses never get the
count (they do not read journals); an entry made private and shared again is news again."""

import pytest

from ketamine_clinic.portal.models import JournalEntry

PANEL = "/followup/panel/"


def _count(client):
    import re

    page = client.get(PANEL).content.decode()
    match = re.search(r'id="shared-journal-count"><strong>(\d+)</strong>', page)
    return int(match.group(1)) if match else None


@pytest.mark.django_db
def test_shared_entries_are_counted_until_the_therapist_reads_them(staff, client_as, make_patient):
    from django.urls import reverse

    assert reverse("followup:worklist_panel") == PANEL
    patient = make_patient(care_team=[staff["therapist"], staff["nurse"]], with_login=True, phase="induction")
    private = JournalEntry.objects.create(patient=patient, body="for me only")
    shared = JournalEntry.objects.create(patient=patient, body="SHARED: steadier this week")
    shared.set_shared(True)
    shared.save()
    therapist = client_as(staff["therapist"])
    assert _count(therapist) == 1
    assert _count(client_as(staff["nurse"])) is None

    chart = therapist.get(f"/followup/patient/{patient.pk}/").content.decode()
    assert "SHARED: steadier this week" in chart and "for me only" not in chart and ">new</span>" in chart
    assert _count(therapist) == 0
    assert ">new</span>" not in therapist.get(f"/followup/patient/{patient.pk}/").content.decode()
    # Another reader (the prescriber on the team) has their own count.
    patient.careteammember_set.create(user=staff["prescriber"])
    assert _count(client_as(staff["prescriber"])) == 1

    shared.set_shared(False)
    shared.save()
    shared.set_shared(True)
    shared.save()
    assert _count(therapist) == 1
    assert private.reads.count() == 0
