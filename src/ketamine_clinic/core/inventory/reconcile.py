"""Reconciliation: does every session's drug add up, and does the safe hold what the ledger says?

For each dosing session, everything drawn must end up administered, wasted (witnessed) or returned to the
safe: drawn = administered + wasted + returned. While some remains held by the session it is *open*; when it
all adds up it is *balanced*. Because balances can never go negative, a session can never show more given
than drawn. The administered total is also compared with the dose the session itself recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .ledger import Entry, Kind, Movement


@dataclass(frozen=True)
class SessionTally:
    """Micrograms of one session's drug by what happened to them (corrections already netted out)."""

    session: object
    drawn_mcg: int = 0
    administered_mcg: int = 0
    wasted_mcg: int = 0
    returned_mcg: int = 0

    @property
    def held_mcg(self) -> int:
        """Drawn but not yet accounted for: still in the syringe or vial at the chair."""
        return self.drawn_mcg - self.administered_mcg - self.wasted_mcg - self.returned_mcg

    @property
    def balanced(self) -> bool:
        return self.held_mcg == 0

    def matches_dose(self, recorded_dose_mcg: int | None) -> bool | None:
        """Does the ledger's administered total equal the session's recorded dose? None if no dose recorded."""
        if recorded_dose_mcg is None:
            return None
        return self.administered_mcg == recorded_dose_mcg


_FIELD = {
    Kind.DRAWN: "drawn_mcg",
    Kind.ADMINISTERED: "administered_mcg",
    Kind.WASTED: "wasted_mcg",
    Kind.RETURNED: "returned_mcg",
}


def session_tallies(entries: Iterable[Entry]) -> dict[object, SessionTally]:
    """Tally every session named in ``entries`` (all entries, in sequence order, so corrections find their
    originals). A correction subtracts the entry it reverses."""
    by_sequence: dict[int, Movement] = {}
    sums: dict[object, dict[str, int]] = {}
    for entry in entries:
        m = entry.movement
        by_sequence[entry.sequence] = m
        sign, target = 1, m
        if m.kind == Kind.CORRECTION:
            target = by_sequence.get(m.corrects)
            sign = -1
            if target is None:
                continue
        name = _FIELD.get(Kind(target.kind))
        if name is None or target.session is None:
            continue
        row = sums.setdefault(target.session, dict.fromkeys(_FIELD.values(), 0))
        row[name] += sign * target.quantity_mcg
    return {session: SessionTally(session=session, **row) for session, row in sums.items()}
