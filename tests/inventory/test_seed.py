"""The inventory demo seed: receipts, administrations with witnessed waste, one resolved discrepancy;
a verified chain; a second run creates nothing."""

import datetime as dt

import pytest


@pytest.fixture
def clinic(db):
    from ketamine_clinic.patients.seed import DemoClinic, seed_registry
    from ketamine_clinic.sessions.models import DosingSession

    clinic = DemoClinic()
    seed_registry(clinic)
    # Past sessions as the sessions seed would leave them (created here so this test stands alone): ended,
    # with the time they were discharged, so the ledger can tell the draw happened before the end.
    for i, patient in enumerate(clinic.patients[8:14]):
        start = clinic.now - dt.timedelta(days=20 - 3 * i, hours=2)
        DosingSession.objects.create(
            patient=patient,
            route="intranasal" if i % 3 == 2 else "iv",
            state="discharged",
            scheduled_for=start,
            discharged_at=start + dt.timedelta(minutes=100),
        )
    return clinic


def test_seed_links_sessions_balances_them_and_is_idempotent(clinic):
    from ketamine_clinic.inventory import seed, services
    from ketamine_clinic.inventory.models import Count, Discrepancy, LedgerEntry

    seed.seed(clinic)
    kinds = list(LedgerEntry.objects.values_list("kind", flat=True))
    assert kinds.count("received") == 3
    assert kinds.count("administered") == 6
    assert kinds.count("wasted") == 4  # the four IV sessions waste their vial's remainder; devices leave none
    assert all(
        e.witness_id and e.witness_id != e.recorded_by_id for e in LedgerEntry.objects.filter(kind="wasted")
    )
    rows = services.reconciliation(clinic.now.date() - dt.timedelta(days=40), clinic.now.date())
    assert len(rows) == 6 and all(r.balanced for r in rows)
    d = Discrepancy.objects.get()
    assert not d.is_open and d.resolution_note
    assert services.verify_ledger().ok

    counts = (LedgerEntry.objects.count(), Count.objects.count(), Discrepancy.objects.count())
    seed.seed(clinic)
    assert (LedgerEntry.objects.count(), Count.objects.count(), Discrepancy.objects.count()) == counts


@pytest.mark.django_db
def test_seeded_sessions_reconcile_with_the_delivered_dose_and_the_stopped_one_is_wasted():
    """With the sessions seed: each past session draws its confirmed dose, administers what was delivered
    and wastes the rest with a witness; the one infusion stopped early administers only its delivered part.
    Today's sessions still in the clinic keep their remainder held."""
    from django.utils import timezone

    from ketamine_clinic.inventory import seed, services
    from ketamine_clinic.inventory.models import LedgerEntry
    from ketamine_clinic.patients.seed import DemoClinic, seed_registry
    from ketamine_clinic.sessions import seed as sessions_seed
    from ketamine_clinic.sessions.models import DosingSession

    clinic = DemoClinic(now=timezone.now())
    seed_registry(clinic)
    clinic.patients = clinic.patients[:20]  # screening and induction patients: enough, and quick
    sessions_seed.seed(clinic)
    seed.seed(clinic)
    today = timezone.localdate()
    rows = services.reconciliation(today - dt.timedelta(days=400), today)
    past = [r for r in rows if timezone.localdate(r.session.scheduled_for) < today]
    assert len(past) >= 20 and all(r.balanced and r.dose_matches is True for r in past)
    stopped = DosingSession.objects.get(state="stopped_early")
    assert stopped.delivered_mg < stopped.dose_mg and stopped.note.is_signed
    given = LedgerEntry.objects.get(kind="administered", session=stopped)
    assert given.quantity_mcg == services.to_mcg(stopped.delivered_mg)
    assert given.occurred_at == stopped.dosing_ended_at
    row = next(r for r in rows if r.session.pk == stopped.pk)
    assert row.wasted_mcg == row.drawn_mcg - given.quantity_mcg and row.status == "Balanced"
    in_clinic = DosingSession.objects.filter(state__in=["dosing", "monitoring"], scheduled_for__date=today)
    assert in_clinic.exists()
    assert all(services.held_for_session(s.lot_id, s.pk) > 0 for s in in_clinic)  # remainder to waste
    assert not LedgerEntry.objects.filter(kind="administered", session__state="dosing").exists()
    assert services.verify_ledger().ok
