import datetime as dt

from ninja import Query, Router, Schema

from ketamine_clinic import audit
from ketamine_clinic.access import require
from ketamine_clinic.audit.exports import filter_events
from ketamine_clinic.audit.models import AuditEvent

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    id: int
    at: dt.datetime
    username: str
    role: str
    action: str
    patient_id: int | None
    object_type: str
    object_id: str
    method: str
    path: str
    ip_address: str | None
    detail: dict


class AuditFilter(Schema):
    patient: str | None = None
    user: str | None = None
    action: AuditEvent.Action | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    limit: int = 100


@router.get("/events", response=list[AuditEventOut], summary="Audit events (medical director only)")
def list_events(request, filters: Query[AuditFilter]):
    require(request.user, "audit", "read")
    limit = max(1, min(filters.limit, 1000))
    events = list(filter_events(filters.dict())[:limit])
    used = {k: str(v) for k, v in filters.dict().items() if v is not None}
    audit.record(request, "list", detail={"api": "audit events", "filters": used, "n": len(events)})
    return events
