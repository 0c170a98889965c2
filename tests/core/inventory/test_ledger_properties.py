"""Property tests: for ANY sequence of valid and invalid movements, the ledger stays sound.

* balances equal the sum of the effects of the recorded entries (re-derived from scratch),
* no balance is ever negative,
* a refused movement raises LedgerError with a message and changes nothing (entries and balances),
* the hash chain of what was recorded always verifies, and session tallies match the session balances.
"""

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ketamine_clinic.core.inventory import (
    STANDARD_PRODUCTS,
    Kind,
    Ledger,
    LedgerError,
    LotSpec,
    Movement,
    derive_balances,
    held_by,
    session_tallies,
    verify_chain,
)

VIAL, _, DEVICE = STANDARD_PRODUCTS
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
KEY = b"test-ledger-key-for-the-properties"
LOTS = {
    "K1": LotSpec("K1", VIAL, date(2027, 6, 30)),
    "E1": LotSpec("E1", DEVICE, date(2027, 3, 31)),
    "OLD": LotSpec("OLD", VIAL, date(2026, 11, 19)),
}
# Quantities around the interesting edges: whole vials/devices, partial amounts, zero, negative.
quantities = st.one_of(
    st.sampled_from([0, -1, 1, 28_000, 35_000, 56_000, 465_000, 500_000, 1_000_000, 1_500_000]),
    st.integers(min_value=-600_000, max_value=2_000_000),
)


@st.composite
def movements(draw):
    kind = draw(st.sampled_from(list(Kind)))
    maybe = lambda values: draw(st.one_of(st.none(), st.sampled_from(values)))  # noqa: E731
    return Movement(
        kind=kind,
        lot=draw(st.sampled_from(list(LOTS))),
        quantity_mcg=draw(quantities),
        occurred_at=NOW - timedelta(days=draw(st.sampled_from([0, 0, 0, 3]))),
        recorded_by=draw(st.sampled_from(["nurse", "prescriber"])),
        location=maybe(["safe", "safe-2"]),
        to_location=maybe(["safe", "safe-2"]) if draw(st.booleans()) else None,
        session=maybe([1, 2, 3]),
        witness=maybe(["nurse", "director"]),
        counterparty=draw(st.sampled_from(["", "Acme Wholesale"])),
        reference=draw(st.sampled_from(["", "INV-9"])),
        reason=draw(st.sampled_from(["", "remainder"])),
        corrects=draw(st.one_of(st.none(), st.integers(min_value=0, max_value=40))),
    )


def receipts():
    """Valid receipts, so that draws have something to draw from."""
    return st.builds(
        lambda lot, n: Movement(
            Kind.RECEIVED,
            lot,
            n * LOTS[lot].product.unit_content_mcg,
            NOW - timedelta(days=5),
            "nurse",
            location="safe",
            counterparty="Acme",
            reference="INV",
        ),
        st.sampled_from(list(LOTS)),
        st.integers(min_value=1, max_value=3),
    )


def draws():
    """Plausible session movements (often valid, sometimes too large)."""
    return st.builds(
        lambda kind, lot, q, s: Movement(
            kind,
            lot,
            q,
            NOW,
            "nurse",
            session=s,
            location="safe" if kind in (Kind.DRAWN, Kind.RETURNED) else None,
            witness="director" if kind == Kind.WASTED else None,
            reason="remainder" if kind == Kind.WASTED else "",
        ),
        st.sampled_from([Kind.DRAWN, Kind.ADMINISTERED, Kind.WASTED, Kind.RETURNED]),
        st.sampled_from(list(LOTS)),
        st.sampled_from([28_000, 35_000, 56_000, 250_000, 500_000]),
        st.sampled_from([1, 2]),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(movements(), receipts(), draws()), max_size=40))
def test_any_sequence_keeps_balances_derived_non_negative_and_refusals_harmless(sequence):
    ledger = Ledger(lots=dict(LOTS), key=KEY)
    accepted = refused = 0
    for movement in sequence:
        entries_before = list(ledger.entries)
        balances_before = {lot: ledger.lot_balances(lot) for lot in LOTS}
        try:
            ledger.append(movement, now=NOW)
        except LedgerError as exc:
            refused += 1
            assert str(exc).strip(), "a refusal must say why"
            assert ledger.entries == entries_before
            assert {lot: ledger.lot_balances(lot) for lot in LOTS} == balances_before
        else:
            accepted += 1
            assert ledger.entries[-1].movement == movement
        derived = derive_balances(ledger.entries)
        assert all(value >= 0 for value in derived.values()), derived
        for lot in LOTS:
            kept = {bucket: v for bucket, v in ledger.lot_balances(lot).items() if v}
            summed = {bucket: v for (lt, bucket), v in derived.items() if lt == lot and v}
            assert kept == summed
    assert verify_chain(ledger.entries, key=KEY, head=ledger.head()) is None
    for session, tally in session_tallies(ledger.entries).items():
        held = sum(ledger.balance(lot, held_by(session)) for lot in LOTS)
        assert tally.held_mcg == held >= 0
    event(f"accepted>0: {accepted > 0}")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(receipts(), draws()), min_size=1, max_size=30))
def test_expired_lot_is_never_drawn_or_administered(sequence):
    ledger = Ledger(lots=dict(LOTS), key=KEY)
    for movement in sequence:
        try:
            ledger.append(movement, now=NOW)
        except LedgerError:
            pass
    for entry in ledger.entries:
        m = entry.movement
        if m.kind in (Kind.DRAWN, Kind.ADMINISTERED):
            assert m.occurred_at.date() <= LOTS[m.lot].expires_on


def test_the_generators_do_produce_accepted_draws():
    # Guards the properties above against passing vacuously: a receipt followed by a draw is accepted.
    ledger = Ledger(lots=dict(LOTS), key=KEY)
    ledger.append(
        Movement(
            Kind.RECEIVED, "K1", 500_000, NOW, "nurse", location="safe", counterparty="A", reference="I"
        ),
        now=NOW,
    )
    ledger.append(Movement(Kind.DRAWN, "K1", 250_000, NOW, "nurse", location="safe", session=1), now=NOW)
    assert len(ledger.entries) == 2
