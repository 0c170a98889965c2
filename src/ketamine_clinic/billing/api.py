"""Billing codes API at /api/billing/ (area "billing": director, prescriber, front desk; read only).

    GET /api/billing/sessions?start=YYYY-MM-DD&end=YYYY-MM-DD   finished sessions of your patients, with codes
    GET /api/billing/session/{id}                              one session's billing lines

A session of a patient you may not open answers 404, as if it did not exist. Bad dates answer 422 naming the field.
"""

import datetime as dt

from ninja import Router, Schema

from ketamine_clinic import access
from ketamine_clinic.api_types import RecordId
from ketamine_clinic.sessions.models import DosingSession

from . import services

router = Router(tags=["billing"])


class LineOut(Schema):
    code: str
    system: str
    description: str
    units: int
    why: str
    payer: str
    source: str
    citation: str


class SessionCodesOut(Schema):
    session_id: int
    patient_id: int
    patient_mrn: str
    patient: str
    date_of_service: dt.date
    route: str
    state: str
    dose_mg: str | None
    infusion_minutes: int | None
    observation_minutes: int | None
    lines: list[LineOut]
    notes: list[str]


def _out(session: DosingSession, suggestion) -> dict:
    given = None if services.outcome_of(session) == "aborted" else session.given_mg
    return {
        "session_id": session.pk,
        "patient_id": session.patient_id,
        "patient_mrn": session.patient.mrn,
        "patient": f"{session.patient.last_name}, {session.patient.first_name}",
        "date_of_service": services.date_of_service(session),
        "route": session.route,
        "state": session.state,
        "dose_mg": None if given is None else f"{given.normalize():f}",
        "infusion_minutes": suggestion.infusion_minutes,
        "observation_minutes": suggestion.observation_minutes,
        "lines": [
            {
                "code": line.code,
                "system": line.system,
                "description": line.description,
                "units": line.units,
                "why": line.why,
                "payer": line.payer,
                "source": line.source,
                "citation": line.citation,
            }
            for line in suggestion.lines
        ],
        "notes": list(suggestion.notes),
    }


@router.get("/sessions", response=list[SessionCodesOut])
def sessions(request, start: dt.date, end: dt.date):
    """Finished sessions between two clinic days (inclusive) of the patients you may open, with their codes."""
    billed = services.sessions_with_codes(request, start, end, action="export", via="api")
    return [_out(b.session, b.suggestion) for b in billed]


@router.get("/session/{session_id}", response=SessionCodesOut)
def session_codes(request, session_id: RecordId):
    """One session's billing lines (they are suggested once the session has ended; notes say why not before)."""
    access.require(request.user, services.AREA)
    session = access.open_record(request, DosingSession.objects.select_related("patient"), session_id, services.AREA)
    return _out(session, services.codes_for(session))
