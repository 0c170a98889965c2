"""The hash chain: any change to a stored entry is found, at the first entry it breaks."""

from dataclasses import replace

from ketamine_clinic.core.inventory import GENESIS_HASH, Kind, Movement, entry_hash, verify_chain


def build(ledger, now):
    ledger.append(
        Movement(
            Kind.RECEIVED, "K1", 1_000_000, now, "nurse", location="safe", counterparty="A", reference="I"
        ),
        now=now,
    )
    ledger.append(Movement(Kind.DRAWN, "K1", 500_000, now, "nurse", location="safe", session=3), now=now)
    ledger.append(Movement(Kind.ADMINISTERED, "K1", 35_000, now, "nurse", session=3), now=now)
    return list(ledger.entries)


def test_intact_chain_verifies_and_links_each_entry_to_the_previous(ledger, now):
    entries = build(ledger, now)
    assert verify_chain(entries) is None
    assert entries[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert all(len(e.hash) == 64 and e.hash == entry_hash(e) for e in entries)


def test_altered_quantity_is_found_at_that_entry(ledger, now):
    entries = build(ledger, now)
    entries[1] = replace(entries[1], movement=replace(entries[1].movement, quantity_mcg=400_000))
    broken = verify_chain(entries)
    assert broken is not None and broken.sequence == 2 and "altered" in broken.reason


def test_rehashed_alteration_breaks_the_next_link(ledger, now):
    entries = build(ledger, now)
    changed = replace(entries[0], movement=replace(entries[0].movement, counterparty="Someone else"))
    entries[0] = replace(changed, hash=entry_hash(changed))
    broken = verify_chain(entries)
    assert broken.sequence == 2 and "link" in broken.reason


def test_deleted_entry_is_found(ledger, now):
    entries = build(ledger, now)
    del entries[1]
    assert verify_chain(entries).sequence == 3


def test_identifiers_hash_the_same_as_text_or_number(ledger, now):
    entries = build(ledger, now)
    as_text = replace(entries[1], movement=replace(entries[1].movement, session="3"))
    assert entry_hash(as_text) == entries[1].hash
