"""Stock counts by two staff and the discrepancies they open (investigated, then resolved with a note and,
if need be, a count adjustment entry)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic import audit
from ketamine_clinic.core.inventory import Kind, Movement

from ..models import Count, CountLine, Discrepancy, LedgerEntry, Lot, StorageLocation
from .balances import all_balances
from .ledger import MAX_CONTAINERS_PER_ENTRY, _newest, append, lock_chain
from .movements import check_witness, user_of


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
