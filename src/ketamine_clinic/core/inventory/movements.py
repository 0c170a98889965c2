"""What a ledger movement and a stored entry are: the kind of movement, the proposed :class:`Movement`, and the
numbered, chained :class:`Entry`. Plain data shared by the rules (:mod:`.ledger`) and the keyed hash chain
(:mod:`.chain`), so that neither has to import the other to know them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Kind(StrEnum):
    RECEIVED = (
        "received"  # from a supplier, against an invoice (21 CFR 1304.22(c): number of units received, date)
    )
    DRAWN = "drawn"  # taken out of the safe for one dosing session
    ADMINISTERED = "administered"  # given to the patient of that session (the session's recorded dose)
    WASTED = "wasted"  # unusable remainder (e.g. of an opened vial), destroyed in front of a witness
    RETURNED = "returned"  # drawn for a session but not used, put back into the safe
    RETURNED_TO_SUPPLIER = "returned_to_supplier"  # sent back to the supplier / distributor
    TRANSFERRED = "transferred"  # moved between two storage locations of the clinic
    DESTROYED = (
        "destroyed"  # stock disposed of (expired, damaged) under 21 CFR 1317, e.g. via a reverse distributor
    )
    COUNT_ADJUSTMENT = (
        "count_adjustment"  # brings a balance to a counted figure after an investigated discrepancy
    )
    CORRECTION = "correction"  # reverses one earlier entry that was recorded in error

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


@dataclass(frozen=True)
class Movement:
    """One proposed ledger entry, before it is numbered and chained.

    ``quantity_mcg`` is positive for every kind except ``count_adjustment``, where it is the signed change
    (counted minus derived) and must not be zero; a ``correction`` carries the quantity of the entry it
    reverses. ``occurred_at`` is when it happened (timezone-aware); who recorded it is ``recorded_by``.
    """

    kind: Kind
    lot: object
    quantity_mcg: int
    occurred_at: datetime
    recorded_by: object
    location: object = None
    to_location: object = None
    session: object = None
    witness: object = None
    counterparty: str = ""
    reference: str = ""
    reason: str = ""
    corrects: int | None = None
    dose_ref: str = ""


@dataclass(frozen=True)
class Entry:
    """A movement as stored: numbered, timestamped on recording, and chained to the entry before it."""

    sequence: int
    movement: Movement
    recorded_at: datetime
    prev_hash: str
    hash: str
