"""The movements recorded on the pages, the API and the seed: receipts, stock waste and every other movement
(returns, transfers, returns to the supplier, destruction, corrections). Each goes through :func:`.ledger.append`.
A dosing session's drug (draw, administration, its waste and returns) is moved by ``ketamine_clinic.sessions.custody``,
which uses the helpers here too."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.services import confirm_second_person
from ketamine_clinic.core.inventory import Kind, Movement

from ..models import LedgerEntry, Lot, Product, StorageLocation
from .ledger import MAX_CONTAINERS_PER_ENTRY, SessionCustody, append, lock_chain


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
        return append_waste(actor=actor, user=user, witness=witness, lot=lot, quantity_mcg=quantity_mcg,
                            reason=reason, location=location, occurred_at=occurred_at, now=now)


def append_waste(*, actor, user, witness, lot: Lot, quantity_mcg: int, reason: str, location=None,
                 occurred_at=None, now=None, custody: SessionCustody | None = None):
    """The one way a waste entry is written, once the witness has confirmed and the chain is locked: from the
    safe (:func:`waste`) or from what a session holds (``sessions.custody.waste``, which passes its custody)."""
    return append(
        Movement(
            Kind.WASTED,
            lot.pk,
            quantity_mcg,
            when(occurred_at, now),
            user.pk,
            session=custody.session_id if custody else None,
            location=location.pk if location else None,
            witness=witness.pk,
            reason=reason.strip(),
        ),
        actor=actor,
        now=now,
        custody=custody,
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
