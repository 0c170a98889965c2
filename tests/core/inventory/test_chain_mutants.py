"""The keyed chain pinned word for word: the exact bytes sealed, every break's sequence and sentence, the quick
head check used by health probes, and the one-time check of an old unkeyed ledger.

Written against surviving and untested mutants (docs/mutation.md): before, ``head_break``,
``unkeyed_chain_break`` and ``first_entry_break`` had no core test, and a break's words could change unseen.
"""

import hashlib
import hmac
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone, tzinfo

import pytest

from ketamine_clinic.core.inventory import (
    GENESIS_HASH,
    Checkpoint,
    Kind,
    Movement,
    canonical,
    entry_hash,
    sealed_head,
    unkeyed_entry_hash,
    verify_chain,
)
from ketamine_clinic.core.inventory.chain import (
    ChainBreak,
    Head,
    first_entry_break,
    head_break,
    head_seal,
    unkeyed_chain_break,
)

KEY = b"test-ledger-key-for-the-pure-core"


def build(ledger, now, n=4):
    movements = [
        Movement(Kind.RECEIVED, "K1", 1_000_000, now, "nurse", location="safe", counterparty="A", reference="I"),
        Movement(Kind.DRAWN, "K1", 500_000, now, "nurse", location="safe", session=3),
        Movement(Kind.ADMINISTERED, "K1", 35_000, now, "nurse", session=3),
        Movement(Kind.ADMINISTERED, "K1", 15_000, now, "nurse", session=3),
        Movement(Kind.ADMINISTERED, "K1", 15_000, now, "nurse", session=3),
    ]
    for m in movements[:n]:
        ledger.append(m, now=now)
    return list(ledger.entries), ledger.head()


def broken(entries, head, **kw):
    result = verify_chain(entries, key=KEY, head=head, **kw)
    return (result.sequence, result.reason)


# ---- what is sealed --------------------------------------------------------------------------------------------


def test_the_exact_bytes_sealed_for_an_entry():
    m = Movement(Kind.WASTED, "K1", 15_000, datetime(2026, 11, 20, 10, 0, 0, 123, tzinfo=timezone(timedelta(hours=-5))),
                 7, session=3, witness="director", reason="remainder")
    assert canonical(2, m, datetime(2026, 11, 20, 15, 0, tzinfo=UTC), "a" * 64) == (
        b'{"corrects":null,"counterparty":"","dose_ref":"","kind":"wasted","location":null,"lot":"K1",'
        b'"occurred_at":"2026-11-20T15:00:00.000123Z","prev_hash":"' + b"a" * 64 + b'","quantity_mcg":15000,'
        b'"reason":"remainder","recorded_at":"2026-11-20T15:00:00.000000Z","recorded_by":"7","reference":"",'
        b'"sequence":2,"session":"3","to_location":null,"witness":"director"}'
    )
    corrected = replace(m, corrects=5, to_location="safe B", counterparty="Ph\u00e9", dose_ref="d-1", session=None)
    text = canonical(3, corrected, datetime(2026, 11, 20, 15, 0, tzinfo=UTC), "b" * 64).decode("utf-8")
    assert '"corrects":5,' in text and '"to_location":"safe B"' in text and '"session":null' in text
    assert '"counterparty":"Ph\u00e9"' in text and '"dose_ref":"d-1"' in text  # not escaped: UTF-8 as it is
    received = Movement(Kind.RECEIVED, "K1", 500_000, datetime(2026, 11, 20, 15, 0, tzinfo=UTC), "nurse",
                        location="safe", counterparty="Supplier", reference="INV-1")
    text = canonical(1, received, datetime(2026, 11, 20, 15, 0, tzinfo=UTC), GENESIS_HASH).decode("utf-8")
    assert '"location":"safe"' in text and '"reference":"INV-1"' in text and '"reason":""' in text


class NoOffset(tzinfo):
    """A time zone object that does not know its offset (utcoffset() is None): not a usable ledger time."""

    def utcoffset(self, dt):
        return None

    def dst(self, dt):
        return None


def test_the_seal_is_hmac_sha256_with_the_entry_label(ledger, now):
    [entry], _ = build(ledger, now, n=1)
    message = b"ketamine-clinic ledger entry v2\n" + canonical(1, entry.movement, entry.recorded_at, GENESIS_HASH)
    assert entry.hash == hmac.new(KEY, message, hashlib.sha256).hexdigest() == entry_hash(entry, key=KEY)
    assert unkeyed_entry_hash(entry) == hashlib.sha256(message[len(b"ketamine-clinic ledger entry v2\n"):]).hexdigest()


def test_the_head_seal_covers_count_hash_and_sequence_under_its_own_label():
    body = b'{"count": 4, "hash": "' + b"c" * 64 + b'", "sequence": 4}'
    expected = hmac.new(KEY, b"ketamine-clinic ledger head v2\n" + body, hashlib.sha256).hexdigest()
    assert head_seal(4, "c" * 64, 4, key=KEY) == expected
    assert sealed_head(4, "c" * 64, 4, key=KEY) == Head(4, "c" * 64, 4, expected)
    assert Head(0, GENESIS_HASH, 0).seal == ""
    assert GENESIS_HASH == "0" * 64


def test_times_without_a_zone_and_bad_keys_are_refused_in_words():
    naive = Movement(Kind.RECEIVED, "K1", 1, datetime(2026, 11, 20, 15, 0), "nurse")
    with pytest.raises(ValueError) as err:
        canonical(1, naive, datetime(2026, 11, 20, 15, 0, tzinfo=UTC), GENESIS_HASH)
    assert str(err.value) == "Ledger times must carry a time zone."
    unknown_offset = replace(naive, occurred_at=datetime(2026, 11, 20, 15, 0, tzinfo=NoOffset()))
    with pytest.raises(ValueError) as err:
        canonical(1, unknown_offset, datetime(2026, 11, 20, 15, 0, tzinfo=UTC), GENESIS_HASH)
    assert str(err.value) == "Ledger times must carry a time zone."
    with pytest.raises(TypeError) as err:
        head_seal(0, GENESIS_HASH, 0, key="a text key of enough length")
    assert str(err.value) == "The ledger key must be given as bytes."
    with pytest.raises(ValueError) as err:
        head_seal(0, GENESIS_HASH, 0, key=b"x" * 15)
    assert str(err.value) == "The ledger key must be at least 16 bytes long."
    assert head_seal(0, GENESIS_HASH, 0, key=bytearray(b"x" * 16)) == head_seal(0, GENESIS_HASH, 0, key=b"x" * 16)


# ---- every break in words ---------------------------------------------------------------------------------------


def test_each_break_of_the_entries_word_for_word(ledger, now):
    entries, head = build(ledger, now)
    assert broken(entries[1:], head) == (
        1, "entry 1 is missing: the ledger starts at entry 2 (deleted from the database)")
    assert broken(entries[2:], head) == (
        1, "entries 1 to 2 are missing: the ledger starts at entry 3 (deleted from the database)")
    assert broken([entries[0], entries[3]], head) == (
        2, "entries 2 to 3 are missing: the ledger goes from entry 1 to entry 4 (deleted from the database)")
    assert broken([entries[0], entries[2], entries[3]], head) == (
        2, "entry 2 is missing: the ledger goes from entry 1 to entry 3 (deleted from the database)")
    assert broken([entries[0], entries[1], entries[1]], head) == (
        2, "sequence number 2 appears where 3 was expected (an entry was inserted or renumbered)")
    relinked = [entries[0], replace(entries[1], prev_hash="f" * 64)]
    assert broken(relinked, head) == (
        2, "its link to the previous entry does not match that entry's seal (an entry before it was replaced, or "
           "this one was moved)")
    altered = [replace(entries[0], movement=replace(entries[0].movement, quantity_mcg=2_000_000))]
    assert broken(altered, head) == (
        1, "its contents do not match its seal: the row was altered, or re-sealed without the clinic's ledger key")
    rehashed = [replace(altered[0], hash=unkeyed_entry_hash(altered[0]))]
    assert broken(rehashed, head) == (
        1, "it carries a plain SHA-256 hash instead of the ledger's keyed seal: the row was rewritten and "
           "re-hashed outside the application")


def test_each_break_of_the_head_word_for_word(ledger, now):
    entries, head = build(ledger, now)
    assert broken(entries, None) == (
        4, "the sealed ledger head is missing, so deletions of the newest entries cannot be ruled out (the head "
           "record was deleted from the database)")
    assert broken(entries, replace(head, seal="")) == (
        4, "the ledger head's seal does not match what it records (the head was altered, or written without the "
           "clinic's ledger key)")
    ahead = sealed_head(9, "e" * 64, 9, key=KEY)
    assert broken(entries, replace(ahead, seal="0" * 64)) == (
        9, "the ledger head's seal does not match what it records (the head was altered, or written without the "
           "clinic's ledger key)")
    assert broken(entries[:3], head) == (
        4, "entry 4 is missing: the sealed head records 4 entries ending at entry 4, but the newest entry found is "
           "3 (1 newest entry was deleted from the database)")
    assert broken(entries[:2], head) == (
        3, "entry 3 is missing: the sealed head records 4 entries ending at entry 4, but the newest entry found is "
           "2 (2 newest entries were deleted from the database)")
    # A head counting more entries than there are, even naming the right newest one.
    assert broken(entries, sealed_head(4, entries[3].hash, 5, key=KEY))[0] == 5
    assert broken(entries, sealed_head(3, entries[2].hash, 3, key=KEY)) == (
        4, "entry 4 is not covered by the sealed head, which records 3 entries ending at entry 3 (entries were "
           "added outside the application)")
    assert broken(entries, sealed_head(4, entries[3].hash, 3, key=KEY))[0] == 5
    assert broken(entries, sealed_head(4, entries[2].hash, 4, key=KEY)) == (
        4, "its seal differs from the one the sealed head records for the newest entry (the newest entry was "
           "replaced)")


def test_each_checkpoint_break_word_for_word(ledger, now):
    entries, head = build(ledger, now)
    late = Checkpoint("count 9", 9, "f" * 64)
    rewritten = Checkpoint("the count of Safe A", 2, entries[0].hash)
    assert broken(entries, head, checkpoints=[late]) == (
        9, "count 9 recorded entry 9 as the newest, but the ledger has no entry 9 (entries were deleted from the "
           "database)")
    assert broken(entries, head, checkpoints=[rewritten]) == (
        2, "the count of Safe A recorded a different seal for entry 2 than the one it carries now (the ledger up "
           "to that entry was rewritten)")
    # Checkpoints are checked in sequence order, whatever order they are given in.
    assert broken(entries, head, checkpoints=[late, rewritten])[0] == 2
    assert verify_chain(entries, key=KEY, head=head, checkpoints=[Checkpoint("c", 4, entries[3].hash)]) is None


def test_a_break_reads_with_its_entry():
    assert str(ChainBreak(3, "why")) == "entry 3: why"


# ---- the quick check of the head (health probes) ----------------------------------------------------------------


def test_head_break_checks_the_newest_entry_and_the_head(ledger, now):
    entries, head = build(ledger, now)
    newest = entries[-1]
    assert head_break(head, newest, 4, key=KEY) is None
    assert head_break(sealed_head(0, GENESIS_HASH, 0, key=KEY), None, 0, key=KEY) is None
    assert head_break(None, None, 0, key=KEY) is None
    altered = replace(newest, movement=replace(newest.movement, quantity_mcg=1))
    assert (head_break(head, altered, 4, key=KEY).sequence, head_break(head, altered, 4, key=KEY).reason) == (
        4, "its seal does not match its contents (the newest entry was altered)")
    assert head_break(head, replace(newest, hash=""), 4, key=KEY).sequence == 4
    assert head_break(head, newest, 3, key=KEY).sequence == 5  # the head counts one entry more than found
    assert head_break(None, newest, 4, key=KEY).reason.startswith("the sealed ledger head is missing")
    gone = head_break(head, entries[-2], 3, key=KEY)
    assert (gone.sequence, gone.reason) == (
        4, "entry 4 is missing: the sealed head records 4 entries ending at entry 4, but the newest entry found is "
           "3 (1 newest entry was deleted from the database)")
    emptied = head_break(head, None, 0, key=KEY)
    assert emptied.sequence == 1 and "4 newest entries were deleted" in emptied.reason
    with pytest.raises(ValueError):
        head_break(head, newest, 4, key=b"short")


# ---- an old, unkeyed ledger and a ledger read in part --------------------------------------------------------


def unkeyed(entries):
    out, prev = [], GENESIS_HASH
    for e in entries:
        fresh = replace(e, prev_hash=prev, hash="")
        fresh = replace(fresh, hash=unkeyed_entry_hash(fresh))
        out.append(fresh)
        prev = fresh.hash
    return out


def test_an_old_unkeyed_ledger_is_checked_before_it_is_resealed(ledger, now):
    entries, _ = build(ledger, now)
    old = unkeyed(entries)
    assert unkeyed_chain_break(old) is None
    assert unkeyed_chain_break([]) is None
    gap = unkeyed_chain_break([old[0], old[2]])
    assert (gap.sequence, gap.reason) == (3, "sequence number 3 where 2 was expected")
    first = unkeyed_chain_break(old[1:])
    assert (first.sequence, first.reason) == (2, "sequence number 2 where 1 was expected")
    relinked = unkeyed_chain_break([old[0], replace(old[1], prev_hash="f" * 64)])
    assert (relinked.sequence, relinked.reason) == (2, "its link to the previous entry does not match that entry's hash")
    altered = replace(old[2], movement=replace(old[2].movement, quantity_mcg=1))
    changed = unkeyed_chain_break([old[0], old[1], altered, old[3]])
    assert (changed.sequence, changed.reason) == (3, "its contents no longer match its hash (the row was altered)")
    # A keyed entry is not a valid unkeyed one.
    assert unkeyed_chain_break(entries).reason == "its contents no longer match its hash (the row was altered)"


def test_first_entry_break_looks_at_the_entries_only(ledger, now):
    entries, _ = build(ledger, now)
    assert first_entry_break(entries[:2], key=KEY) is None  # the head would miss entries 3-4: not looked at
    assert first_entry_break([], key=KEY) is None
    assert first_entry_break([entries[0], entries[2]], key=KEY) == ChainBreak(
        2, "entry 2 is missing: the ledger goes from entry 1 to entry 3 (deleted from the database)")
    with pytest.raises(TypeError):
        first_entry_break(entries, key="not bytes")
