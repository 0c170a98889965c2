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
    # Past sessions as the sessions seed would leave them (created here so this test stands alone).
    for i, patient in enumerate(clinic.patients[8:14]):
        DosingSession.objects.create(
            patient=patient,
            route="intranasal" if i % 3 == 2 else "iv",
            state="discharged",
            scheduled_for=clinic.now - dt.timedelta(days=20 - 3 * i, hours=2),
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
