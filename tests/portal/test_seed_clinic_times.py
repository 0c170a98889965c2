"""Demo seeds keep to the clinic's clock: seeded at 21:30 in New York (02:30 UTC the next day), no weight is
measured "tomorrow", and the care team's message replies fall in clinic hours, not at 23:00 or 01:00."""

import datetime as dt

import pytest
from django.utils import timezone

from ketamine_clinic.accounts.models import Role

# 02:30 UTC on 15 Jan 2026 is 21:30 on 14 Jan in New York (EST): the two calendars disagree on the day.
EVENING = dt.datetime(2026, 1, 15, 2, 30, tzinfo=dt.UTC)


@pytest.fixture
def new_york(settings):
    settings.TIME_ZONE = "America/New_York"


@pytest.mark.django_db
def test_registry_seed_measures_no_weight_after_the_clinic_day(new_york):
    from ketamine_clinic.demo.clinic import DemoClinic, seed_registry
    from ketamine_clinic.patients.models import Patient

    seed_registry(DemoClinic(now=EVENING))
    assert Patient.objects.count() >= 40
    latest = max(Patient.objects.values_list("weight_measured_on", flat=True))
    assert latest <= dt.date(2026, 1, 14)


@pytest.mark.django_db
def test_portal_seed_messages_keep_clinic_hours(new_york, staff, make_patient):
    from ketamine_clinic.demo import portal as portal_seed
    from ketamine_clinic.demo.clinic import DemoClinic
    from ketamine_clinic.portal.models import Message

    patients = [make_patient(care_team=[staff["therapist"]], with_login=True, phase="induction")
                for _ in range(3)]
    clinic = DemoClinic(patients=patients, now=EVENING,
                        staff={Role.THERAPIST: [staff["therapist"]], Role.NURSE: [staff["nurse"]]})
    portal_seed.seed(clinic)
    messages = list(Message.objects.all())
    assert len(messages) == 9
    for m in messages:
        local = timezone.localtime(m.sent_at)
        assert m.sent_at <= EVENING
        if m.from_patient:
            assert 7 <= local.hour <= 21, local
        else:
            assert 9 <= local.hour < 17, local
            assert m.patient.messages.filter(from_patient=True, read_at__lte=m.sent_at).exists()
