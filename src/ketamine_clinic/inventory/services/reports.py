"""Reports read from the derived balances and the entries: stock per lot and safe (now or as of a moment, the
biennial inventory), drug held by sessions, and the dispensing/administration log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from ketamine_clinic.core.inventory import Kind

from ..models import LedgerEntry, Lot, StorageLocation
from .balances import all_balances


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
