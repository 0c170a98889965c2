"""Quantities and derived balances: mg as typed -> micrograms, and every balance (a lot's stock in a safe, what
a dosing session holds) summed from the lot's ledger entries by the pure core (``derive_balances``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone

from ketamine_clinic.core.inventory import (
    Entry,
    Kind,
    QuantityError,
    derive_balances,
    held_by,
    mg_to_mcg,
    stock,
)

from ..models import LedgerEntry, Lot

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
