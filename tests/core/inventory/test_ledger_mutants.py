"""The ledger's rules pinned word for word: every refusal a person can meet, the expiry day, the buckets a
balance lives in, waste from the safe, corrections in the derived balances and the session tallies.

Written against surviving mutants (docs/mutation.md): before, most refusals were matched on a few words only,
so their sentences (what the pharmacist or nurse reads) could change unseen.
"""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, tzinfo

import pytest

from ketamine_clinic.core.inventory import STANDARD_PRODUCTS, Kind, Ledger, LedgerError, LotSpec, Movement
from ketamine_clinic.core.inventory.ledger import check, derive_balances, effects, held_by, stock
from ketamine_clinic.core.inventory.reconcile import SessionTally, session_tallies

VIAL, _, DEVICE = STANDARD_PRODUCTS
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
KEY = b"test-ledger-key-for-the-pure-core"
K1 = LotSpec("K1", VIAL, date(2027, 6, 30), "K1-2406")


class NoOffset(tzinfo):
    """A time zone object that does not know its offset (utcoffset() is None)."""

    def utcoffset(self, dt):
        return None

    def dst(self, dt):
        return None


def receipt(q=1_000_000, lot="K1", at=NOW):
    return Movement(Kind.RECEIVED, lot, q, at, "nurse", location="safe", counterparty="Supplier", reference="INV-1")


def draw(q=50_000, session=3, lot="K1", at=NOW):
    return Movement(Kind.DRAWN, lot, q, at, "nurse", location="safe", session=session)


def stocked(*movements):
    ledger = Ledger(lots={"K1": K1, "E1": LotSpec("E1", DEVICE, date(2027, 3, 31), "")}, key=KEY)
    ledger.append(receipt(), now=NOW)
    for m in movements:
        ledger.append(m, now=NOW)
    return ledger


def refusal(movement, ledger=None):
    ledger = ledger or stocked()
    with pytest.raises(LedgerError) as err:
        ledger.append(movement, now=NOW)
    return str(err.value)


@pytest.mark.parametrize(
    "movement,words",
    [
        (replace(draw(), quantity_mcg=1.5), "The quantity must be a whole number of micrograms."),
        (replace(draw(), quantity_mcg=True), "The quantity must be a whole number of micrograms."),
        (replace(draw(), occurred_at=datetime(2026, 11, 20, 10, 0)), "The time of the movement must carry a time zone."),
        (replace(draw(), occurred_at=datetime(2026, 11, 20, 10, 0, tzinfo=NoOffset())),
         "The time of the movement must carry a time zone."),
        (replace(draw(), occurred_at=NOW + timedelta(seconds=1)),
         "A movement cannot be recorded as happening in the future."),
        (replace(draw(), recorded_by="  "), "Every movement names the person who records it."),
        (replace(draw(), recorded_by=None), "Every movement names the person who records it."),
        (Movement(Kind.WASTED, "K1", 1_000, NOW, "nurse", session=3, location="safe", witness="w", reason="r"),
         "Waste comes either from what a session holds (name the session) or from the safe (name the location), "
         "not both."),
        (Movement(Kind.WASTED, "K1", 1_000, NOW, "nurse", witness="w", reason="r"),
         "Waste comes either from what a session holds (name the session) or from the safe (name the location), "
         "not both."),
        (Movement(Kind.WASTED, "K1", 1_000, NOW, "nurse", location="safe", witness="nurse", reason="r"),
         "The witness must be a different staff member from the person recording."),
        (Movement(Kind.TRANSFERRED, "K1", 1_000, NOW, "nurse", location="safe", to_location="safe"),
         "A transfer must go to a different storage location."),
        (Movement(Kind.COUNT_ADJUSTMENT, "K1", 0, NOW, "nurse", location="safe", reason="count"),
         "A count adjustment must change the balance; the difference is zero."),
        (replace(draw(), quantity_mcg=0), "The quantity of a drawn entry must be more than zero."),
        (Movement(Kind.CORRECTION, "K1", 1_000_000, NOW, "nurse", corrects=1, reason="r", location="safe"),
         "A correction entry does not take a storage location."),
        (Movement(Kind.CORRECTION, "K1", 1_000_000, NOW, "nurse", reason="wrong"),
         "A correction entry needs the entry it corrects."),
        (Movement(Kind.CORRECTION, "K1", 1_000_000, NOW, "nurse", corrects=7, reason="wrong"),
         "There is no entry number 7 to correct."),
        (Movement(Kind.CORRECTION, "K1", 999_000, NOW, "nurse", corrects=1, reason="wrong"),
         "A correction reverses the whole entry: its quantity must equal the entry's."),
        (draw(q=1_000_001), "Not enough of lot K1-2406 in location safe: it holds 1000 mg, this drawn entry needs "
                            "1000.001 mg."),
        (Movement(Kind.ADMINISTERED, "K1", 35_000, NOW, "nurse", session=9),
         "Not enough of lot K1-2406 in session 9: it holds 0 mg, this administered entry needs 35 mg."),
        (Movement(Kind.DRAWN, "E1", 28_000, NOW, "nurse", location="safe", session=3),
         "Not enough of lot E1 in location safe: it holds 0 mg, this drawn entry needs 28 mg."),
        (replace(receipt(), lot="ZZ"), "Unknown lot 'ZZ'."),
    ],
)
def test_each_refusal_word_for_word(movement, words):
    assert refusal(movement) == words


def test_a_correction_of_a_correction_and_a_second_correction_are_refused():
    ledger = stocked(draw())
    ledger.append(Movement(Kind.CORRECTION, "K1", 50_000, NOW, "nurse", corrects=2, reason="wrong session"), now=NOW)
    assert refusal(Movement(Kind.CORRECTION, "K1", 50_000, NOW, "nurse", corrects=3, reason="undo"), ledger) == (
        "A correction cannot itself be corrected; record the right movement again instead.")
    assert refusal(Movement(Kind.CORRECTION, "K1", 50_000, NOW, "nurse", corrects=2, reason="again"), ledger) == (
        "Entry 2 has already been corrected.")


def test_check_alone_refuses_a_movement_of_another_lot_or_a_correction_across_lots():
    ledger = stocked()
    other = LotSpec("K2", VIAL, date(2027, 6, 30))
    with pytest.raises(LedgerError) as err:
        check(draw(), lot=other, balances={}, now=NOW)
    assert str(err.value) == "The movement names a different lot from the one it is checked against."
    correction = Movement(Kind.CORRECTION, "K2", 1_000_000, NOW, "nurse", corrects=1, reason="wrong lot")
    with pytest.raises(LedgerError) as err:
        check(correction, lot=other, balances={}, now=NOW, corrected=ledger.entries[0])
    assert str(err.value) == "A correction must be recorded against the lot of the entry it corrects."
    # Called without saying whether the entry was corrected before, a correction is checked as the first one.
    undo = Movement(Kind.CORRECTION, "K1", 1_000_000, NOW, "nurse", corrects=1, reason="wrong invoice")
    assert check(undo, lot=K1, balances={stock("safe"): 1_000_000}, now=NOW, corrected=ledger.entries[0]) == (
        (stock("safe"), -1_000_000),
    )
    with pytest.raises(LedgerError) as err:
        check(replace(draw(), kind="lost"), lot=K1, balances={}, now=NOW)
    assert str(err.value) == "Unknown movement kind 'lost'."


def test_an_unknown_kind_has_no_effects_and_a_correction_needs_its_entry():
    with pytest.raises(LedgerError) as err:
        effects(replace(draw(), kind="lost"))
    assert str(err.value) == "Unknown movement kind 'lost'."
    with pytest.raises(LedgerError) as err:
        effects(Movement(Kind.CORRECTION, "K1", 1, NOW, "nurse", corrects=1, reason="r"))
    assert str(err.value) == "A correction needs the entry it corrects."


def test_a_lot_is_usable_through_its_expiry_date():
    assert not K1.expired_on(date(2027, 6, 30)) and K1.expired_on(date(2027, 7, 1))
    last_day = datetime(2027, 6, 30, 23, 0, tzinfo=UTC)
    ledger = Ledger(lots={"K1": K1}, key=KEY)
    ledger.append(receipt(at=last_day), now=last_day)
    next_day = datetime(2027, 7, 1, 9, 0, tzinfo=UTC)
    with pytest.raises(LedgerError) as err:
        ledger.append(draw(at=next_day), now=next_day)
    assert str(err.value) == "Lot K1-2406 expired on 2027-06-30; it cannot be drawn. Quarantine it for destruction."
    unnumbered = Ledger(lots={"K9": LotSpec("K9", VIAL, date(2026, 1, 1))}, key=KEY)
    with pytest.raises(LedgerError) as err:
        unnumbered.append(receipt(lot="K9"), now=NOW)
    assert str(err.value) == "Lot K9 expired on 2026-01-01; it cannot be received. Quarantine it for destruction."


def test_balances_live_in_stock_and_session_buckets_down_to_one_microgram():
    ledger = stocked(draw(q=1))
    assert stock("safe") == ("stock", "safe") and held_by(3) == ("session", 3)
    assert ledger.lot_balances("K1") == {("stock", "safe"): 999_999, ("session", 3): 1}
    assert ledger.balance("K1", held_by(3)) == 1 and ledger.balance("K1", held_by(4)) == 0
    assert ledger.balance("E1", stock("safe")) == 0 and ledger.balance("ZZ", stock("safe")) == 0  # no entries yet


def test_waste_from_the_safe_lowers_the_safe():
    waste = Movement(Kind.WASTED, "K1", 100_000, NOW, "nurse", location="safe", witness="director", reason="broken")
    ledger = stocked(waste)
    assert ledger.lot_balances("K1") == {("stock", "safe"): 900_000}
    assert derive_balances(ledger.entries) == {("K1", ("stock", "safe")): 900_000}


def test_derived_balances_and_tallies_net_out_a_correction():
    wrong = draw(q=50_000, session=3)
    ledger = stocked(wrong, draw(q=35_000, session=4))
    ledger.append(Movement(Kind.CORRECTION, "K1", 50_000, NOW, "nurse", corrects=2, reason="wrong session"), now=NOW)
    ledger.append(Movement(Kind.ADMINISTERED, "K1", 35_000, NOW, "nurse", session=4), now=NOW)
    assert derive_balances(ledger.entries) == {
        ("K1", ("stock", "safe")): 965_000,
        ("K1", ("session", 3)): 0,
        ("K1", ("session", 4)): 0,
    }
    assert derive_balances(ledger.entries) == {("K1", b): v for b, v in ledger.lot_balances("K1").items()}
    assert session_tallies(ledger.entries) == {
        3: SessionTally(3, drawn_mcg=0),
        4: SessionTally(4, drawn_mcg=35_000, administered_mcg=35_000),
    }


def test_tallies_skip_entries_without_a_session_and_corrections_of_unknown_entries():
    ledger = stocked(draw(q=10_000, session=5))
    entries = list(ledger.entries)
    # Only part of the ledger read: a correction whose entry is not among those read is skipped, not the end.
    orphan = replace(entries[1], sequence=3, movement=Movement(Kind.CORRECTION, "K1", 10_000, NOW, "nurse",
                                                                corrects=99, reason="r"))
    later = replace(entries[1], sequence=4)
    assert session_tallies([entries[0], orphan, later]) == {5: SessionTally(5, drawn_mcg=10_000)}
    assert session_tallies([entries[0]]) == {}


def test_waste_from_the_safe_belongs_to_no_session_tally():
    waste = Movement(Kind.WASTED, "K1", 100_000, NOW, "nurse", location="safe", witness="director", reason="broken")
    ledger = stocked(draw(q=10_000, session=5), waste)
    assert session_tallies(ledger.entries) == {5: SessionTally(5, drawn_mcg=10_000)}
