"""``ketamine-clinic verify``: every invariant over the whole database; the seeded demo passes, and each kind of
record written around the services is named with the record it concerns (exit 1)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from ketamine_clinic.cli import main


@pytest.fixture
def seeded(demo_chain):
    return demo_chain(patients=28, through="inventory")


def test_seeded_demo_passes(seeded, capsys):
    assert main(["verify"]) == 0
    assert "All invariants hold" in capsys.readouterr().out


def test_each_side_door_is_named_and_exits_1(seeded, capsys):
    from ketamine_clinic.inventory.models import LedgerEntry
    from ketamine_clinic.scheduling.models import Appointment
    from ketamine_clinic.sessions.models import DosingSession

    discharged = DosingSession.objects.filter(state="discharged").order_by("pk")
    early, lotless, other = discharged[0], discharged[1], discharged[2]
    # Discharged 10 minutes after the end of dosing, with no override: before the route's minimum observation.
    DosingSession.objects.filter(pk=early.pk).update(discharged_at=early.dosing_ended_at + dt.timedelta(minutes=10))
    # A dose with no lot and one signature: the side door of the first wave.
    DosingSession.objects.filter(pk=lotless.pk).update(lot_id=None, dose_second_checker=None)
    # A session with no appointment, and a chair double-booked.
    DosingSession.objects.filter(pk=other.pk).update(appointment=None)
    appt = Appointment.objects.filter(kind="dosing", chair__isnull=False).order_by("pk").first()
    Appointment.objects.create(
        patient=appt.patient, kind=appt.kind, starts_at=appt.starts_at, duration_min=appt.duration_min,
        chair=appt.chair, status="booked",
    )
    # A session in the future.
    future = discharged[3]
    DosingSession.objects.filter(pk=future.pk).update(discharged_at=timezone.now() + dt.timedelta(days=2))
    assert LedgerEntry.objects.exists()

    assert main(["verify"]) == 1
    err = capsys.readouterr().err
    assert f"session {early.pk} " in err and "the minimum is" in err
    assert f"session {lotless.pk} " in err and "no stock lot" in err and "two-person check" in err
    assert f"session {other.pk} " in err and "has no appointment" in err
    assert "is double-booked" in err
    assert f"session {future.pk} " in err and "is in the future" in err
    assert "violations found." in err


def test_a_delivered_dose_the_ledger_does_not_show_is_named(seeded, capsys):
    from ketamine_clinic.sessions.models import DosingSession

    s = DosingSession.objects.filter(state="discharged").exclude(delivered_mg=None).first()
    DosingSession.objects.filter(pk=s.pk).update(delivered_mg=s.delivered_mg + Decimal("5"))
    assert main(["verify"]) == 1
    assert f"session {s.pk} " in capsys.readouterr().err
