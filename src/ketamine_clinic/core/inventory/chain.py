"""Tamper evidence: every ledger entry is chained to the one before it by a SHA-256 hash.

hash(entry) = SHA-256( canonical serialisation of the entry's fields, including the previous entry's hash ).

Changing any stored field of any entry, deleting an entry or inserting one changes a hash that the next
entry depends on, so :func:`verify_chain` finds the first broken link. (Someone able to rewrite the whole
table and recompute every hash after the change is not stopped by this alone; the audit log and regular
counts are the other safeguards, and the latest hash can be printed on the count sheet to anchor it.)

The canonical serialisation is JSON with sorted keys and no spaces; identifiers are written as text (so a
database id 7 and "7" agree), times as UTC ISO 8601 with microseconds, quantities as integers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from .ledger import Entry, Movement

GENESIS_HASH = "0" * 64


def _id(value) -> str | None:
    return None if value is None else str(value)


def _time(value: datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("Ledger times must carry a time zone.")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(sequence: int, movement: Movement, recorded_at: datetime, prev_hash: str) -> bytes:
    """The exact bytes hashed for one entry."""
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


def entry_hash(entry: Entry) -> str:
    """SHA-256 (hex) of the entry's canonical serialisation; the entry's own ``hash`` field is not part of it."""
    return hashlib.sha256(
        canonical(entry.sequence, entry.movement, entry.recorded_at, entry.prev_hash)
    ).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    """The first entry at which the chain does not hold, and why."""

    sequence: int
    reason: str

    def __str__(self) -> str:
        return f"entry {self.sequence}: {self.reason}"


def verify_chain(entries: Iterable[Entry]) -> ChainBreak | None:
    """Walk ``entries`` in order and return the first broken link, or None if the whole chain holds.

    Checks, for each entry: its sequence number follows the previous one (nothing deleted or inserted), its
    ``prev_hash`` is the previous entry's hash, and its stored hash matches a fresh hash of its fields.
    """
    expected_prev, expected_sequence = GENESIS_HASH, 1
    for entry in entries:
        if entry.sequence != expected_sequence:
            return ChainBreak(
                entry.sequence,
                f"sequence number {entry.sequence} where {expected_sequence} was expected "
                "(an entry is missing or was inserted)",
            )
        if entry.prev_hash != expected_prev:
            return ChainBreak(
                entry.sequence, "its link to the previous entry does not match that entry's hash"
            )
        recomputed = entry_hash(entry)
        if recomputed != entry.hash:
            return ChainBreak(entry.sequence, "its contents no longer match its hash (the row was altered)")
        expected_prev, expected_sequence = entry.hash, expected_sequence + 1
    return None
