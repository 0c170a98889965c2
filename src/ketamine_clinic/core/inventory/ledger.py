"""The controlled-substance ledger rules: what a movement is, when it is refused, and what stock remains.

Ketamine and esketamine are Schedule III controlled substances. A registrant keeps a complete and accurate
record of every quantity received, dispensed/administered or otherwise disposed of (21 CFR 1304.21(a);
practitioner dispensing records 21 CFR 1304.22(c)), kept for at least two years (21 CFR 1304.04(a)); disposal
of stock follows 21 CFR part 1317. This module holds the rules, free of any database:

* A **movement** is one entry of the ledger. Entries are never edited or deleted; a mistake is put right by
  a new ``correction`` entry that names the entry it corrects and exactly reverses its effect, after which
  the right movement is entered afresh.
* **Balances are derived**: the stock of a lot in a storage location, and the drug a session holds (drawn
  but not yet administered, wasted or returned), are the sums of the effects of the entries. Nothing stores
  a running total that could disagree with the entries.
* A movement that would make any balance negative, draw from an expired lot, or lacks what its kind needs
  (supplier and invoice for a receipt, a different witness for waste and destruction, a reason...) is
  refused with a :class:`LedgerError` whose message says why, and changes nothing.

Quantities are integer micrograms (see :mod:`.quantities`). Identifiers of lots, locations, sessions and
people are opaque (database ids or test strings).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from .chain import GENESIS_HASH, entry_hash, sealed_head
from .movements import Entry, Kind, Movement  # defined apart so that chain needs only them, not the rules
from .products import ProductSpec
from .quantities import format_mg

# Who must be named for each kind. Fields not listed for a kind must be left empty so that every entry reads
# one way only.
_LOCATION = "location"
_TO = "to_location"
_SESSION = "session"
_WITNESS = "witness"
_PARTY = "counterparty"
_REF = "reference"
_REASON = "reason"
_CORRECTS = "corrects"

REQUIRED: dict[Kind, frozenset[str]] = {
    Kind.RECEIVED: frozenset({_LOCATION, _PARTY, _REF}),
    Kind.DRAWN: frozenset({_LOCATION, _SESSION}),
    Kind.ADMINISTERED: frozenset({_SESSION}),
    Kind.WASTED: frozenset({_WITNESS, _REASON}),  # plus a session OR a location (checked below)
    Kind.RETURNED: frozenset({_LOCATION, _SESSION}),
    Kind.RETURNED_TO_SUPPLIER: frozenset({_LOCATION, _PARTY, _REF}),
    Kind.TRANSFERRED: frozenset({_LOCATION, _TO}),
    # Destruction on the clinic's premises is observed by two authorised employees (21 CFR 1317.95(d));
    # the reference is the DEA Form 41 or the reverse distributor's receipt.
    Kind.DESTROYED: frozenset({_LOCATION, _WITNESS, _REF, _REASON}),
    Kind.COUNT_ADJUSTMENT: frozenset({_LOCATION, _REASON}),
    Kind.CORRECTION: frozenset({_CORRECTS, _REASON}),
}
ALLOWED: dict[Kind, frozenset[str]] = {
    Kind.RECEIVED: REQUIRED[Kind.RECEIVED] | {_REASON},
    Kind.DRAWN: REQUIRED[Kind.DRAWN] | {_REASON},
    Kind.ADMINISTERED: REQUIRED[Kind.ADMINISTERED] | {_REASON, "dose_ref"},
    Kind.WASTED: REQUIRED[Kind.WASTED] | {_SESSION, _LOCATION},
    Kind.RETURNED: REQUIRED[Kind.RETURNED] | {_REASON},
    Kind.RETURNED_TO_SUPPLIER: REQUIRED[Kind.RETURNED_TO_SUPPLIER] | {_REASON},
    Kind.TRANSFERRED: REQUIRED[Kind.TRANSFERRED] | {_REASON},
    Kind.DESTROYED: REQUIRED[Kind.DESTROYED] | {_PARTY},
    Kind.COUNT_ADJUSTMENT: REQUIRED[Kind.COUNT_ADJUSTMENT] | {_REF, _WITNESS},
    Kind.CORRECTION: REQUIRED[Kind.CORRECTION],
}
_OPTIONAL_FIELDS = (_LOCATION, _TO, _SESSION, _WITNESS, _PARTY, _REF, _REASON, _CORRECTS, "dose_ref")
_FIELD_WORDS = {
    _LOCATION: "a storage location",
    _TO: "a destination location",
    _SESSION: "a dosing session",
    _WITNESS: "a witness",
    _PARTY: "a supplier or other party",
    _REF: "a reference (invoice, DEA form or discrepancy number)",
    _REASON: "a reason",
    _CORRECTS: "the entry it corrects",
    "dose_ref": "a dose reference",
}


class LedgerError(ValueError):
    """A movement refused by the ledger rules. The message is meant for the person who entered it."""


@dataclass(frozen=True)
class LotSpec:
    """One manufacturer's lot of a product, with its expiry date (usable through that date)."""

    lot: object
    product: ProductSpec
    expires_on: date
    lot_number: str = ""

    def expired_on(self, day: date) -> bool:
        return day > self.expires_on


# A balance lives in a bucket: the stock of a storage location, or what a dosing session holds.
Bucket = tuple[str, object]  # ("stock", location) | ("session", session)


def stock(location) -> Bucket:
    return ("stock", location)


def held_by(session) -> Bucket:
    return ("session", session)


Effects = tuple[tuple[Bucket, int], ...]


def effects(movement: Movement, corrected: Movement | None = None) -> Effects:
    """The signed changes this movement makes to the balances of its lot, in micrograms.

    A correction's effects are the exact negation of the effects of the movement it corrects, which must be
    passed as ``corrected``.
    """
    q, m = movement.quantity_mcg, movement
    match m.kind:
        case Kind.RECEIVED:
            return ((stock(m.location), q),)
        case Kind.DRAWN:
            return ((stock(m.location), -q), (held_by(m.session), q))
        case Kind.ADMINISTERED:
            return ((held_by(m.session), -q),)
        case Kind.WASTED:
            return ((held_by(m.session), -q),) if m.session is not None else ((stock(m.location), -q),)
        case Kind.RETURNED:
            return ((held_by(m.session), -q), (stock(m.location), q))
        case Kind.RETURNED_TO_SUPPLIER | Kind.DESTROYED:
            return ((stock(m.location), -q),)
        case Kind.TRANSFERRED:
            return ((stock(m.location), -q), (stock(m.to_location), q))
        case Kind.COUNT_ADJUSTMENT:
            return ((stock(m.location), q),)
        case Kind.CORRECTION:
            if corrected is None:
                raise LedgerError("A correction needs the entry it corrects.")
            return tuple((bucket, -delta) for bucket, delta in effects(corrected))
    raise LedgerError(f"Unknown movement kind {m.kind!r}.")


def _describe(bucket: Bucket) -> str:
    kind, key = bucket
    return f"location {key}" if kind == "stock" else f"session {key}"


def check(
    movement: Movement,
    *,
    lot: LotSpec,
    balances: Mapping[Bucket, int],
    now: datetime,
    corrected: Entry | None = None,
    already_corrected: bool = False,
) -> Effects:
    """Refuse ``movement`` with a clear :class:`LedgerError`, or return its effects if it may be recorded.

    ``balances`` are the current balances of ``lot`` (missing buckets are zero). ``corrected`` is the entry a
    correction names (None if it does not exist); ``already_corrected`` says whether that entry has already
    been corrected once. Nothing is changed here: the caller records the entry only when this returns.
    """
    m = movement
    kind = _check_basics(m, lot, now)
    _check_fields(m, kind)
    _check_quantity(m, kind, lot)
    result = _correction_effects(m, corrected, already_corrected) if kind == Kind.CORRECTION else effects(m)
    _check_balances(result, balances, lot, kind)
    return result


def _check_basics(m: Movement, lot: LotSpec, now: datetime) -> Kind:
    """A known kind, for this lot, a whole number of micrograms, a zoned time not in the future, a recorder."""
    try:
        kind = Kind(m.kind)
    except ValueError:
        raise LedgerError(f"Unknown movement kind {m.kind!r}.") from None
    if m.lot != lot.lot:
        raise LedgerError("The movement names a different lot from the one it is checked against.")
    if isinstance(m.quantity_mcg, bool) or not isinstance(m.quantity_mcg, int):
        raise LedgerError("The quantity must be a whole number of micrograms.")
    if m.occurred_at.tzinfo is None or m.occurred_at.utcoffset() is None:
        raise LedgerError("The time of the movement must carry a time zone.")
    if m.occurred_at > now:
        raise LedgerError("A movement cannot be recorded as happening in the future.")
    if not str(m.recorded_by or "").strip():
        raise LedgerError("Every movement names the person who records it.")
    return kind


def _check_fields(m: Movement, kind: Kind) -> None:
    """What the kind needs is named, what it does not take is empty, and the people and places make sense."""
    for name in REQUIRED[kind]:
        value = getattr(m, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise LedgerError(f"A {kind.label} entry needs {_FIELD_WORDS[name]}.")
    for name in _OPTIONAL_FIELDS:
        value = getattr(m, name)
        if name not in ALLOWED[kind] and value not in (None, ""):
            raise LedgerError(f"A {kind.label} entry does not take {_FIELD_WORDS[name]}.")

    if kind == Kind.WASTED and (m.session is None) == (m.location is None):
        raise LedgerError(
            "Waste comes either from what a session holds (name the session) or from the safe (name the "
            "location), not both."
        )
    if m.witness is not None and str(m.witness) == str(m.recorded_by):
        raise LedgerError("The witness must be a different staff member from the person recording.")
    if kind == Kind.TRANSFERRED and m.to_location == m.location:
        raise LedgerError("A transfer must go to a different storage location.")


def _check_quantity(m: Movement, kind: Kind, lot: LotSpec) -> None:
    """More than zero (a count adjustment: not zero), whole containers where the product needs them, and
    an in-date lot for what is received, drawn or administered."""
    if kind == Kind.COUNT_ADJUSTMENT:
        if m.quantity_mcg == 0:
            raise LedgerError("A count adjustment must change the balance; the difference is zero.")
    elif m.quantity_mcg <= 0:
        raise LedgerError(f"The quantity of a {kind.label} entry must be more than zero.")

    product = lot.product
    if kind == Kind.RECEIVED and m.quantity_mcg % product.unit_content_mcg:
        raise LedgerError(
            f"Stock is received in whole {product.unit_label}s of {format_mg(product.unit_content_mcg)}; "
            f"{format_mg(m.quantity_mcg)} is not a whole number of them."
        )
    if product.whole_units_only and m.quantity_mcg % product.unit_content_mcg:
        raise LedgerError(
            f"{product.name} moves in whole {product.unit_label}s of {format_mg(product.unit_content_mcg)}; "
            f"{format_mg(abs(m.quantity_mcg))} is not a whole number of them."
        )
    day = m.occurred_at.date()
    if kind in (Kind.RECEIVED, Kind.DRAWN, Kind.ADMINISTERED) and lot.expired_on(day):
        raise LedgerError(
            f"Lot {lot.lot_number or lot.lot} expired on {lot.expires_on.isoformat()}; it cannot be "
            f"{kind.label}. Quarantine it for destruction."
        )


def _correction_effects(m: Movement, corrected: Entry | None, already_corrected: bool) -> Effects:
    """A correction reverses exactly one existing, uncorrected, non-correction entry of the same lot."""
    if corrected is None:
        raise LedgerError(f"There is no entry number {m.corrects} to correct.")
    if corrected.movement.lot != m.lot:
        raise LedgerError("A correction must be recorded against the lot of the entry it corrects.")
    if corrected.movement.kind == Kind.CORRECTION:
        raise LedgerError(
            "A correction cannot itself be corrected; record the right movement again instead."
        )
    if already_corrected:
        raise LedgerError(f"Entry {corrected.sequence} has already been corrected.")
    if m.quantity_mcg != abs(corrected.movement.quantity_mcg):
        raise LedgerError("A correction reverses the whole entry: its quantity must equal the entry's.")
    return effects(m, corrected.movement)


def _check_balances(result: Effects, balances: Mapping[Bucket, int], lot: LotSpec, kind: Kind) -> None:
    """No balance may go below zero."""
    after = dict(balances)
    for bucket, delta in result:
        after[bucket] = after.get(bucket, 0) + delta
    for bucket, _delta in result:
        if after[bucket] < 0:
            have = balances.get(bucket, 0)
            raise LedgerError(
                f"Not enough of lot {lot.lot_number or lot.lot} in {_describe(bucket)}: it holds "
                f"{format_mg(have)}, this {kind.label} entry needs {format_mg(have - after[bucket])}."
            )


def apply(balances: Mapping[Bucket, int], result: Effects) -> dict[Bucket, int]:
    """New balances after adding checked effects (a new dict; ``balances`` is untouched)."""
    after = dict(balances)
    for bucket, delta in result:
        after[bucket] = after.get(bucket, 0) + delta
    return after


def derive_balances(entries: Iterable[Entry]) -> dict[tuple[object, Bucket], int]:
    """Balances per (lot, bucket) as the sum of the effects of ``entries`` (in sequence order).

    This is the only definition of a balance: pages, counts and reports all call it (or sum the same
    effects), so the ledger and the balances cannot disagree.
    """
    by_sequence: dict[int, Movement] = {}
    totals: dict[tuple[object, Bucket], int] = {}
    for entry in entries:
        m = entry.movement
        by_sequence[entry.sequence] = m
        corrected = by_sequence.get(m.corrects) if m.kind == Kind.CORRECTION else None
        for bucket, delta in effects(m, corrected):
            key = (m.lot, bucket)
            totals[key] = totals.get(key, 0) + delta
    return totals


@dataclass
class Ledger:
    """An in-memory ledger: the rules plus the keyed hash chain, for tests, the CLI and as the model the Django
    service follows. ``lots`` maps lot id -> :class:`LotSpec`; ``key`` is the ledger key (bytes) that seals
    each entry (see :mod:`.chain`).
    """

    lots: dict[object, LotSpec]
    key: bytes = field(repr=False, kw_only=True)
    entries: list[Entry] = field(default_factory=list)
    _balances: dict[object, dict[Bucket, int]] = field(default_factory=dict)
    _corrected: set[int] = field(default_factory=set)

    def lot_balances(self, lot) -> dict[Bucket, int]:
        return dict(self._balances.get(lot, {}))

    def balance(self, lot, bucket: Bucket) -> int:
        return self._balances.get(lot, {}).get(bucket, 0)

    def append(self, movement: Movement, *, now: datetime) -> Entry:
        """Check and record ``movement``; raise :class:`LedgerError` (changing nothing) if it is refused."""
        lot = self.lots.get(movement.lot)
        if lot is None:
            raise LedgerError(f"Unknown lot {movement.lot!r}.")
        corrected = None
        if movement.kind == Kind.CORRECTION and movement.corrects is not None:
            if 1 <= movement.corrects <= len(self.entries):
                corrected = self.entries[movement.corrects - 1]
        result = check(
            movement,
            lot=lot,
            balances=self._balances.get(movement.lot, {}),
            now=now,
            corrected=corrected,
            already_corrected=movement.corrects in self._corrected,
        )
        sequence = len(self.entries) + 1
        prev = self.entries[-1].hash if self.entries else GENESIS_HASH
        unhashed = Entry(sequence=sequence, movement=movement, recorded_at=now, prev_hash=prev, hash="")
        entry = replace(unhashed, hash=entry_hash(unhashed, key=self.key))
        self.entries.append(entry)
        self._balances[movement.lot] = apply(self._balances.get(movement.lot, {}), result)
        if movement.kind == Kind.CORRECTION:
            self._corrected.add(movement.corrects)
        return entry

    def head(self):
        """The sealed head naming the newest entry (what the database keeps in its head row)."""
        newest = self.entries[-1] if self.entries else None
        return sealed_head(
            newest.sequence if newest else 0,
            newest.hash if newest else GENESIS_HASH,
            len(self.entries),
            key=self.key,
        )
