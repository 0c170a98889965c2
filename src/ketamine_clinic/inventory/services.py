"""Controlled-substance ledger operations used by the pages, the API, the sessions app and the demo seed.

This is the generic ledger: it knows lots, safes and balances, not dosing sessions. Drug a session holds is
moved only through ``ketamine_clinic.sessions.custody`` (see :class:`SessionCustody`).

Every movement goes through :func:`append`, which, inside one transaction:

1. locks the chain head (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's IMMEDIATE transactions already
   serialise writers), so two nurses drawing from the same lot at the same moment are checked one after
   the other against the balance the first one left;
2. derives the lot's balances from its ledger entries and asks the pure core whether the movement may be
   recorded (refusals become ``django.core.exceptions.ValidationError`` with the core's message, which rolls
   back the surrounding transaction, e.g. the session's dose record);
3. numbers the entry, seals it with the ledger key (HMAC-SHA256, chained to the previous entry's seal),
   saves it, rewrites the sealed chain head (newest sequence, seal, number of entries) and writes an audit
   row. The entry's ``recorded_at`` is read from the clock only once the chain lock is held, so sequence
   order and recording order agree.

The ledger key is ``settings.LEDGER_KEY`` (never stored in the database); :func:`verify_ledger` checks every
seal and link, the head, and the stock counts' checkpoints with it.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic import audit
from ketamine_clinic.accounts.services import confirm_second_person
from ketamine_clinic.core.inventory import (
    GENESIS_HASH,
    ChainBreak,
    Checkpoint,
    Entry,
    Kind,
    LedgerError,
    Movement,
    QuantityError,
    check,
    derive_balances,
    entry_hash,
    first_entry_break,
    format_mg,
    head_break,
    head_seal,
    held_by,
    mg_to_mcg,
    stock,
    verify_chain,
)

from .models import Count, CountLine, Discrepancy, LedgerEntry, LedgerHead, Lot, Product, StorageLocation

# --------------------------------------------------------------------------------------------- quantities


def to_mcg(value, field: str = "quantity_mg") -> int:
    """A quantity in mg as typed (text/Decimal/int) or computed (float, rounded to the microgram) -> mcg."""
    try:
        if isinstance(value, float):
            return int((Decimal(repr(value)) * 1000).to_integral_value())
        return mg_to_mcg(value)
    except (QuantityError, InvalidOperation) as exc:
        raise ValidationError({field: str(exc)}) from None
    except (OverflowError, ValueError):  # an infinite or not-a-number float
        raise ValidationError({field: "That is not an amount in mg the ledger can record."}) from None


# ----------------------------------------------------------------------------------------------- balances


def lot_entries(lot_id) -> list[Entry]:
    return [row.as_core() for row in LedgerEntry.objects.filter(lot_id=lot_id).order_by("sequence")]


def lot_balances(lot_id) -> dict:
    """{bucket: mcg} for one lot, derived from its entries (core ``derive_balances``)."""
    return {bucket: v for (_lot, bucket), v in derive_balances(lot_entries(lot_id)).items()}


def all_balances(*, as_of: dt.datetime | None = None) -> dict:
    """{(lot_id, bucket): mcg} over the whole ledger, optionally only entries that occurred up to ``as_of``.

    Corrections are kept with the entries they reverse even if recorded after ``as_of``, so a report as of a
    past moment shows the corrected figure.
    """
    rows = LedgerEntry.objects.order_by("sequence")
    entries = [row.as_core() for row in rows]
    if as_of is not None:
        kept = {e.sequence for e in entries if e.movement.occurred_at <= as_of}
        entries = [
            e
            for e in entries
            if e.sequence in kept or (e.movement.kind == Kind.CORRECTION and e.movement.corrects in kept)
        ]
    return derive_balances(entries)


def available_lots(*, route: str | None = None, on: dt.date | None = None) -> list[tuple[Lot, int]]:
    """In-date lots with stock in some safe, with their total stock in micrograms, soonest expiry first
    (first-expiry-first-out). ``route="intranasal"`` keeps devices only; other routes keep vials. For the
    sessions app's lot choice when a dose is confirmed."""
    on = on or timezone.localdate()
    totals: dict[int, int] = {}
    for (lot_id, (kind, _key)), value in all_balances().items():
        if kind == "stock" and value > 0:
            totals[lot_id] = totals.get(lot_id, 0) + value
    lots = Lot.objects.select_related("product").filter(pk__in=totals, expires_on__gte=on)
    if route is not None:
        lots = lots.filter(product__form="device" if route == "intranasal" else "vial")
    return [(lot, totals[lot.pk]) for lot in lots.order_by("expires_on", "lot_number")]


def stock_of(lot_id, location_id) -> int:
    return lot_balances(lot_id).get(stock(location_id), 0)


def held_for_session(lot_id, session_id) -> int:
    return lot_balances(lot_id).get(held_by(session_id), 0)


# ------------------------------------------------------------------------------------------------- append


def ledger_key() -> bytes:
    """The key sealing the ledger (``settings.LEDGER_KEY``), as the bytes the pure core takes."""
    return settings.LEDGER_KEY.encode("utf-8")


def lock_chain() -> LedgerHead:
    """Lock the chain head row (every append and count goes one at a time) and return it.

    A missing head row is created: sealed at the genesis values when the ledger is empty (a new or flushed
    database); when there are entries, from the newest entry but UNSEALED, so the verifier keeps reporting
    that the head was removed instead of a later append quietly sealing over the loss."""
    head = LedgerHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        last = LedgerEntry.objects.order_by("-sequence").only("sequence", "hash").first()
        if last is None:
            defaults = {"sequence": 0, "hash": GENESIS_HASH, "count": 0}
            defaults["seal"] = head_seal(0, GENESIS_HASH, 0, key=ledger_key())
        else:
            count = LedgerEntry.objects.count()
            defaults = {"sequence": last.sequence, "hash": last.hash, "count": count, "seal": ""}
        LedgerHead.objects.get_or_create(pk=1, defaults=defaults)
        head = LedgerHead.objects.select_for_update().get(pk=1)
    return head


def _head_trusted(head: LedgerHead) -> bool:
    expected = head_seal(head.sequence, head.hash, head.count, key=ledger_key())
    return hmac.compare_digest(expected, head.seal or "")


def _newest(head: LedgerHead, last: LedgerEntry | None) -> tuple[int, str]:
    """(sequence, seal) the next entry chains to: the head's, unless the table holds a later entry. When the
    newest entries were deleted the head is ahead of the table, and chaining to it keeps the gap visible."""
    if last is not None and last.sequence > head.sequence:
        return last.sequence, last.hash
    return head.sequence, head.hash


def _as_error(exc: LedgerError) -> ValidationError:
    return ValidationError(str(exc), code="ledger")


# Clinic-defined: the most vials or devices one entry may move (the receive page's limit). A quantity beyond
# that many containers of the lot's product is a typing slip, refused before it reaches the rules.
MAX_CONTAINERS_PER_ENTRY = 10_000


def _check_quantity(movement: Movement, lot: Lot) -> None:
    q = movement.quantity_mcg
    if isinstance(q, bool) or not isinstance(q, int):
        raise ValidationError({"quantity_mg": "Enter the quantity in mg as a number."})
    if movement.kind != Kind.COUNT_ADJUSTMENT and q <= 0:
        raise ValidationError(
            {"quantity_mg": f"Enter a quantity of more than 0 mg ({format_mg(q)} cannot be recorded)."}
        )
    unit = lot.product.unit_content_mcg
    if abs(q) > MAX_CONTAINERS_PER_ENTRY * unit:
        raise ValidationError(
            {
                "quantity_mg": f"That is more than {MAX_CONTAINERS_PER_ENTRY:,} {lot.product.unit_label}s of "
                f"{format_mg(unit)}, more than one entry can move; check the number typed."
            }
        )


@dataclass(frozen=True)
class SessionCustody:
    """Leave to move drug for one dosing session: issued by the session's custody service
    (``ketamine_clinic.sessions.custody``) once it has checked the session (the recorder on the patient's care
    team, the session not ended, the dose still to give kept). :func:`append` refuses any movement naming a
    session that does not come with one for that session, so the ledger has no side door round those checks.
    ``patient`` is the session's patient, named on the audit row."""

    session_id: int
    patient: object = None


def _check_custody(movement: Movement, custody: SessionCustody | None) -> None:
    if custody is not None and not isinstance(custody, SessionCustody):
        raise TypeError(f"custody must be a SessionCustody, not {type(custody).__name__}")
    if (custody.session_id if custody else None) != movement.session:
        raise ValidationError(
            {
                "session": "Drug of a dosing session is drawn, given, wasted and returned through the session "
                "(its custody checks the care team and the session first), not recorded directly."
            }
        )


def append(
    movement: Movement,
    *,
    actor,
    now: dt.datetime | None = None,
    patient=None,
    custody: SessionCustody | None = None,
) -> LedgerEntry:
    """Check ``movement`` against the rules and the derived balances, then chain and save it.

    ``actor`` is the request (preferred: the audit row gets path and address) or the user. ``now`` fixes the
    clock the rules judge by (tests, the demo seed); without it the clock is read once the chain lock is held.
    The entry's ``recorded_at`` is that clock, or the previous entry's ``recorded_at`` if that is later (clock
    skew between servers, or a fixed clock behind it), so recording times never run backwards along the
    chain. Raises ValidationError with a clear message when the movement is refused; nothing is saved then.
    A movement naming a dosing session needs that session's ``custody`` (:class:`SessionCustody`); its
    patient is the audit row's patient.
    """
    _check_custody(movement, custody)
    if custody is not None and patient is None:
        patient = custody.patient
    for name in ("counterparty", "reference", "reason", "dose_ref"):
        limit = LedgerEntry._meta.get_field(name).max_length
        if len(getattr(movement, name) or "") > limit:
            raise ValidationError({name: f"At most {limit} characters."})
    if timezone.is_aware(movement.occurred_at):
        # Expiry is a calendar date at the clinic: judge the movement on the clinic's day, not UTC's.
        movement = replace(movement, occurred_at=timezone.localtime(movement.occurred_at))
    with transaction.atomic():
        head = lock_chain()
        now = now or timezone.now()  # read under the lock: sequence order is recording order
        try:
            lot = Lot.objects.select_related("product").get(pk=movement.lot)
        except (Lot.DoesNotExist, ValueError, TypeError, OverflowError):
            raise ValidationError({"lot": "No such lot."}) from None
        _check_quantity(movement, lot)
        corrected, already = None, False
        if movement.kind == Kind.CORRECTION and movement.corrects is not None:
            row = LedgerEntry.objects.filter(sequence=movement.corrects).first()
            corrected = row.as_core() if row else None
            already = LedgerEntry.objects.filter(kind=Kind.CORRECTION, corrects=movement.corrects).exists()
        try:
            check(
                movement,
                lot=lot.spec(),
                balances=lot_balances(lot.pk),
                now=now,
                corrected=corrected,
                already_corrected=already,
            )
        except LedgerError as exc:
            raise _as_error(exc) from None
        last = LedgerEntry.objects.order_by("-sequence").only("sequence", "hash", "recorded_at").first()
        previous, prev_hash = _newest(head, last)
        sequence = previous + 1
        recorded_at = max(now, last.recorded_at) if last is not None else now
        key = ledger_key()
        digest = entry_hash(
            Entry(
                sequence=sequence, movement=movement, recorded_at=recorded_at, prev_hash=prev_hash, hash=""
            ),
            key=key,
        )
        m = movement
        row = LedgerEntry.objects.create(
            sequence=sequence,
            kind=Kind(m.kind).value,
            lot=lot,
            quantity_mcg=m.quantity_mcg,
            occurred_at=m.occurred_at,
            recorded_at=recorded_at,
            recorded_by_id=m.recorded_by,
            location_id=m.location,
            to_location_id=m.to_location,
            session_id=m.session,
            witness_id=m.witness,
            counterparty=m.counterparty,
            reference=m.reference,
            reason=m.reason,
            corrects=m.corrects,
            dose_ref=m.dose_ref,
            prev_hash=prev_hash,
            hash=digest,
        )
        # The head moves with every entry. A head whose seal does not hold (altered or re-created outside
        # the application) is not re-sealed here: the verifier keeps reporting it until it is investigated.
        trusted = _head_trusted(head)
        head.sequence, head.hash, head.count = sequence, digest, head.count + 1
        head.seal = head_seal(sequence, digest, head.count, key=key) if trusted else ""
        head.save(update_fields=["sequence", "hash", "count", "seal"])
        if patient is None and row.session_id is not None:
            patient = row.session.patient  # through the entry's foreign key
        audit.record(
            actor,
            "create",
            row,
            patient=patient,
            detail={
                "ledger": Kind(m.kind).value,
                "lot": lot.lot_number,
                "quantity": format_mg(m.quantity_mcg),
            },
        )
        return row


def user_of(actor):
    return getattr(actor, "user", actor)


def check_witness(user, witness, password: str) -> None:
    """A second, different staff member confirms by typing their own password now (both are recorded)."""
    confirm_second_person(
        user, witness, password, area="inventory", field="witness", role_words="witness",
        may="witness controlled substances",
    )


def when(occurred_at, now):
    return occurred_at or now or timezone.now()


# -------------------------------------------------------------------------------------------- operations


def receive(
    *,
    actor,
    product: Product,
    lot_number: str,
    expires_on: dt.date,
    location: StorageLocation,
    containers: int,
    supplier: str,
    invoice: str,
    occurred_at=None,
    now=None,
) -> LedgerEntry:
    """Receive whole vials/devices from a supplier against an invoice (21 CFR 1304.22(c))."""
    if isinstance(containers, bool) or not isinstance(containers, int) or containers <= 0:
        raise ValidationError({"containers": "Receive at least one whole vial or device."})
    if containers > MAX_CONTAINERS_PER_ENTRY:
        raise ValidationError(
            {"containers": f"At most {MAX_CONTAINERS_PER_ENTRY:,} vials or devices in one receipt."}
        )
    lot_number = (lot_number or "").strip()
    if not lot_number:
        raise ValidationError({"lot_number": "Enter the manufacturer's lot number."})
    if len(lot_number) > Lot._meta.get_field("lot_number").max_length:
        raise ValidationError({"lot_number": "A lot number has at most 40 characters."})
    with transaction.atomic():
        lot, created = Lot.objects.get_or_create(
            product=product, lot_number=lot_number, defaults={"expires_on": expires_on}
        )
        if not created and lot.expires_on != expires_on:
            raise ValidationError(
                {
                    "expires_on": f"Lot {lot_number} is already on record with expiry {lot.expires_on:%Y-%m-%d}."
                }
            )
        return append(
            Movement(
                Kind.RECEIVED,
                lot.pk,
                containers * product.unit_content_mcg,
                when(occurred_at, now),
                user_of(actor).pk,
                location=location.pk,
                counterparty=supplier.strip(),
                reference=invoice.strip(),
            ),
            actor=actor,
            now=now,
        )


def waste(
    *,
    actor,
    witness,
    witness_password: str,
    lot: Lot,
    quantity_mcg: int,
    reason: str,
    location: StorageLocation | None = None,
    occurred_at=None,
    now=None,
):
    """Waste drug from the safe (a broken or contaminated vial) in front of a witness who confirms with their
    own password at that moment. Clinic policy, in line with DEA's expectation that wastage is recorded and
    witnessed; disposal of *stock* is :func:`record_movement` ``destroyed``. The remainder a dosing session
    holds is wasted through the session's custody (``ketamine_clinic.sessions.custody.waste``)."""
    user = user_of(actor)
    check_witness(user, witness, witness_password)
    with transaction.atomic():
        lock_chain()
        return append(
            Movement(
                Kind.WASTED,
                lot.pk,
                quantity_mcg,
                when(occurred_at, now),
                user.pk,
                location=location.pk if location else None,
                witness=witness.pk,
                reason=reason.strip(),
            ),
            actor=actor,
            now=now,
        )


def movement_kind(kind) -> Kind:
    """The kind of an "other movement" (:func:`record_movement`), refused when unknown or recorded elsewhere."""
    try:
        kind = Kind(kind)
    except ValueError:
        raise ValidationError({"kind": f"Unknown movement kind {kind!r}."}) from None
    if kind in (Kind.RECEIVED, Kind.DRAWN, Kind.ADMINISTERED, Kind.COUNT_ADJUSTMENT):
        raise ValidationError({"kind": f"Record {kind.label} entries on their own page."})
    return kind


def record_movement(
    *,
    actor,
    kind: str,
    lot: Lot,
    quantity_mcg: int,
    location=None,
    to_location=None,
    custody: SessionCustody | None = None,
    witness=None,
    witness_password: str = "",
    counterparty: str = "",
    reference: str = "",
    reason: str = "",
    corrects: int | None = None,
    occurred_at=None,
    now=None,
):
    """Any other movement (returned, returned to supplier, transferred, destroyed, correction). A witness,
    when named, must confirm with their password; the core rules say which kinds need one. A movement of a
    session's drug (a return to the safe) names its session through ``custody``, which only the session's
    custody service issues (``ketamine_clinic.sessions.custody.record_movement``)."""
    user = user_of(actor)
    kind = movement_kind(kind)
    if witness is not None:
        check_witness(user, witness, witness_password)
    if kind == Kind.CORRECTION and corrects is not None:
        original = LedgerEntry.objects.filter(sequence=corrects).first()
        if original is not None and original.lot_id != lot.pk:
            raise ValidationError({"corrects": f"Entry {corrects} is for another lot."})
    return append(
        Movement(
            kind,
            lot.pk,
            quantity_mcg,
            when(occurred_at, now),
            user.pk,
            location=location.pk if location else None,
            to_location=to_location.pk if to_location else None,
            session=custody.session_id if custody else None,
            witness=witness.pk if witness else None,
            counterparty=counterparty.strip(),
            reference=reference.strip(),
            reason=reason.strip(),
            corrects=corrects,
        ),
        actor=actor,
        now=now,
        custody=custody,
    )


# ----------------------------------------------------------------------------------- counts, discrepancies


def expected_in(location: StorageLocation) -> dict[int, int]:
    """{lot_id: mcg} the ledger says ``location`` holds (non-zero only)."""
    return {
        lot_id: v
        for (lot_id, (kind, key)), v in all_balances().items()
        if kind == "stock" and key == location.pk and v != 0
    }


def perform_count(
    *,
    actor,
    witness,
    witness_password: str,
    location: StorageLocation,
    counted: dict,
    note: str = "",
    now=None,
) -> Count:
    """Record a count of ``location`` by two staff. ``counted`` maps lot id -> counted micrograms for every lot
    the ledger expects there (and any other lot found). Each difference opens a Discrepancy."""
    user = user_of(actor)
    check_witness(user, witness, witness_password)
    with transaction.atomic():
        head = lock_chain()  # no movement slips in between reading the balances and saving the count
        now = now or timezone.now()
        expected = expected_in(location)
        missing = [lot_id for lot_id in expected if lot_id not in counted]
        if missing:
            lots = ", ".join(Lot.objects.get(pk=pk).lot_number for pk in missing)
            raise ValidationError({"counted": f"Enter a count for every lot held here (missing: {lots})."})
        for lot_id, value in counted.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValidationError({"counted": "Counts are zero or more."})
            lot = Lot.objects.select_related("product").filter(pk=lot_id).first()
            if lot is None:
                raise ValidationError({"counted": f"No such lot {lot_id}."})
            if value > MAX_CONTAINERS_PER_ENTRY * lot.product.unit_content_mcg:
                raise ValidationError(
                    {
                        "counted": f"The count of lot {lot.lot_number} is more than {MAX_CONTAINERS_PER_ENTRY:,} "
                        f"{lot.product.unit_label}s; check the number typed."
                    }
                )
        # The count sheet records the newest entry (its sequence and seal): a checkpoint the verifier checks.
        last = LedgerEntry.objects.order_by("-sequence").only("sequence", "hash").first()
        newest_sequence, newest_hash = _newest(head, last)
        count = Count.objects.create(
            performed_at=now,
            counted_by=user,
            witness=witness,
            location=location,
            note=note.strip(),
            chain_hash=newest_hash,
            chain_sequence=newest_sequence,
        )
        for lot_id, value in sorted(counted.items()):
            line = CountLine.objects.create(
                count=count, lot_id=lot_id, expected_mcg=expected.get(lot_id, 0), counted_mcg=value
            )
            if line.difference_mcg:
                Discrepancy.objects.create(line=line, opened_at=now)
        audit.record(actor, "create", count, detail={"count": location.name, "lines": len(counted)})
        return count


def resolve_discrepancy(*, actor, discrepancy: Discrepancy, note: str, adjust: bool, now=None) -> Discrepancy:
    """Close a discrepancy after investigation with a written note; optionally record a count adjustment
    entry that brings the ledger to the counted figure. (A significant loss or theft must also be reported
    to DEA on Form 106, 21 CFR 1301.76(b); that is outside this software.)"""
    user = user_of(actor)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Write what the investigation found before resolving."})
    now = now or timezone.now()
    with transaction.atomic():
        d = (
            Discrepancy.objects.select_for_update()
            .select_related("line__count", "line__lot")
            .get(pk=discrepancy.pk)
        )
        if not d.is_open:
            raise ValidationError("This discrepancy is already resolved.")
        if adjust:
            d.adjustment = append(
                Movement(
                    Kind.COUNT_ADJUSTMENT,
                    d.line.lot_id,
                    d.line.difference_mcg,
                    now,
                    user.pk,
                    location=d.line.count.location_id,
                    reference=f"Discrepancy {d.pk}",
                    reason=note[:300],
                ),
                actor=actor,
                now=now,
            )
        d.resolved_at, d.resolved_by, d.resolution_note = now, user, note
        d.save()
        audit.record(actor, "update", d, detail={"resolved": True, "adjusted": adjust})
        return d


# ---------------------------------------------------------------------------------------- verification


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    broken: ChainBreak | None = None
    counts: int = 0

    @property
    def message(self) -> str:
        if self.ok:
            checked = (
                f", and {self.counts} stock count{'s' if self.counts != 1 else ''} agree"
                if self.counts
                else ""
            )
            return (
                f"Ledger intact: {self.entries} entries, every seal and link verified, the newest entry matches "
                f"the sealed ledger head{checked}."
            )
        return f"Ledger TAMPERED at {self.broken}."


def _count_checkpoints() -> list[Checkpoint]:
    rows = Count.objects.filter(chain_sequence__isnull=False).select_related("location").order_by("pk")
    return [
        Checkpoint(
            f"the count of {c.location.name} on {timezone.localtime(c.performed_at):%Y-%m-%d %H:%M} (count {c.pk})",
            c.chain_sequence,
            c.chain_hash,
        )
        for c in rows
    ]


def verify_ledger() -> Verification:
    """Check the whole ledger with the ledger key (core ``verify_chain``): every entry's seal and link,
    sequence numbers contiguous from 1, the sealed head naming the newest entry and the number of entries,
    and every stock count's recorded newest entry. The first problem is named by entry sequence number."""
    key = ledger_key()
    entries = []
    for row in LedgerEntry.objects.order_by("sequence"):
        try:
            entries.append(row.as_core())
        except (ValueError, TypeError) as exc:  # e.g. a kind altered to a word the ledger does not know
            broken = first_entry_break(entries, key=key) or ChainBreak(
                row.sequence, f"its stored fields are unreadable ({exc})"
            )
            return Verification(ok=False, entries=len(entries) + 1, broken=broken)
    head = LedgerHead.objects.filter(pk=1).first()
    checkpoints = _count_checkpoints()
    broken = verify_chain(entries, key=key, head=head.as_core() if head else None, checkpoints=checkpoints)
    return Verification(ok=broken is None, entries=len(entries), broken=broken, counts=len(checkpoints))


def verify_ledger_head() -> Verification:
    """The quick check behind /healthz: the sealed head, the newest entry's seal, and the entry count."""
    key = ledger_key()
    newest = LedgerEntry.objects.order_by("-sequence").first()
    count = LedgerEntry.objects.count()
    head = LedgerHead.objects.filter(pk=1).first()
    broken = head_break(head.as_core() if head else None, newest.as_core() if newest else None, count, key=key)
    return Verification(ok=broken is None, entries=count, broken=broken)


# -------------------------------------------------------------------------------------------- reports


@dataclass(frozen=True)
class StockRow:
    lot: Lot
    location: StorageLocation
    balance_mcg: int
    full_containers: int
    partial_mcg: int
    expired: bool


def stock_rows(
    *, as_of: dt.datetime | None = None, include_empty: bool = False, balances: dict | None = None
) -> list[StockRow]:
    """Stock per lot and location (derived), split into whole containers and an opened remainder.

    ``balances``: ``all_balances(as_of=as_of)`` already derived by the caller (one ledger read per page)."""
    balances = all_balances(as_of=as_of) if balances is None else balances
    lots = {lot.pk: lot for lot in Lot.objects.select_related("product")}
    locations = {loc.pk: loc for loc in StorageLocation.objects.all()}
    day = (as_of or timezone.now()).date()
    rows = []
    for (lot_id, (kind, key)), value in sorted(
        balances.items(), key=lambda item: (str(item[0][0]), str(item[0][1]))
    ):
        if kind != "stock" or (value == 0 and not include_empty):
            continue
        lot = lots[lot_id]
        full, partial = divmod(value, lot.product.unit_content_mcg)
        rows.append(StockRow(lot, locations[key], value, full, partial, lot.expires_on < day))
    rows.sort(key=lambda r: (r.lot.product.name, r.lot.expires_on, r.lot.lot_number, r.location.name))
    return rows


def held_rows(balances: dict | None = None) -> list[tuple[Lot, object, int]]:
    """Drug drawn for sessions and not yet accounted for: (lot, session, mcg). ``balances``: as stock_rows.
    The sessions (with their patients) are read through the ledger entries' ``session`` foreign key."""
    out = []
    for (lot_id, (kind, key)), value in (all_balances() if balances is None else balances).items():
        if kind == "session" and value > 0:
            out.append((lot_id, key, value))
    lots = Lot.objects.select_related("product").in_bulk([r[0] for r in out])
    entries = LedgerEntry.objects.filter(session_id__in=[r[1] for r in out]).select_related("session__patient")
    sessions = {e.session_id: e.session for e in entries}
    return [(lots[lot_id], sessions[sid], value) for lot_id, sid, value in out]


LOG_KINDS = (Kind.DRAWN, Kind.ADMINISTERED, Kind.WASTED, Kind.RETURNED, Kind.CORRECTION)


def administration_log(start: dt.date, end: dt.date, *, kinds=None):
    """Ledger entries that occurred between ``start`` and ``end`` (inclusive), oldest first, with the people,
    lot, session and patient loaded: the dispensing/administration record (21 CFR 1304.22(c))."""
    qs = LedgerEntry.objects.filter(occurred_at__date__gte=start, occurred_at__date__lte=end)
    if kinds:
        qs = qs.filter(kind__in=[str(k) for k in kinds])
    return qs.select_related(
        "lot__product", "recorded_by", "witness", "location", "to_location", "session__patient"
    ).order_by("occurred_at", "sequence")
