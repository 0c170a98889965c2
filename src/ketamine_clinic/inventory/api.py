"""Controlled-substance API at /api/inventory/ (roles with the "inventory" area: director, prescriber, nurse).

Quantities go in as decimal mg (``"35.5"``) and come out both as mg text and exact integer micrograms.
A movement the ledger rules refuse returns 422 with the rule's message; nothing is saved.
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
from .models import Discrepancy, LedgerEntry, Lot, Product, StorageLocation

router = Router(tags=["inventory"])


def _read(request):
    access.require(request.user, "inventory", "read")


def _write(request):
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


def _entry(e: LedgerEntry) -> dict:
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
    _read(request)
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
    _read(request)
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


def _session(session_id):
    from ketamine_clinic.sessions.models import DosingSession

    if session_id is None:
        return None
    return get_object_or_404(DosingSession.objects.select_related("patient"), pk=session_id)


def _witness(username):
    if not username:
        return None
    user = User.objects.filter(username=username).first()
    if user is None:
        raise ValidationError({"witness": f"No staff member with username {username!r}."})
    return user


@router.post("/receive", response={201: EntryOut})
def receive(request, payload: ReceiveIn):
    _write(request)
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
    return Status(201, _entry(entry))


class DrawIn(Schema):
    session_id: RecordId
    lot_id: RecordId
    location_id: RecordId
    quantity_mg: Decimal | None = None


@router.post("/draw", response={201: EntryOut})
def draw(request, payload: DrawIn):
    _write(request)
    lot = get_object_or_404(Lot.objects.select_related("product"), pk=payload.lot_id)
    # Omitted means one whole vial/device; any quantity given (0 included) goes to the rules as given.
    quantity = (
        services.to_mcg(payload.quantity_mg)
        if payload.quantity_mg is not None
        else lot.product.unit_content_mcg
    )
    entry = services.draw(
        actor=request,
        session=_session(payload.session_id),
        lot=lot,
        location=get_object_or_404(StorageLocation, pk=payload.location_id),
        quantity_mcg=quantity,
    )
    return Status(201, _entry(entry))


class WasteIn(Schema):
    lot_id: RecordId
    quantity_mg: Decimal
    reason: str
    witness_username: str
    witness_password: str
    session_id: RecordId | None = None
    location_id: RecordId | None = None


@router.post("/waste", response={201: EntryOut})
def waste(request, payload: WasteIn):
    """Witnessed waste: the witness's own password is checked now; a wrong one is 422 and nothing is saved."""
    _write(request)
    entry = services.waste(
        actor=request,
        witness=_witness(payload.witness_username),
        witness_password=payload.witness_password,
        lot=get_object_or_404(Lot, pk=payload.lot_id),
        quantity_mcg=services.to_mcg(payload.quantity_mg),
        reason=payload.reason,
        session=_session(payload.session_id),
        location=get_object_or_404(StorageLocation, pk=payload.location_id) if payload.location_id else None,
    )
    return Status(201, _entry(entry))


class MovementIn(Schema):
    kind: str
    lot_id: RecordId
    quantity_mg: Decimal
    location_id: RecordId | None = None
    to_location_id: RecordId | None = None
    session_id: RecordId | None = None
    witness_username: str = ""
    witness_password: str = ""
    counterparty: str = ""
    reference: str = ""
    reason: str = ""
    corrects: RecordId | None = None


@router.post("/movements", response={201: EntryOut})
def movement(request, payload: MovementIn):
    """Returned, transferred, returned to supplier, destroyed, or a correction of an earlier entry."""
    _write(request)

    def loc(pk):
        return get_object_or_404(StorageLocation, pk=pk) if pk else None

    entry = services.record_movement(
        actor=request,
        kind=payload.kind,
        lot=get_object_or_404(Lot, pk=payload.lot_id),
        quantity_mcg=services.to_mcg(payload.quantity_mg),
        location=loc(payload.location_id),
        to_location=loc(payload.to_location_id),
        session=_session(payload.session_id),
        witness=_witness(payload.witness_username),
        witness_password=payload.witness_password,
        counterparty=payload.counterparty,
        reference=payload.reference,
        reason=payload.reason,
        corrects=payload.corrects,
    )
    return Status(201, _entry(entry))


@router.get("/entries", response=list[EntryOut])
def entries(request, start: dt.date, end: dt.date, kind: str = ""):
    """The dispensing/administration log between two dates (inclusive)."""
    _read(request)
    if start > end:
        raise ValidationError({"start": "The start date must not be after the end date."})
    rows = services.administration_log(start, end, kinds=[kind] if kind else None)
    audit.record(request, "list", detail={"api": "inventory entries", "start": str(start), "end": str(end)})
    return [_entry(e) for e in rows]


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
    _write(request)
    count = services.perform_count(
        actor=request,
        witness=_witness(payload.witness_username),
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
    _read(request)
    qs = Discrepancy.objects.select_related("line__lot", "line__count__location", "adjustment")
    if open_only:
        qs = qs.filter(resolved_at__isnull=True)
    return [_discrepancy(d) for d in qs]


class ResolveIn(Schema):
    note: str
    adjust: bool = False


@router.post("/discrepancies/{discrepancy_id}/resolve", response=DiscrepancyOut)
def resolve(request, discrepancy_id: RecordId, payload: ResolveIn):
    _write(request)
    d = get_object_or_404(Discrepancy, pk=discrepancy_id)
    d = services.resolve_discrepancy(actor=request, discrepancy=d, note=payload.note, adjust=payload.adjust)
    d = Discrepancy.objects.select_related("line__lot", "line__count__location", "adjustment").get(pk=d.pk)
    return _discrepancy(d)


class ReconciliationOut(Schema):
    session_id: int
    # Null where the patient is not on the caller's care team (the row still counts; access.PatientNames).
    patient_id: int | None
    drawn_mcg: int
    administered_mcg: int
    wasted_mcg: int
    returned_mcg: int
    held_mcg: int
    recorded_dose_mcg: int | None
    balanced: bool
    status: str


@router.get("/reconciliation", response=list[ReconciliationOut])
def reconciliation(request, start: dt.date, end: dt.date):
    _read(request)
    if start > end:
        raise ValidationError({"start": "The start date must not be after the end date."})
    audit.record(
        request, "list", detail={"api": "inventory reconciliation", "start": str(start), "end": str(end)}
    )
    names = access.PatientNames(request.user)
    return [
        {
            "session_id": r.session.pk,
            "patient_id": r.session.patient_id if names.shows(r.session.patient_id) else None,
            "drawn_mcg": r.drawn_mcg,
            "administered_mcg": r.administered_mcg,
            "wasted_mcg": r.wasted_mcg,
            "returned_mcg": r.returned_mcg,
            "held_mcg": r.held_mcg,
            "recorded_dose_mcg": r.recorded_dose_mcg,
            "balanced": r.balanced,
            "status": r.status,
        }
        for r in services.reconciliation(start, end)
    ]


class VerifyOut(Schema):
    ok: bool
    entries: int
    broken_sequence: int | None
    message: str
    checked_at: dt.datetime


@router.get("/verify", response=VerifyOut)
def verify(request):
    _read(request)
    result = services.verify_ledger()
    return {
        "ok": result.ok,
        "entries": result.entries,
        "broken_sequence": result.broken.sequence if result.broken else None,
        "message": result.message,
        "checked_at": timezone.now(),
    }
