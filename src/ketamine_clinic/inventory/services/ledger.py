"""The ledger's one way in: :func:`append` (with the chain lock, the seal key and the session custody rule).

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

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic import audit
from ketamine_clinic.core.inventory import (
    GENESIS_HASH,
    Entry,
    Kind,
    LedgerError,
    Movement,
    check,
    entry_hash,
    format_mg,
    head_seal,
)

from ..models import LedgerEntry, LedgerHead, Lot
from .balances import lot_balances


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
    _check_lengths(movement)
    if timezone.is_aware(movement.occurred_at):
        # Expiry is a calendar date at the clinic: judge the movement on the clinic's day, not UTC's.
        movement = replace(movement, occurred_at=timezone.localtime(movement.occurred_at))
    with transaction.atomic():
        head = lock_chain()
        now = now or timezone.now()  # read under the lock: sequence order is recording order
        lot = _lot_of(movement)
        _check_rules(movement, lot, now)
        row = _chain_and_save(movement, lot, head, now)
        if patient is None and row.session_id is not None:
            patient = row.session.patient  # through the entry's foreign key
        audit.record(
            actor,
            "create",
            row,
            patient=patient,
            detail={
                "ledger": Kind(movement.kind).value,
                "lot": lot.lot_number,
                "quantity": format_mg(movement.quantity_mcg),
            },
        )
        return row


def _check_lengths(movement: Movement) -> None:
    for name in ("counterparty", "reference", "reason", "dose_ref"):
        limit = LedgerEntry._meta.get_field(name).max_length
        if len(getattr(movement, name) or "") > limit:
            raise ValidationError({name: f"At most {limit} characters."})


def _lot_of(movement: Movement) -> Lot:
    try:
        return Lot.objects.select_related("product").get(pk=movement.lot)
    except (Lot.DoesNotExist, ValueError, TypeError, OverflowError):
        raise ValidationError({"lot": "No such lot."}) from None


def _check_rules(movement: Movement, lot: Lot, now: dt.datetime) -> None:
    """The quantity guard, then the pure core's rules against the lot's derived balances (a correction is
    judged with the entry it corrects and whether that entry was corrected already)."""
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


def _chain_and_save(m: Movement, lot: Lot, head: LedgerHead, now: dt.datetime) -> LedgerEntry:
    """Number the entry after the newest one, seal it chained to that one's seal, save it, move the head."""
    last = LedgerEntry.objects.order_by("-sequence").only("sequence", "hash", "recorded_at").first()
    previous, prev_hash = _newest(head, last)
    sequence = previous + 1
    recorded_at = max(now, last.recorded_at) if last is not None else now
    key = ledger_key()
    digest = entry_hash(
        Entry(sequence=sequence, movement=m, recorded_at=recorded_at, prev_hash=prev_hash, hash=""),
        key=key,
    )
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
    return row
