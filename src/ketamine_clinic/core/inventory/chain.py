"""Tamper evidence: every ledger entry is sealed with a keyed hash (HMAC-SHA256) chained to the one before it,
and a sealed *head* records how many entries there are and which is the newest.

seal(entry) = HMAC-SHA256( ledger key, "ketamine-clinic ledger entry v2" + canonical serialisation of the
entry's fields, including the previous entry's seal )

The key is held outside the database (the application's ``LEDGER_KEY`` setting) and is passed in here as
bytes; this module never reads settings. Why a key: with a plain hash, someone with write access to the
database could alter an entry and recompute every later hash, or delete the newest entry, and the chain
would still look whole. Without the key they cannot produce a valid seal, so:

* an edited entry no longer matches its seal;
* a rewritten range re-hashed with the old unkeyed SHA-256 (or sealed with another key) does not match;
* a deleted entry in the middle leaves a gap in the sequence numbers;
* a deleted *newest* entry is caught by the head: its seal covers the newest sequence number, its hash and
  the number of entries, and it is rewritten (under the chain lock) at every append;
* stock counts record the sequence and seal of the newest entry when counted (a checkpoint printed on the
  count sheet); each checkpoint must still match the entry at that sequence.

HMAC: RFC 2104; HMAC-SHA256 as specified in FIPS 198-1 with SHA-256 from FIPS 180-4.

The canonical serialisation is JSON with sorted keys and no spaces; identifiers are written as text (so a
database id 7 and "7" agree), times as UTC ISO 8601 with microseconds, quantities as integers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from .movements import Entry, Movement

GENESIS_HASH = "0" * 64
# Domain separation: an entry's seal can never be passed off as the head's seal, or the other way round.
_ENTRY_LABEL = b"ketamine-clinic ledger entry v2\n"
_HEAD_LABEL = b"ketamine-clinic ledger head v2\n"
MIN_KEY_BYTES = 16  # clinic-defined: a key shorter than 128 bits is refused as a likely mistake


def _id(value) -> str | None:
    return None if value is None else str(value)


def _time(value: datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("Ledger times must carry a time zone.")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _check_key(key) -> bytes:
    if not isinstance(key, bytes | bytearray):
        raise TypeError("The ledger key must be given as bytes.")
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"The ledger key must be at least {MIN_KEY_BYTES} bytes long.")
    return bytes(key)


def canonical(sequence: int, movement: Movement, recorded_at: datetime, prev_hash: str) -> bytes:
    """The exact bytes sealed for one entry (after the label)."""
    m = movement
    fields = {
        "sequence": int(sequence),
        "prev_hash": prev_hash,
        "recorded_at": _time(recorded_at),
        "kind": str(m.kind),
        "lot": _id(m.lot),
        "quantity_mcg": int(m.quantity_mcg),
        "occurred_at": _time(m.occurred_at),
        "recorded_by": _id(m.recorded_by),
        "location": _id(m.location),
        "to_location": _id(m.to_location),
        "session": _id(m.session),
        "witness": _id(m.witness),
        "counterparty": m.counterparty or "",
        "reference": m.reference or "",
        "reason": m.reason or "",
        "corrects": None if m.corrects is None else int(m.corrects),
        "dose_ref": m.dose_ref or "",
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(entry: Entry, *, key: bytes) -> str:
    """HMAC-SHA256 (hex) of the entry's canonical serialisation under ``key``; the entry's own ``hash`` field
    is not part of it."""
    message = _ENTRY_LABEL + canonical(entry.sequence, entry.movement, entry.recorded_at, entry.prev_hash)
    return hmac.new(_check_key(key), message, hashlib.sha256).hexdigest()


def unkeyed_entry_hash(entry: Entry) -> str:
    """The plain SHA-256 used before ledger seals were keyed. Only for re-sealing an existing
    ledger once (after checking its old chain) and for naming a row re-hashed that way; never for new entries."""
    return hashlib.sha256(
        canonical(entry.sequence, entry.movement, entry.recorded_at, entry.prev_hash)
    ).hexdigest()


@dataclass(frozen=True)
class Head:
    """The sealed record of the newest entry: its sequence number and seal, and how many entries there are.
    An empty ledger's head is sequence 0, :data:`GENESIS_HASH`, 0 entries."""

    sequence: int
    hash: str
    count: int
    seal: str = ""


def _head_message(sequence: int, hash_: str, count: int) -> bytes:
    body = json.dumps({"count": int(count), "hash": hash_, "sequence": int(sequence)}, sort_keys=True)
    return _HEAD_LABEL + body.encode("utf-8")


def head_seal(sequence: int, hash_: str, count: int, *, key: bytes) -> str:
    return hmac.new(_check_key(key), _head_message(sequence, hash_, count), hashlib.sha256).hexdigest()


def sealed_head(sequence: int, hash_: str, count: int, *, key: bytes) -> Head:
    return Head(sequence, hash_, count, head_seal(sequence, hash_, count, key=key))


@dataclass(frozen=True)
class Checkpoint:
    """A place where the newest entry was written down outside the ledger, e.g. a stock count: it records that
    when ``label`` happened the newest entry was ``sequence`` with seal ``hash`` (0 and GENESIS_HASH: none)."""

    label: str
    sequence: int
    hash: str


@dataclass(frozen=True)
class ChainBreak:
    """The first entry at which the ledger does not hold, and why, in plain words."""

    sequence: int
    reason: str

    def __str__(self) -> str:
        return f"entry {self.sequence}: {self.reason}"


def verify_chain(
    entries: Iterable[Entry],
    *,
    key: bytes,
    head: Head | None = None,
    checkpoints: Iterable[Checkpoint] = (),
) -> ChainBreak | None:
    """Walk ``entries`` (in sequence order) and return the first break, or None if the whole ledger holds.

    Checks, in order: sequence numbers run 1, 2, 3... with no gap (a gap is a deleted entry); each entry's
    ``prev_hash`` is the previous entry's seal; each entry's seal is the keyed hash of its fields. Then the
    head (``None``: no head record): it must be present when there are entries, carry a valid seal,
    and name the newest entry and the number of entries (a deleted newest entry shows here). Last, each
    checkpoint must match the entry at its sequence. The break names the first bad entry's sequence number.
    """
    key = _check_key(key)
    broken, seals = _walk(entries, key)
    if broken is not None:
        return broken
    newest = max(seals)
    broken = _check_head(head, newest=newest, newest_hash=seals[newest], count=len(seals) - 1, key=key)
    if broken is not None:
        return broken
    for point in sorted(checkpoints, key=lambda p: p.sequence):
        stored = seals.get(point.sequence)
        if stored is None:
            return ChainBreak(
                point.sequence,
                f"{point.label} recorded entry {point.sequence} as the newest, but the ledger has no entry "
                f"{point.sequence} (entries were deleted from the database)",
            )
        if stored != point.hash:
            return ChainBreak(
                point.sequence,
                f"{point.label} recorded a different seal for entry {point.sequence} than the one it "
                "carries now (the ledger up to that entry was rewritten)",
            )
    return None


def _check_head(head: Head | None, *, newest: int, newest_hash: str, count: int, key: bytes):
    if head is None:
        if count == 0:
            return None
        return ChainBreak(
            newest,
            "the sealed ledger head is missing, so deletions of the newest entries cannot be ruled out "
            "(the head record was deleted from the database)",
        )
    if not hmac.compare_digest(head_seal(head.sequence, head.hash, head.count, key=key), head.seal or ""):
        return ChainBreak(
            max(head.sequence, newest),
            "the ledger head's seal does not match what it records (the head was altered, or written without "
            "the clinic's ledger key)",
        )
    if head.sequence > newest or head.count > count:
        first_gone = newest + 1
        lost = head.count - count
        return ChainBreak(
            first_gone,
            f"entry {first_gone} is missing: the sealed head records {head.count} entries ending at entry "
            f"{head.sequence}, but the newest entry found is {newest} "
            f"({lost} newest {'entry was' if lost == 1 else 'entries were'} deleted from the database)",
        )
    if head.sequence < newest or head.count < count:
        return ChainBreak(
            head.sequence + 1,
            f"entry {head.sequence + 1} is not covered by the sealed head, which records {head.count} entries "
            f"ending at entry {head.sequence} (entries were added outside the application)",
        )
    if head.hash != newest_hash:
        return ChainBreak(
            newest,
            "its seal differs from the one the sealed head records for the newest entry (the newest entry "
            "was replaced)",
        )
    return None


def head_break(head: Head | None, newest: Entry | None, count: int, *, key: bytes) -> ChainBreak | None:
    """The quick check (for health probes): the head's seal, the newest entry's own seal, and that the head names
    the newest entry and the number of entries. The whole chain is :func:`verify_chain`'s work."""
    if newest is not None and not hmac.compare_digest(entry_hash(newest, key=key), newest.hash or ""):
        return ChainBreak(newest.sequence, "its seal does not match its contents (the newest entry was altered)")
    return _check_head(
        head,
        newest=newest.sequence if newest else 0,
        newest_hash=newest.hash if newest else GENESIS_HASH,
        count=count,
        key=key,
    )


def unkeyed_chain_break(entries: Iterable[Entry]) -> ChainBreak | None:
    """The first break of a ledger chained the old way (plain SHA-256, no head): checked once before such a
    ledger is re-sealed with the key, so that tampering done before then is not sealed in."""
    expected_prev, expected_sequence = GENESIS_HASH, 1
    for entry in entries:
        if entry.sequence != expected_sequence:
            return ChainBreak(
                entry.sequence, f"sequence number {entry.sequence} where {expected_sequence} was expected"
            )
        if entry.prev_hash != expected_prev:
            return ChainBreak(
                entry.sequence, "its link to the previous entry does not match that entry's hash"
            )
        if unkeyed_entry_hash(entry) != entry.hash:
            return ChainBreak(entry.sequence, "its contents no longer match its hash (the row was altered)")
        expected_prev, expected_sequence = entry.hash, expected_sequence + 1
    return None


def first_entry_break(entries: Iterable[Entry], *, key: bytes) -> ChainBreak | None:
    """The first break among ``entries`` themselves (sequence gaps, links, seals), without the head and the
    checkpoints: for a ledger whose later rows cannot be read at all."""
    return _walk(entries, _check_key(key))[0]


def _walk(entries: Iterable[Entry], key: bytes) -> tuple[ChainBreak | None, dict[int, str]]:
    """(first break or None, {sequence: seal} of the entries up to it, with 0: GENESIS_HASH)."""
    expected_prev, expected_sequence = GENESIS_HASH, 1
    seals: dict[int, str] = {0: GENESIS_HASH}
    for entry in entries:
        if entry.sequence != expected_sequence:
            if entry.sequence > expected_sequence:
                missing = (
                    f"entry {expected_sequence} is missing"
                    if entry.sequence == expected_sequence + 1
                    else f"entries {expected_sequence} to {entry.sequence - 1} are missing"
                )
                where = (
                    f"the ledger starts at entry {entry.sequence}"
                    if expected_sequence == 1
                    else f"the ledger goes from entry {expected_sequence - 1} to entry {entry.sequence}"
                )
                return ChainBreak(expected_sequence, f"{missing}: {where} (deleted from the database)"), seals
            return ChainBreak(
                entry.sequence,
                f"sequence number {entry.sequence} appears where {expected_sequence} was expected "
                "(an entry was inserted or renumbered)",
            ), seals
        if entry.prev_hash != expected_prev:
            return ChainBreak(
                entry.sequence,
                "its link to the previous entry does not match that entry's seal (an entry before it was "
                "replaced, or this one was moved)",
            ), seals
        if not hmac.compare_digest(entry_hash(entry, key=key), entry.hash):
            if entry.hash == unkeyed_entry_hash(entry):
                why = (
                    "it carries a plain SHA-256 hash instead of the ledger's keyed seal: the row was rewritten "
                    "and re-hashed outside the application"
                )
            else:
                why = (
                    "its contents do not match its seal: the row was altered, or re-sealed without the "
                    "clinic's ledger key"
                )
            return ChainBreak(entry.sequence, why), seals
        seals[entry.sequence] = entry.hash
        expected_prev, expected_sequence = entry.hash, expected_sequence + 1
    return None, seals
