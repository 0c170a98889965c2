"""The inventory demo seed: receipts, administrations with witnessed waste, one resolved discrepancy;
a verified chain; a second run creates nothing."""

import datetime as dt

import pytest


@pytest.fixture
def clinic(demo_chain):
    """The demo chain through the sessions seed for the first 30 patients (screening, induction and some
    maintenance patients, whom today's board takes): enough, and quicker than the whole demo."""
    return demo_chain(patients=30, through="sessions")


def test_seed_links_sessions_balances_them_and_is_idempotent(clinic):
    from ketamine_clinic.demo import inventory as seed
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import Count, Discrepancy, LedgerEntry
    from ketamine_clinic.sessions.models import DosingSession

    seed.seed(clinic)
    kinds = list(LedgerEntry.objects.values_list("kind", flat=True))
    assert kinds.count("received") == 3
    given = DosingSession.objects.exclude(delivered_mg=None).exclude(delivered_mg=0).count()
    assert given >= 10 and kinds.count("administered") == given
    assert kinds.count("wasted") >= 1
    assert all(
        e.witness_id and e.witness_id != e.recorded_by_id for e in LedgerEntry.objects.filter(kind="wasted")
    )
    d = Discrepancy.objects.get()
    assert not d.is_open and d.resolution_note
    assert services.verify_ledger().ok

    counts = (LedgerEntry.objects.count(), Count.objects.count(), Discrepancy.objects.count())
    seed.seed(clinic)
    assert (LedgerEntry.objects.count(), Count.objects.count(), Discrepancy.objects.count()) == counts


def test_seeded_sessions_reconcile_with_the_delivered_dose_and_the_stopped_one_is_wasted(clinic):
    """With the sessions seed: each past session draws its confirmed dose, administers what was delivered
    and wastes the rest with a witness; the one infusion stopped early administers only its delivered part.
    Today's sessions still in the clinic keep their remainder held."""
    from django.utils import timezone

    from ketamine_clinic.demo import inventory as seed
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import LedgerEntry
    from ketamine_clinic.sessions import custody
    from ketamine_clinic.sessions.models import DosingSession

    seed.seed(clinic)
    today = timezone.localdate()
    rows = custody.reconciliation(today - dt.timedelta(days=400), today)
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
