"""The keyed chain: any edit, deletion (middle or newest), insertion or rewrite of stored entries is found at the
first entry it breaks, and said in plain words; a rewrite re-hashed without the key does not pass."""

import hashlib
import hmac
from dataclasses import replace

import pytest

from ketamine_clinic.core.inventory import (
    GENESIS_HASH,
    Checkpoint,
    Kind,
    Movement,
    canonical,
    entry_hash,
    head_seal,
    sealed_head,
    unkeyed_entry_hash,
    verify_chain,
)

KEY = b"test-ledger-key-for-the-pure-core"  # the key of the `ledger` fixture (conftest)


def test_the_ledger_fixture_seals_with_this_key(ledger, key):
    assert ledger.key == key == KEY


def build(ledger, now):
    ledger.append(
        Movement(
            Kind.RECEIVED, "K1", 1_000_000, now, "nurse", location="safe", counterparty="A", reference="I"
        ),
        now=now,
    )
    ledger.append(Movement(Kind.DRAWN, "K1", 500_000, now, "nurse", location="safe", session=3), now=now)
    ledger.append(Movement(Kind.ADMINISTERED, "K1", 35_000, now, "nurse", session=3), now=now)
    ledger.append(Movement(Kind.ADMINISTERED, "K1", 15_000, now, "nurse", session=3), now=now)
    return list(ledger.entries), ledger.head()


def rechain(entries, seal, prev=GENESIS_HASH):
    """What someone with database access would do: recompute every hash and link after a change."""
    out = []
    for e in entries:
        fresh = replace(e, prev_hash=prev, hash="")
        fresh = replace(fresh, hash=seal(fresh))
        out.append(fresh)
        prev = fresh.hash
    return out


def test_intact_chain_verifies_and_links_each_entry_to_the_previous(ledger, now):
    entries, head = build(ledger, now)
    assert verify_chain(entries, key=KEY, head=head) is None
    assert entries[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert all(len(e.hash) == 64 and e.hash == entry_hash(e, key=KEY) for e in entries)
    assert (head.sequence, head.hash, head.count) == (4, entries[-1].hash, 4)


def test_the_seal_is_an_hmac_under_the_key_not_a_plain_hash(ledger, now):
    entries, _ = build(ledger, now)
    e = entries[0]
    body = canonical(e.sequence, e.movement, e.recorded_at, e.prev_hash)
    assert e.hash != hashlib.sha256(body).hexdigest() == unkeyed_entry_hash(e)
    expected = hmac.new(KEY, b"ketamine-clinic ledger entry v2\n" + body, hashlib.sha256).hexdigest()
    assert e.hash == expected
    assert entry_hash(e, key=b"another-key-of-enough-length") != e.hash


def test_a_short_or_missing_key_is_refused():
    with pytest.raises(ValueError, match="at least 16 bytes"):
        head_seal(0, GENESIS_HASH, 0, key=b"short")
    with pytest.raises(TypeError, match="bytes"):
        verify_chain([], key="text-is-not-bytes-either")


def test_altered_quantity_is_found_at_that_entry(ledger, now):
    entries, head = build(ledger, now)
    entries[1] = replace(entries[1], movement=replace(entries[1].movement, quantity_mcg=400_000))
    broken = verify_chain(entries, key=KEY, head=head)
    assert broken.sequence == 2 and "altered" in broken.reason


def test_rewritten_range_rehashed_with_the_old_unkeyed_hash_is_named(ledger, now):
    entries, head = build(ledger, now)
    changed = [replace(entries[2], movement=replace(entries[2].movement, quantity_mcg=25_000)), *entries[3:]]
    rewritten = entries[:2] + rechain(changed, unkeyed_entry_hash, prev=entries[1].hash)
    assert rewritten[2].prev_hash == entries[1].hash  # the forger linked it correctly
    broken = verify_chain(rewritten, key=KEY, head=head)
    assert broken.sequence == 3 and "plain SHA-256" in broken.reason and "rewritten" in broken.reason


def test_whole_ledger_resealed_with_a_wrong_key_fails_at_entry_one(ledger, now):
    entries, _ = build(ledger, now)
    wrong = b"a-guessed-key-that-is-not-the-clinics"
    forged = rechain(entries, lambda e: entry_hash(e, key=wrong))
    forged_head = sealed_head(4, forged[-1].hash, 4, key=wrong)
    broken = verify_chain(forged, key=KEY, head=forged_head)
    assert broken.sequence == 1 and "ledger key" in broken.reason


def test_deleted_middle_entry_is_named_as_missing(ledger, now):
    entries, head = build(ledger, now)
    del entries[1]
    broken = verify_chain(entries, key=KEY, head=head)
    assert broken.sequence == 2 and "entry 2 is missing" in broken.reason and "from entry 1 to entry 3" in (
        broken.reason
    )


def test_deleted_first_entry_is_named(ledger, now):
    entries, head = build(ledger, now)
    broken = verify_chain(entries[1:], key=KEY, head=head)
    assert broken.sequence == 1 and "starts at entry 2" in broken.reason


def test_deleted_newest_entry_is_caught_by_the_sealed_head(ledger, now):
    entries, head = build(ledger, now)
    broken = verify_chain(entries[:-1], key=KEY, head=head)
    assert broken.sequence == 4 and "entry 4 is missing" in broken.reason and "deleted" in broken.reason
    # ...and two newest entries
    broken = verify_chain(entries[:-2], key=KEY, head=head)
    assert broken.sequence == 3 and "2 newest entries were deleted" in broken.reason


def test_head_rewritten_without_the_key_is_refused(ledger, now):
    entries, head = build(ledger, now)
    # The forger deletes the newest entry and moves the head back, but cannot seal it.
    moved_back = replace(head, sequence=3, hash=entries[2].hash, count=3)
    broken = verify_chain(entries[:-1], key=KEY, head=moved_back)
    assert broken is not None and "head's seal does not match" in broken.reason
    unkeyed = replace(moved_back, seal=hashlib.sha256(b"3").hexdigest())
    assert "head's seal does not match" in verify_chain(entries[:-1], key=KEY, head=unkeyed).reason


def test_missing_head_with_entries_is_reported_but_an_empty_ledger_needs_none(ledger, now):
    entries, _ = build(ledger, now)
    broken = verify_chain(entries, key=KEY, head=None)
    assert broken.sequence == 4 and "head is missing" in broken.reason
    assert verify_chain([], key=KEY, head=None) is None
    assert verify_chain([], key=KEY, head=sealed_head(0, GENESIS_HASH, 0, key=KEY)) is None


def test_entry_appended_beyond_the_head_is_reported(ledger, now):
    entries, head = build(ledger, now)
    older_head = sealed_head(3, entries[2].hash, 3, key=KEY)
    broken = verify_chain(entries, key=KEY, head=older_head)
    assert broken.sequence == 4 and "not covered by the sealed head" in broken.reason


def test_rehashed_alteration_breaks_the_next_link(ledger, now):
    entries, head = build(ledger, now)
    changed = replace(entries[0], movement=replace(entries[0].movement, counterparty="Someone else"))
    entries[0] = replace(changed, hash=entry_hash(changed, key=KEY))  # even with the key, the link breaks
    broken = verify_chain(entries, key=KEY, head=head)
    assert broken.sequence == 2 and "link" in broken.reason


def test_checkpoints_must_match_the_entry_they_name(ledger, now):
    entries, head = build(ledger, now)
    good = [Checkpoint("count 1", 0, GENESIS_HASH), Checkpoint("count 2", 2, entries[1].hash)]
    assert verify_chain(entries, key=KEY, head=head, checkpoints=good) is None
    bad = [*good, Checkpoint("the count of Safe A (count 3)", 3, entries[1].hash)]
    broken = verify_chain(entries, key=KEY, head=head, checkpoints=bad)
    assert broken.sequence == 3 and "the count of Safe A (count 3)" in broken.reason
    gone = [Checkpoint("count 4", 9, "f" * 64)]
    assert "no entry 9" in verify_chain(entries, key=KEY, head=head, checkpoints=gone).reason


def test_identifiers_hash_the_same_as_text_or_number(ledger, now):
    entries, _ = build(ledger, now)
    as_text = replace(entries[1], movement=replace(entries[1].movement, session="3"))
    assert entry_hash(as_text, key=KEY) == entries[1].hash
