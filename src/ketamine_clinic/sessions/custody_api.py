"""The controlled-substance API endpoints that name a dosing session, at /api/inventory/ with the rest of that
area (the root API mounts this router under the same prefix): draw for a session, witnessed waste (a session's
remainder or a broken vial in the safe), other movements (a session's return among them) and the sessions'
reconciliation. Same inputs, answers and errors as the other inventory endpoints; :mod:`.custody` decides.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.responses import Status

from ketamine_clinic import access, audit
from ketamine_clinic.api_types import RecordId
from ketamine_clinic.inventory import services as ledger
from ketamine_clinic.inventory.api import EntryOut, entry_out, require_read, require_write, witness_named
from ketamine_clinic.inventory.models import Lot, StorageLocation

from . import custody
from .models import DosingSession

router = Router(tags=["inventory"])


def _session(session_id):
    if session_id is None:
        return None
    return get_object_or_404(DosingSession.objects.select_related("patient"), pk=session_id)


class DrawIn(Schema):
    session_id: RecordId
    lot_id: RecordId
    location_id: RecordId
    quantity_mg: Decimal | None = None


@router.post("/draw", response={201: EntryOut})
def draw(request, payload: DrawIn):
    require_write(request)
    lot = get_object_or_404(Lot.objects.select_related("product"), pk=payload.lot_id)
    # Omitted means one whole vial/device; any quantity given (0 included) goes to the rules as given.
    quantity = (
        ledger.to_mcg(payload.quantity_mg)
        if payload.quantity_mg is not None
        else lot.product.unit_content_mcg
    )
    entry = custody.draw(
        actor=request,
        session=_session(payload.session_id),
        lot=lot,
        location=get_object_or_404(StorageLocation, pk=payload.location_id),
        quantity_mcg=quantity,
    )
    return Status(201, entry_out(entry))


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
    require_write(request)
    entry = custody.waste(
        actor=request,
        witness=witness_named(payload.witness_username),
        witness_password=payload.witness_password,
        lot=get_object_or_404(Lot, pk=payload.lot_id),
        quantity_mcg=ledger.to_mcg(payload.quantity_mg),
        reason=payload.reason,
        session=_session(payload.session_id),
        location=get_object_or_404(StorageLocation, pk=payload.location_id) if payload.location_id else None,
    )
    return Status(201, entry_out(entry))


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
    require_write(request)

    def loc(pk):
        return get_object_or_404(StorageLocation, pk=pk) if pk else None

    entry = custody.record_movement(
        actor=request,
        kind=payload.kind,
        lot=get_object_or_404(Lot, pk=payload.lot_id),
        quantity_mcg=ledger.to_mcg(payload.quantity_mg),
        location=loc(payload.location_id),
        to_location=loc(payload.to_location_id),
        session=_session(payload.session_id),
        witness=witness_named(payload.witness_username),
        witness_password=payload.witness_password,
        counterparty=payload.counterparty,
        reference=payload.reference,
        reason=payload.reason,
        corrects=payload.corrects,
    )
    return Status(201, entry_out(entry))


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
    require_read(request)
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
        for r in custody.reconciliation(start, end)
    ]
