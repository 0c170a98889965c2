"""The demo seeder: one login per role, ~40 patients across phases, and a second run changes nothing."""

import datetime as dt

import pytest
from django.apps import apps
from django.core.management import call_command

from ketamine_clinic.accounts.models import Role, User
from ketamine_clinic.patients.models import Patient


def _row_counts():
    return {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.label != "audit.AuditEvent"}


@pytest.mark.django_db(transaction=True)
def test_seeding_twice_creates_nothing_new(capsys):
    call_command("seed_demo")
    first = _row_counts()
    out = capsys.readouterr().out
    call_command("seed_demo")
    assert _row_counts() == first
    assert "director" in out and "demo-password-1" in out

    assert {u.role for u in User.objects.all()} == {r.value for r in Role}
    assert Patient.objects.count() >= 40
    assert set(Patient.objects.values_list("phase", flat=True)) == {"screening", "induction", "maintenance",
                                                                    "discharged"}
    # Every patient has a prescriber who can open the chart.
    assert all(p.primary_prescriber() is not None for p in Patient.objects.all())

    # Assessments are dated when each patient was seen, before their treatment, not at seeding time; and a
    # treated patient's consent and eligibility decision are still current (or the demo could not dose).
    from django.utils import timezone

    from ketamine_clinic.assessment import services as assessment

    today = timezone.localdate()
    for patient in Patient.objects.exclude(phase="screening"):
        screening = assessment.latest_screening(patient)
        assert timezone.localdate(screening.screened_at) < today - dt.timedelta(days=14), patient.mrn
        first_dose = patient.dosing_sessions.order_by("scheduled_for").first()
        if first_dose is not None:
            assert patient.consents.get().acknowledged_at < first_dose.scheduled_for, patient.mrn
        if patient.phase != "discharged":
            assert assessment.eligibility_is_current(patient), patient.mrn
        # Whoever ran or signed a session can open the chart (care-team access), so it shows on their board.
        team = set(patient.care_team.values_list("pk", flat=True))
        for nurse, prescriber in patient.dosing_sessions.values_list("nurse", "prescriber"):
            assert nurse in team and prescriber in team, patient.mrn
