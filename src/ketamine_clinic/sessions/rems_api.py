"""The SPRAVATO REMS Patient Monitoring Form through the API: the form as JSON or PDF, the nurse's answers, the
prescriber's evaluation answer, the submission, and the forms due. Clinic staff only (patients: 403).

Errors: 404 (session not visible, or not an esketamine session), 403 (role), 422 (a refused answer, an
incomplete form for a submission)."""

import datetime as dt

from django.http import HttpResponse
from ninja import Field, Router, Schema

from ketamine_clinic import access, audit
from ketamine_clinic.api_types import RecordId
from ketamine_clinic.core.administration import rems_form as core_rems

from .models import DosingSession
from .services import rems

router = Router(tags=["sessions"])

PDF = {"responses": {"200": {"description": "The form as a PDF.",
                             "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}}


def _session(request, session_id: int, action: str) -> DosingSession:
    access.refuse_patients(request, "clinical", action)
    return access.open_record(request, DosingSession.objects.filter(route=core_rems.ROUTE)
                              .select_related("patient", "nurse"), session_id, "clinical", action)


class AnswersIn(Schema):
    concomitant: list[str] = Field(..., description="The classes the patient takes: " + ", ".join(
        key for key, _ in core_rems.CONCOMITANT_CLASSES) + " (an empty list: none of them).")
    vitals_acceptable_before: bool | None = None
    vitals_acceptable_at_completion: bool | None = None
    sedation: bool | None = None
    dissociation: bool | None = None
    respiratory_depression: bool | None = None
    serious_adverse_event: bool | None = None
    serious_adverse_event_detail: str = Field("", max_length=2000)


class EvaluationIn(Schema):
    evaluation_minutes: int = Field(..., description="Minutes from the first device.")


class SubmissionIn(Schema):
    submitted_on: dt.date
    submission_confirmation: str = Field(..., max_length=80)


class RemsFormDueOut(Schema):
    session_id: int
    patient_id: int
    mrn: str
    treatment_date: dt.date
    due_on: dt.date
    days_left: int
    overdue: bool
    signed: bool


@router.get("/rems-forms/due", response=list[RemsFormDueOut], summary="Esketamine sessions whose REMS form is not submitted")
def forms_due(request):
    rows = rems.forms_due(request.user)
    audit.record(request, "list", detail={"api": "rems-forms/due", "shown": [r["session"].pk for r in rows][:200]})
    return [
        {"session_id": r["session"].pk, "patient_id": r["patient"].pk, "mrn": r["patient"].mrn,
         "treatment_date": r["treatment_date"], "due_on": r["deadline"].due_on, "days_left": r["deadline"].days_left,
         "overdue": r["deadline"].overdue, "signed": r["signed"]}
        for r in rows
    ]


@router.get("/{session_id}/rems-form", response=dict, summary="The session's REMS monitoring form (JSON)")
def form(request, session_id: RecordId):
    session = _session(request, session_id, access.READ)
    values = rems.form_for_output(session)
    audit.record(request, "view", rems.form_of(session) or session, patient=session.patient,
                 detail={"rems_form": session.pk})
    return {**values, "suggestion": _suggestion(session)}


def _suggestion(session):
    hint = rems.suggestion(session)
    return None if hint is None else {"minutes": hint.minutes, "reasons": list(hint.reasons), "is_hint": True}


@router.get("/{session_id}/rems-form.pdf", openapi_extra=PDF, summary="The session's REMS monitoring form (PDF)")
def form_pdf(request, session_id: RecordId):
    session = _session(request, session_id, access.READ)
    _, body = rems.pdf(request, session, via="api")
    return HttpResponse(body, content_type="application/pdf")


@router.post("/{session_id}/rems-form/answers", response=dict, summary="The nurse's answers on the REMS form")
def answers(request, session_id: RecordId, payload: AnswersIn):
    session = _session(request, session_id, access.WRITE)
    rems.save_answers(session, payload.dict(), user=request.user)
    return rems.form_for_output(session)


@router.post("/{session_id}/rems-form/evaluation", response=dict, summary="The prescriber's REMS evaluation answer")
def evaluation(request, session_id: RecordId, payload: EvaluationIn):
    session = _session(request, session_id, access.WRITE)
    rems.confirm_evaluation(session, payload.evaluation_minutes, user=request.user)
    return rems.form_for_output(session)


@router.post("/{session_id}/rems-form/submission", response=dict, summary="Record the form's submission to the REMS")
def submission(request, session_id: RecordId, payload: SubmissionIn):
    session = _session(request, session_id, access.WRITE)
    rems.record_submission(session, user=request.user, submitted_on=payload.submitted_on,
                           confirmation=payload.submission_confirmation)
    return rems.form_for_output(session)
