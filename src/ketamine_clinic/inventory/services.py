"""Controlled-substance ledger operations used by the pages, the API, the sessions app and the demo seed.

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

from ketamine_clinic import access, audit
from ketamine_clinic.accounts.services import confirm_second_person
from ketamine_clinic.core.administration.states import SessionState
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
    session_tallies,
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


def _lock_chain() -> LedgerHead:
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


def append(movement: Movement, *, actor, now: dt.datetime | None = None, patient=None) -> LedgerEntry:
    """Check ``movement`` against the rules and the derived balances, then chain and save it.

    ``actor`` is the request (preferred: the audit row gets path and address) or the user. ``now`` fixes the
    clock the rules judge by (tests, the demo seed); without it the clock is read once the chain lock is held.
    The entry's ``recorded_at`` is that clock, or the previous entry's ``recorded_at`` if that is later (clock
    skew between servers, or a fixed clock behind it), so recording times never run backwards along the
    chain. Raises ValidationError with a clear message when the movement is refused; nothing is saved then.
    """
    for name in ("counterparty", "reference", "reason", "dose_ref"):
        limit = LedgerEntry._meta.get_field(name).max_length
        if len(getattr(movement, name) or "") > limit:
            raise ValidationError({name: f"At most {limit} characters."})
    if timezone.is_aware(movement.occurred_at):
        # Expiry is a calendar date at the clinic: judge the movement on the clinic's day, not UTC's.
        movement = replace(movement, occurred_at=timezone.localtime(movement.occurred_at))
    with transaction.atomic():
        head = _lock_chain()
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
            patient = row.session.patient
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


def _user_of(actor):
    return getattr(actor, "user", actor)


def _check_witness(user, witness, password: str) -> None:
    """A second, different staff member confirms by typing their own password now (both are recorded)."""
    confirm_second_person(
        user, witness, password, area="inventory", field="witness", role_words="witness",
        may="witness controlled substances",
    )


def _when(occurred_at, now):
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
                _when(occurred_at, now),
                _user_of(actor).pk,
                location=location.pk,
                counterparty=supplier.strip(),
                reference=invoice.strip(),
            ),
            actor=actor,
            now=now,
        )


def _check_on_care_team(session, user, what: str):
    """Drug of a session is handled only by someone who may write its patient's clinical record (on the care
    team, or the medical director). Returns the session row, read fresh from the database."""
    from ketamine_clinic.sessions.models import DosingSession

    row = DosingSession.objects.select_related("patient").filter(pk=getattr(session, "pk", session)).first()
    if row is None:
        raise ValidationError({"session": "There is no such dosing session."})
    if not access.can(user, "clinical", "write", row.patient):
        raise ValidationError(
            {
                "session": f"You are not on this patient's care team, so you cannot {what} for their session. "
                "Ask a nurse or prescriber on the team, or the medical director."
            }
        )
    return row


def _check_session_takes_draw(session, user, occurred_at) -> None:
    """Drug is drawn only by someone who may write ``session``'s patient's clinical record (on the care team,
    or the medical director), and only for a session that had not ended when the draw happened.

    The session is read fresh from the database (a plain query of the sessions model), not from the caller's
    copy. A session has ended once it is discharged, aborted or stopped early; it ended at the latest of its
    recorded state-change, discharge and end-of-dosing times. A draw recorded now (the pages and the API) is
    therefore refused for every ended session; only a draw that happened before the end (the demo seed's
    history, a caller passing ``occurred_at``) may still be recorded for it."""
    row = _check_on_care_team(session, user, "draw drug")
    try:
        state = SessionState(row.state)
    except ValueError:
        raise ValidationError({"session": "This session's state is not one the clinic knows."}) from None
    if state.is_terminal:
        ends = [t for t in (row.state_changed_at, row.discharged_at, row.dosing_ended_at) if t is not None]
        if not ends or occurred_at >= max(ends):
            raise ValidationError(
                {
                    "session": f"This session is already {state.label.lower()}: no drug can be drawn for it. "
                    "Choose the patient's current session."
                }
            )


def draw(
    *, actor, session, lot: Lot, location: StorageLocation, quantity_mcg: int, occurred_at=None, now=None
):
    """Take drug out of the safe for one dosing session (it is then held by the session).

    Refused (ValidationError on ``session``) when the drawing user may not write the patient's clinical
    record or the session has ended (:func:`_check_session_takes_draw`); ``quantity_mcg`` must be a real
    quantity, more than zero (no default here: the page and API decide what an empty field means)."""
    user = _user_of(actor)
    if session is None:
        raise ValidationError({"session": "Choose the dosing session the drug is drawn for."})
    with transaction.atomic():
        _lock_chain()
        now = now or timezone.now()
        occurred_at = _when(occurred_at, now)
        _check_session_takes_draw(session, user, occurred_at)
        return append(
            Movement(
                Kind.DRAWN,
                lot.pk,
                quantity_mcg,
                occurred_at,
                user.pk,
                location=location.pk,
                session=session.pk,
            ),
            actor=actor,
            now=now,
            patient=session.patient,
        )


def draw_for_dose(*, session, lot_id, dose_mg, user, now=None, occurred_at=None):
    """Draw drug from lot ``lot_id`` into ``session``'s custody when its dose is confirmed.

    Called by the sessions app inside the same ``transaction.atomic()`` as the dose record. Whole
    vials/devices are drawn from the location that has them until the session holds at least ``dose_mg`` of
    the lot; nothing is drawn when it already does (returns None then). What is drawn stays *held* by the
    session: :func:`record_administration` moves the delivered part to administered when dosing ends, and
    the remainder is wasted with a witness. Raises ValidationError (rolling back the caller's transaction) if
    the lot is unknown or expired or there is not enough stock, or when ``user`` may not write the
    patient's clinical record or the session has already ended (:func:`_check_session_takes_draw`).
    """
    dose_mcg = _dose_mcg(dose_mg)
    with transaction.atomic():
        _lock_chain()
        now = now or timezone.now()
        occurred_at = occurred_at or now
        _check_session_takes_draw(session, user, occurred_at)
        lot = _dosing_lot(lot_id, occurred_at)
        balances = lot_balances(lot.pk)
        shortfall = dose_mcg - balances.get(held_by(session.pk), 0)
        if shortfall <= 0:
            return None
        unit = lot.product.unit_content_mcg
        whole = -(-shortfall // unit) * unit
        stocks = sorted(
            ((v, key) for (kind, key), v in balances.items() if kind == "stock" and v > 0),
            key=lambda item: (-item[0], item[1]),
        )
        source = next(((min(v, whole), key) for v, key in stocks if v >= shortfall), None)
        if source is None:
            total = sum(v for v, _ in stocks)
            raise ValidationError(
                {
                    "lot": f"Not enough of lot {lot.lot_number} in stock: {format_mg(total)} in total, "
                    f"the dose needs {format_mg(shortfall)} more than the session holds."
                }
            )
        amount, location_id = source
        return append(
            Movement(
                Kind.DRAWN, lot.pk, amount, occurred_at, user.pk, location=location_id, session=session.pk
            ),
            actor=user,
            now=now,
            patient=session.patient,
        )


def _dose_mcg(dose_mg) -> int:
    dose_mcg = to_mcg(dose_mg, "dose_mg")
    if dose_mcg <= 0:
        raise ValidationError({"dose_mg": "The dose must be more than zero."})
    return dose_mcg


def _dosing_lot(lot_id, occurred_at) -> Lot:
    try:
        lot = Lot.objects.select_related("product").get(pk=lot_id)
    except (Lot.DoesNotExist, ValueError, TypeError, OverflowError):
        raise ValidationError({"lot": f"There is no stock lot {lot_id}."}) from None
    if lot.expires_on < timezone.localdate(occurred_at):
        raise ValidationError(
            {"lot": f"Lot {lot.lot_number} expired on {lot.expires_on:%Y-%m-%d}; choose an in-date lot."}
        )
    return lot


def record_administration(
    *, session, lot_id, dose_mg, user, dose_ref: str = "", reason: str = "", now=None, occurred_at=None
):
    """Record the dose actually delivered in ``session`` from lot ``lot_id`` as an *administered* entry.

    Called by the sessions app when administration ends (dosing -> monitoring, or stopped early), inside the
    same ``transaction.atomic()`` as the session's delivered dose. The drug must already be held by the
    session (drawn by :func:`draw_for_dose` when the dose was confirmed): nothing is drawn here, so a dose
    larger than what was drawn is refused, and what is not administered stays held until it is wasted with a
    witness. Raises ValidationError (rolling back the caller's transaction) if the lot is unknown or expired
    or the session holds less than ``dose_mg`` of it.
    """
    dose_mcg = _dose_mcg(dose_mg)
    with transaction.atomic():
        _lock_chain()
        now = now or timezone.now()
        occurred_at = occurred_at or now
        lot = _dosing_lot(lot_id, occurred_at)
        held = lot_balances(lot.pk).get(held_by(session.pk), 0)
        if dose_mcg > held:
            raise ValidationError(
                {
                    "dose_mg": f"The session holds {format_mg(held)} of lot {lot.lot_number}; "
                    f"{format_mg(dose_mcg)} cannot be recorded as given. Only drug drawn for the session "
                    "can be administered: draw it first (or check that it was not already wasted)."
                }
            )
        return append(
            Movement(
                Kind.ADMINISTERED,
                lot.pk,
                dose_mcg,
                occurred_at,
                user.pk,
                session=session.pk,
                dose_ref=str(dose_ref),
                reason=reason,
            ),
            actor=user,
            now=now,
            patient=session.patient,
        )


def waste(
    *,
    actor,
    witness,
    witness_password: str,
    lot: Lot,
    quantity_mcg: int,
    reason: str,
    session=None,
    location: StorageLocation | None = None,
    occurred_at=None,
    now=None,
):
    """Waste drug (the unused remainder a session holds, or a broken vial in the safe) in front of a witness
    who confirms with their own password at that moment. Clinic policy, in line with DEA's expectation
    that wastage is recorded and witnessed; disposal of *stock* is :func:`record_movement` ``destroyed``."""
    user = _user_of(actor)
    if session is not None:
        _check_on_care_team(session, user, "waste drug")
    _check_witness(user, witness, witness_password)
    with transaction.atomic():
        _lock_chain()
        if session is not None:
            _check_not_still_to_give(session, lot, quantity_mcg)
        return append(
            Movement(
                Kind.WASTED,
                lot.pk,
                quantity_mcg,
                _when(occurred_at, now),
                user.pk,
                session=session.pk if session else None,
                location=location.pk if location else None,
                witness=witness.pk,
                reason=reason.strip(),
            ),
            actor=actor,
            now=now,
            patient=session.patient if session else None,
        )


def still_to_give_mcg(session_id, lot_id) -> int:
    """The session's confirmed dose from ``lot_id`` while its delivered dose is not yet recorded (the drug is
    in the bag or syringe, not spare), else 0. Read from the database, not from a caller's (maybe stale) copy."""
    from ketamine_clinic.sessions.models import DosingSession

    row = DosingSession.objects.filter(pk=session_id).values_list("dose_mg", "delivered_mg", "lot_id").first()
    if row is None:
        return 0
    dose_mg, delivered_mg, session_lot = row
    if dose_mg is None or delivered_mg is not None or session_lot != lot_id:
        return 0
    return to_mcg(dose_mg)


def wastable_for_session(lot_id, session_id) -> int:
    """What the session holds of ``lot_id`` beyond the dose it has still to give: what may be wasted now."""
    return max(held_for_session(lot_id, session_id) - still_to_give_mcg(session_id, lot_id), 0)


def _check_not_still_to_give(session, lot: Lot, quantity_mcg: int) -> None:
    """Until the session records the dose it delivered, its confirmed dose is still to be given: only what it
    holds beyond that may be wasted (else ending dosing would find the drug gone)."""
    to_give = still_to_give_mcg(session.pk, lot.pk)
    if to_give and quantity_mcg > wastable_for_session(lot.pk, session.pk):
        raise ValidationError(
            {
                "quantity_mg": f"{format_mg(to_give)} is still to be given in this session: at most "
                f"{format_mg(wastable_for_session(lot.pk, session.pk))} can be wasted until the delivered dose "
                "is recorded (end dosing on the flowsheet first)."
            }
        )


def record_movement(
    *,
    actor,
    kind: str,
    lot: Lot,
    quantity_mcg: int,
    location=None,
    to_location=None,
    session=None,
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
    when named, must confirm with their password; the core rules say which kinds need one."""
    user = _user_of(actor)
    try:
        kind = Kind(kind)
    except ValueError:
        raise ValidationError({"kind": f"Unknown movement kind {kind!r}."}) from None
    if kind in (Kind.RECEIVED, Kind.DRAWN, Kind.ADMINISTERED, Kind.COUNT_ADJUSTMENT):
        raise ValidationError({"kind": f"Record {kind.label} entries on their own page."})
    if session is not None:
        _check_on_care_team(session, user, f"record {kind.label.lower()} entries")
    if witness is not None:
        _check_witness(user, witness, witness_password)
    if kind == Kind.CORRECTION and corrects is not None:
        original = LedgerEntry.objects.filter(sequence=corrects).first()
        if original is not None and original.lot_id != lot.pk:
            raise ValidationError({"corrects": f"Entry {corrects} is for another lot."})
    return append(
        Movement(
            kind,
            lot.pk,
            quantity_mcg,
            _when(occurred_at, now),
            user.pk,
            location=location.pk if location else None,
            to_location=to_location.pk if to_location else None,
            session=session.pk if session else None,
            witness=witness.pk if witness else None,
            counterparty=counterparty.strip(),
            reference=reference.strip(),
            reason=reason.strip(),
            corrects=corrects,
        ),
        actor=actor,
        now=now,
        patient=session.patient if session else None,
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
    user = _user_of(actor)
    _check_witness(user, witness, witness_password)
    with transaction.atomic():
        head = _lock_chain()  # no movement slips in between reading the balances and saving the count
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
    user = _user_of(actor)
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


DOSE_MATCH_TOLERANCE_MCG = 5


@dataclass(frozen=True)
class SessionReconciliation:
    """One session's drug: drawn = administered + wasted + returned once balanced (nothing held), and the
    administered total equals ``recorded_dose_mcg``, the dose the session says was delivered
    (:func:`recorded_dose_mcg`)."""

    session: object
    drawn_mcg: int
    administered_mcg: int
    wasted_mcg: int
    returned_mcg: int
    held_mcg: int
    recorded_dose_mcg: int | None

    @property
    def balanced(self) -> bool:
        return self.held_mcg == 0

    @property
    def dose_matches(self) -> bool | None:
        """Does the ledger's administered total equal the dose the session says was delivered (the confirmed
        dose for sessions without a delivered dose)? The sessions app stores doses to 0.01 mg while the
        ledger keeps micrograms, so half of that last digit (5 micrograms) is the tolerance."""
        if self.recorded_dose_mcg is None:
            return None
        return abs(self.recorded_dose_mcg - self.administered_mcg) <= DOSE_MATCH_TOLERANCE_MCG

    @property
    def status(self) -> str:
        if not self.balanced:
            return f"Open: {format_mg(self.held_mcg)} held, not yet administered, wasted or returned"
        if self.dose_matches is False:
            return "Dose mismatch: the session's delivered dose differs from the ledger's administered total"
        return "Balanced"


def recorded_dose_mcg(session) -> int | None:
    """The dose the session itself says the patient received: the delivered dose recorded when administration
    ended (``DosingSession.delivered_mg``), else the confirmed dose (``dose_mg``, sessions recorded before
    delivered doses were kept, or still dosing). Both are Decimal to 0.01 mg."""
    value = session.delivered_mg if session.delivered_mg is not None else session.dose_mg
    if value is None:
        return None
    try:
        return to_mcg(value)
    except ValidationError:
        return None


def reconciliation(start: dt.date, end: dt.date) -> list[SessionReconciliation]:
    """Every session with ledger entries that occurred between ``start`` and ``end`` (inclusive), tallied over
    the whole ledger: drawn = administered + wasted + returned when balanced."""
    from ketamine_clinic.sessions.models import DosingSession

    entries = [row.as_core() for row in LedgerEntry.objects.order_by("sequence")]
    tallies = session_tallies(entries)
    in_range = set(
        LedgerEntry.objects.filter(
            session__isnull=False, occurred_at__date__gte=start, occurred_at__date__lte=end
        ).values_list("session_id", flat=True)
    )
    sessions = (
        DosingSession.objects.filter(pk__in=in_range).select_related("patient").order_by("scheduled_for")
    )
    rows = []
    for s in sessions:
        t = tallies.get(s.pk)
        if t is None:
            continue
        rows.append(
            SessionReconciliation(
                session=s,
                drawn_mcg=t.drawn_mcg,
                administered_mcg=t.administered_mcg,
                wasted_mcg=t.wasted_mcg,
                returned_mcg=t.returned_mcg,
                held_mcg=t.held_mcg,
                recorded_dose_mcg=recorded_dose_mcg(s),
            )
        )
    return rows


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
    """Drug drawn for sessions and not yet accounted for: (lot, session, mcg). ``balances``: as stock_rows."""
    from ketamine_clinic.sessions.models import DosingSession

    out = []
    for (lot_id, (kind, key)), value in (all_balances() if balances is None else balances).items():
        if kind == "session" and value > 0:
            out.append((lot_id, key, value))
    lots = Lot.objects.select_related("product").in_bulk([r[0] for r in out])
    sessions = DosingSession.objects.select_related("patient").in_bulk([r[1] for r in out])
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
