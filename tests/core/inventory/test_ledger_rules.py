"""Example-based checks of each ledger rule: what is accepted, what is refused and why."""

from datetime import timedelta

import pytest

from ketamine_clinic.core.inventory import (
    Kind,
    LedgerError,
    Movement,
    held_by,
    mg_to_mcg,
    session_tallies,
    stock,
)


def mv(kind, lot="K1", mg="0", now=None, **kw):
    from datetime import UTC, datetime

    kw.setdefault("recorded_by", "nurse")
    return Movement(
        kind=kind,
        lot=lot,
        quantity_mcg=kw.pop("mcg", None) if "mcg" in kw else mg_to_mcg(mg),
        occurred_at=kw.pop("at", None) or now or datetime(2026, 11, 20, 14, 0, tzinfo=UTC),
        **kw,
    )


def receive(ledger, now, lot="K1", mg="1000", location="safe"):
    return ledger.append(
        mv(Kind.RECEIVED, lot, mg, location=location, counterparty="Acme Wholesale", reference="INV-1"),
        now=now,
    )


def test_receipt_draw_administer_and_witnessed_waste_balance_the_session(ledger, now):
    receive(ledger, now)
    ledger.append(mv(Kind.DRAWN, mg="500", location="safe", session=7), now=now)
    ledger.append(mv(Kind.ADMINISTERED, mg="35", session=7), now=now)
    ledger.append(
        mv(Kind.WASTED, mg="465", session=7, witness="prescriber", reason="vial remainder"), now=now
    )
    assert ledger.balance("K1", stock("safe")) == mg_to_mcg("500")
    assert ledger.balance("K1", held_by(7)) == 0
    tally = session_tallies(ledger.entries)[7]
    assert (tally.drawn_mcg, tally.administered_mcg, tally.wasted_mcg) == (500_000, 35_000, 465_000)
    assert tally.balanced and tally.matches_dose(35_000) and tally.matches_dose(36_000) is False


def test_session_with_remainder_is_open_until_wasted(ledger, now):
    receive(ledger, now)
    ledger.append(mv(Kind.DRAWN, mg="500", location="safe", session=7), now=now)
    ledger.append(mv(Kind.ADMINISTERED, mg="35", session=7), now=now)
    tally = session_tallies(ledger.entries)[7]
    assert not tally.balanced and tally.held_mcg == 465_000


def test_overdraw_is_refused_with_the_amounts_and_changes_nothing(ledger, now):
    receive(ledger, now, mg="500")
    before = list(ledger.entries)
    with pytest.raises(LedgerError, match=r"holds 500 mg, this drawn entry needs 600 mg"):
        ledger.append(mv(Kind.DRAWN, mg="600", location="safe", session=1), now=now)
    assert ledger.entries == before
    assert ledger.balance("K1", stock("safe")) == 500_000


def test_administering_more_than_the_session_holds_is_refused(ledger, now):
    receive(ledger, now)
    ledger.append(mv(Kind.DRAWN, mg="50", location="safe", session=1), now=now)
    with pytest.raises(LedgerError, match="session 1"):
        ledger.append(mv(Kind.ADMINISTERED, mg="50.001", session=1), now=now)


def test_expired_lot_cannot_be_drawn_but_can_be_destroyed(ledger, now):
    # Received while in date, then it expired.
    ledger.append(
        mv(
            Kind.RECEIVED,
            "OLD",
            "500",
            location="safe",
            counterparty="Acme",
            reference="INV-0",
            at=now - timedelta(days=60),
        ),
        now=now - timedelta(days=60),
    )
    with pytest.raises(LedgerError, match="expired on 2026-11-01"):
        ledger.append(mv(Kind.DRAWN, "OLD", "100", location="safe", session=1), now=now)
    ledger.append(
        mv(
            Kind.DESTROYED,
            "OLD",
            "500",
            location="safe",
            witness="director",
            reference="DEA-41 #12",
            reason="expired",
            counterparty="Reverse distributor Ltd",
        ),
        now=now,
    )
    assert ledger.balance("OLD", stock("safe")) == 0


def test_waste_needs_a_different_witness(ledger, now):
    receive(ledger, now)
    ledger.append(mv(Kind.DRAWN, mg="500", location="safe", session=1), now=now)
    with pytest.raises(LedgerError, match="needs a witness"):
        ledger.append(mv(Kind.WASTED, mg="10", session=1, reason="remainder"), now=now)
    with pytest.raises(LedgerError, match="different staff member"):
        ledger.append(mv(Kind.WASTED, mg="10", session=1, witness="nurse", reason="remainder"), now=now)


def test_receipt_needs_supplier_and_invoice_and_whole_vials(ledger, now):
    with pytest.raises(LedgerError, match="supplier"):
        ledger.append(mv(Kind.RECEIVED, mg="500", location="safe", reference="INV"), now=now)
    with pytest.raises(LedgerError, match="reference"):
        ledger.append(mv(Kind.RECEIVED, mg="500", location="safe", counterparty="Acme"), now=now)
    with pytest.raises(LedgerError, match="whole vials of 500 mg"):
        ledger.append(
            mv(Kind.RECEIVED, mg="750", location="safe", counterparty="Acme", reference="I"), now=now
        )
    assert ledger.entries == []


def test_devices_move_in_whole_units(ledger, now):
    receive(ledger, now, lot="E1", mg="84")
    with pytest.raises(LedgerError, match="whole devices of 28 mg"):
        ledger.append(mv(Kind.DRAWN, "E1", "30", location="safe", session=3), now=now)
    ledger.append(mv(Kind.DRAWN, "E1", "56", location="safe", session=3), now=now)
    assert ledger.balance("E1", stock("safe")) == 28_000


def test_zero_negative_and_future_movements_are_refused(ledger, now):
    receive(ledger, now)
    with pytest.raises(LedgerError, match="more than zero"):
        ledger.append(mv(Kind.DRAWN, mg="0", location="safe", session=1), now=now)
    with pytest.raises(LedgerError, match="more than zero"):
        ledger.append(mv(Kind.DRAWN, mcg=-5, location="safe", session=1), now=now)
    with pytest.raises(LedgerError, match="future"):
        ledger.append(
            mv(Kind.DRAWN, mg="5", location="safe", session=1, at=now + timedelta(minutes=1)), now=now
        )
    with pytest.raises(LedgerError, match="does not take a destination"):
        ledger.append(mv(Kind.DRAWN, mg="5", location="safe", to_location="b", session=1), now=now)
    assert len(ledger.entries) == 1


def test_transfer_moves_stock_between_locations(ledger, now):
    receive(ledger, now)
    with pytest.raises(LedgerError, match="different storage location"):
        ledger.append(mv(Kind.TRANSFERRED, mg="500", location="safe", to_location="safe"), now=now)
    ledger.append(mv(Kind.TRANSFERRED, mg="500", location="safe", to_location="safe-2"), now=now)
    assert ledger.balance("K1", stock("safe")) == 500_000
    assert ledger.balance("K1", stock("safe-2")) == 500_000


def test_correction_reverses_the_entry_once_and_cannot_break_balances(ledger, now):
    receive(ledger, now)  # entry 1
    ledger.append(mv(Kind.DRAWN, mg="500", location="safe", session=1), now=now)  # entry 2
    ledger.append(mv(Kind.CORRECTION, mg="500", corrects=2, reason="drawn for the wrong session"), now=now)
    assert ledger.balance("K1", stock("safe")) == 1_000_000
    assert ledger.balance("K1", held_by(1)) == 0
    assert session_tallies(ledger.entries)[1].drawn_mcg == 0
    with pytest.raises(LedgerError, match="already been corrected"):
        ledger.append(mv(Kind.CORRECTION, mg="500", corrects=2, reason="again"), now=now)
    with pytest.raises(LedgerError, match="cannot itself be corrected"):
        ledger.append(mv(Kind.CORRECTION, mg="500", corrects=3, reason="undo"), now=now)
    with pytest.raises(LedgerError, match="no entry number 99"):
        ledger.append(mv(Kind.CORRECTION, mg="500", corrects=99, reason="?"), now=now)
    # Reversing the receipt after its stock was used would make the safe negative.
    ledger.append(mv(Kind.DRAWN, mg="600", location="safe", session=2), now=now)
    with pytest.raises(LedgerError, match="Not enough"):
        ledger.append(mv(Kind.CORRECTION, mg="1000", corrects=1, reason="wrong invoice"), now=now)


def test_count_adjustment_is_signed_and_cannot_go_below_zero(ledger, now):
    receive(ledger, now)
    ledger.append(mv(Kind.COUNT_ADJUSTMENT, mcg=-2_000, location="safe", reason="discrepancy 4"), now=now)
    assert ledger.balance("K1", stock("safe")) == 998_000
    with pytest.raises(LedgerError, match="zero"):
        ledger.append(mv(Kind.COUNT_ADJUSTMENT, mcg=0, location="safe", reason="x"), now=now)
    with pytest.raises(LedgerError, match="Not enough"):
        ledger.append(mv(Kind.COUNT_ADJUSTMENT, mcg=-999_000, location="safe", reason="x"), now=now)


def test_returned_puts_unused_drug_back_in_the_safe(ledger, now):
    receive(ledger, now)
    ledger.append(mv(Kind.DRAWN, mg="500", location="safe", session=5), now=now)
    ledger.append(
        mv(Kind.RETURNED, mg="500", location="safe", session=5, reason="session cancelled"), now=now
    )
    assert ledger.balance("K1", stock("safe")) == 1_000_000
    assert session_tallies(ledger.entries)[5].balanced


def test_mg_conversion_is_exact_and_refuses_floats_and_sub_microgram_amounts():
    from ketamine_clinic.core.inventory import QuantityError, format_mg

    assert mg_to_mcg("37.5") == 37_500
    assert format_mg(37_500) == "37.5 mg" and format_mg(500_000) == "500 mg"
    with pytest.raises(QuantityError):
        mg_to_mcg(0.1)
    with pytest.raises(QuantityError, match="finer than"):
        mg_to_mcg("0.0001")
    with pytest.raises(QuantityError):
        mg_to_mcg("abc")
