"""Controlled-substance API at /api/inventory/ (roles with the "inventory" area: director, prescriber, nurse).

Quantities go in as decimal mg (``"35.5"``) and come out both as mg text and exact integer micrograms.
A movement the ledger rules refuse returns 422 with the rule's message; nothing is saved.

The endpoints that name a dosing session (draw, waste, movements, reconciliation) are
``ketamine_clinic.sessions.custody_api``, mounted under the same /api/inventory/ prefix.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema
from ninja.responses import Status

from ketamine_clinic import access, audit
from ketamine_clinic.accounts.models import User
from ketamine_clinic.api_types import ClinicDateTime, RecordId
from ketamine_clinic.core.inventory import format_mg

from . import services
from .models import Discrepancy, LedgerEntry, Product, StorageLocation

router = Router(tags=["inventory"])


def require_read(request):
    access.require(request.user, "inventory", "read")


def require_write(request):
    access.require(request.user, "inventory", "write")


class EntryOut(Schema):
    sequence: int
    kind: str
    lot_id: int
    lot_number: str
    quantity_mcg: int
    quantity: str
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    recorded_by: str
    witness: str | None
    location_id: int | None
    to_location_id: int | None
    session_id: int | None
    counterparty: str
    reference: str
    reason: str
    corrects: int | None
    prev_hash: str
    hash: str


def entry_out(e: LedgerEntry) -> dict:
    return {
        "sequence": e.sequence,
        "kind": e.kind,
        "lot_id": e.lot_id,
        "lot_number": e.lot.lot_number,
        "quantity_mcg": e.quantity_mcg,
        "quantity": format_mg(e.quantity_mcg),
        "occurred_at": e.occurred_at,
        "recorded_at": e.recorded_at,
        "recorded_by": e.recorded_by.username,
        "witness": e.witness.username if e.witness_id else None,
        "location_id": e.location_id,
        "to_location_id": e.to_location_id,
        "session_id": e.session_id,
        "counterparty": e.counterparty,
        "reference": e.reference,
        "reason": e.reason,
        "corrects": e.corrects,
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


class StockOut(Schema):
    lot_id: int
    lot_number: str
    product: str
    expires_on: dt.date
    expired: bool
    location_id: int
    location: str
    balance_mcg: int
    balance: str
    full_containers: int
    opened_container_mcg: int


def _stock(rows) -> list[dict]:
    return [
        {
            "lot_id": r.lot.pk,
            "lot_number": r.lot.lot_number,
            "product": r.lot.product.name,
            "expires_on": r.lot.expires_on,
            "expired": r.expired,
            "location_id": r.location.pk,
            "location": r.location.name,
            "balance_mcg": r.balance_mcg,
            "balance": format_mg(r.balance_mcg),
            "full_containers": r.full_containers,
            "opened_container_mcg": r.partial_mcg,
        }
        for r in rows
    ]


@router.get("/stock", response=list[StockOut])
def stock(request, as_of: ClinicDateTime | None = None):
    """Derived stock per lot and safe, now or as of a moment (biennial inventory)."""
    require_read(request)
    return _stock(services.stock_rows(as_of=as_of))


class LotOut(Schema):
    id: int
    lot_number: str
    product_key: str
    product: str
    expires_on: dt.date
    stock_mcg: int
    stock: str


@router.get("/lots", response=list[LotOut])
def lots(request, route: str | None = None):
    """In-date lots with stock, soonest expiry first; ``route=intranasal`` lists devices, other routes vials."""
    require_read(request)
    return [
        {
            "id": lot.pk,
            "lot_number": lot.lot_number,
            "product_key": lot.product.key,
            "product": lot.product.name,
            "expires_on": lot.expires_on,
            "stock_mcg": total,
            "stock": format_mg(total),
        }
        for lot, total in services.available_lots(route=route)
    ]


class ReceiveIn(Schema):
    product_key: str
    lot_number: str
    expires_on: dt.date
    location_id: RecordId
    containers: int
    supplier: str
    invoice: str


def witness_named(username):
    if not username:
        return None
    user = User.objects.filter(username=username).first()
    if user is None:
        raise ValidationError({"witness": f"No staff member with username {username!r}."})
    return user


@router.post("/receive", response={201: EntryOut})
def receive(request, payload: ReceiveIn):
    require_write(request)
    product = get_object_or_404(Product, key=payload.product_key)
    entry = services.receive(
        actor=request,
        product=product,
        lot_number=payload.lot_number,
        expires_on=payload.expires_on,
        location=get_object_or_404(StorageLocation, pk=payload.location_id),
        containers=payload.containers,
        supplier=payload.supplier,
        invoice=payload.invoice,
    )
    return Status(201, entry_out(entry))


@router.get("/entries", response=list[EntryOut])
def entries(request, start: dt.date, end: dt.date, kind: str = ""):
    """The dispensing/administration log between two dates (inclusive)."""
    require_read(request)
    if start > end:
        raise ValidationError({"start": "The start date must not be after the end date."})
    rows = services.administration_log(start, end, kinds=[kind] if kind else None)
    audit.record(request, "list", detail={"api": "inventory entries", "start": str(start), "end": str(end)})
    return [entry_out(e) for e in rows]


class CountIn(Schema):
    location_id: RecordId
    counted_mg: dict[RecordId, Decimal]
    witness_username: str
    witness_password: str
    note: str = ""


class CountOut(Schema):
    id: int
    performed_at: dt.datetime
    discrepancies: list[int]


@router.post("/counts", response={201: CountOut})
def count(request, payload: CountIn):
    """A count of one safe by two staff; ``counted_mg`` maps lot id -> mg counted. Differences open
    discrepancies."""
    require_write(request)
    count = services.perform_count(
        actor=request,
        witness=witness_named(payload.witness_username),
        witness_password=payload.witness_password,
        location=get_object_or_404(StorageLocation, pk=payload.location_id),
        counted={lot_id: services.to_mcg(mg) for lot_id, mg in payload.counted_mg.items()},
        note=payload.note,
    )
    ids = list(Discrepancy.objects.filter(line__count=count).values_list("pk", flat=True))
    return Status(201, {"id": count.pk, "performed_at": count.performed_at, "discrepancies": ids})


class DiscrepancyOut(Schema):
    id: int
    lot_number: str
    location: str
    expected_mcg: int
    counted_mcg: int
    difference_mcg: int
    opened_at: dt.datetime
    resolved_at: dt.datetime | None
    resolution_note: str
    adjustment_sequence: int | None


def _discrepancy(d) -> dict:
    return {
        "id": d.pk,
        "lot_number": d.line.lot.lot_number,
        "location": d.line.count.location.name,
        "expected_mcg": d.line.expected_mcg,
        "counted_mcg": d.line.counted_mcg,
        "difference_mcg": d.line.difference_mcg,
        "opened_at": d.opened_at,
        "resolved_at": d.resolved_at,
        "resolution_note": d.resolution_note,
        "adjustment_sequence": d.adjustment.sequence if d.adjustment_id else None,
    }


@router.get("/discrepancies", response=list[DiscrepancyOut])
def discrepancies(request, open_only: bool = False):
    require_read(request)
    qs = Discrepancy.objects.select_related("line__lot", "line__count__location", "adjustment")
    if open_only:
        qs = qs.filter(resolved_at__isnull=True)
    return [_discrepancy(d) for d in qs]


class ResolveIn(Schema):
    note: str
    adjust: bool = False


@router.post("/discrepancies/{discrepancy_id}/resolve", response=DiscrepancyOut)
def resolve(request, discrepancy_id: RecordId, payload: ResolveIn):
    require_write(request)
    d = get_object_or_404(Discrepancy, pk=discrepancy_id)
    d = services.resolve_discrepancy(actor=request, discrepancy=d, note=payload.note, adjust=payload.adjust)
    d = Discrepancy.objects.select_related("line__lot", "line__count__location", "adjustment").get(pk=d.pk)
    return _discrepancy(d)


class VerifyOut(Schema):
    ok: bool
    entries: int
    broken_sequence: int | None
    message: str
    checked_at: dt.datetime


@router.get("/verify", response=VerifyOut)
def verify(request):
    require_read(request)
    result = services.verify_ledger()
    return {
        "ok": result.ok,
        "entries": result.entries,
        "broken_sequence": result.broken.sequence if result.broken else None,
        "message": result.message,
        "checked_at": timezone.now(),
    }
