"""Assessment API: intake (re-runs the screen), previous treatments, decision, consent. Same rules as the pages."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema
from ninja.responses import Status

from ketamine_clinic import access, audit
from ketamine_clinic.api_types import ClinicDateTime, RecordId
from ketamine_clinic.validation import raise_if_invalid

from . import services
from .forms import ConsentDocumentForm, IntakeForm, PreviousTreatmentForm, PreVisitForm
from .models import PATIENT_ANSWERABLE, SCREENING_FIELDS, ConsentDocument

router = Router(tags=["assessment"])


class ReasonOut(Schema):
    code: str
    severity: str
    title: str
    detail: str
    basis: str
    sources: list[str]


class MismatchOut(Schema):
    """An answer the chart's coded diagnoses contradict, and its prescriber's resolution if recorded."""

    fact: str
    title: str
    detail: str
    resolved: bool
    resolution: str | None = None
    resolved_by: str | None = None
    resolved_at: dt.datetime | None = None


class ScreeningOut(Schema):
    id: int
    status: str
    screened_at: dt.datetime
    reasons: list[ReasonOut]
    mismatches: list[MismatchOut]
    # Why "proceed" cannot be recorded yet because of the chart cross-check, in plain words (None = nothing open).
    mismatch_problem: str | None = None

    @staticmethod
    def resolve_mismatches(obj):
        return [_mismatch(reason, resolution) for reason, resolution in obj.mismatch_rows()]

    @staticmethod
    def resolve_mismatch_problem(obj):
        return services.mismatch_problem(obj)


class DecisionOut(Schema):
    id: int
    decision: str
    rationale: str
    override_reason: str
    decided_at: dt.datetime
    decided_by: str


class ConsentStatusOut(Schema):
    route: str
    current_version: int | None
    consented: bool
    problem: str | None = None  # why consent is not current (no acknowledgement, new version, lapsed)


class TrialOut(Schema):
    name: str
    kind: str
    adequate: bool
    failed: bool
    why: str


class ResistanceOut(Schema):
    failed_adequate_trials: int
    treatment_resistant: bool
    text: str
    source: str
    trials: list[TrialOut]


class SummaryOut(Schema):
    patient_id: int
    screening: ScreeningOut | None
    decision: DecisionOut | None
    eligibility_current: bool
    eligibility_problem: str | None = None  # why eligibility is not current, in plain words
    consents: list[ConsentStatusOut]
    treatment_resistance: ResistanceOut


class IntakeIn(Schema):
    presenting_problem: str
    psychiatric_history: str = ""
    suicide_attempts: int = 0
    last_suicide_attempt_on: dt.date | None = None
    substance_use_history: str = ""
    medical_history: str = ""
    current_medications: str = ""
    systolic_bp_mmhg: int | None = None
    diastolic_bp_mmhg: int | None = None
    heart_rate_bpm: int | None = None
    spo2_percent: int | None = None
    weight_kg: Decimal | None = None
    vitals_taken_at: ClinicDateTime | None = None
    answers: dict[str, bool | None] = {}


class TreatmentIn(Schema):
    kind: str
    name: str
    dose: str = ""
    duration_weeks: Decimal | None = None
    dose_adequate: bool | None = None
    outcome: str = "unknown"
    current_episode: bool = True
    notes: str = ""


class DecisionIn(Schema):
    decision: str
    rationale: str
    override_reason: str = ""


class ResolutionIn(Schema):
    reason: str


class ConsentIn(Schema):
    document_id: RecordId
    typed_name: str


class PreVisitIn(Schema):
    reasons_for_seeking_treatment: str
    previous_treatments: str = ""
    current_medications: str = ""
    alcohol_and_drug_use: str = ""
    goals: str = ""
    answers: dict[str, bool | None] = {}


class PreVisitOut(Schema):
    id: int
    submitted_at: dt.datetime


class ConsentDocumentIn(Schema):
    route: str
    title: str
    body: str


class ConsentDocumentOut(Schema):
    id: int
    route: str
    version: int
    title: str
    body: str
    published_at: dt.datetime


def _mismatch(reason: dict, resolution) -> dict:
    return {
        "fact": reason["code"].split(":", 1)[1],
        "title": reason["title"],
        "detail": reason["detail"],
        "resolved": resolution is not None,
        "resolution": resolution.reason if resolution else None,
        "resolved_by": resolution.resolved_by.display_name() if resolution else None,
        "resolved_at": resolution.resolved_at if resolution else None,
    }


def _yes_no(value):
    return {True: "true", False: "false"}.get(value, "")


def _summary(patient) -> dict:
    from ketamine_clinic.choices import Route

    screening = services.latest_screening(patient)
    decision = screening.decisions.select_related("decided_by").first() if screening else None
    trd = services.treatment_resistance(patient)
    return {
        "patient_id": patient.pk,
        "screening": screening,
        "decision": (
            {
                "id": decision.pk,
                "decision": decision.decision,
                "rationale": decision.rationale,
                "override_reason": decision.override_reason,
                "decided_at": decision.decided_at,
                "decided_by": decision.decided_by.display_name(),
            }
            if decision
            else None
        ),
        "eligibility_current": services.eligibility_is_current(patient),
        "eligibility_problem": services.eligibility_problem(patient),
        "consents": [
            {
                "route": r.value,
                "current_version": getattr(services.current_consent_document(r.value), "version", None),
                "consented": services.consent_is_current(patient, r.value),
                "problem": services.consent_problem(patient, r.value),
            }
            for r in Route
        ],
        "treatment_resistance": {
            "failed_adequate_trials": trd.failed_adequate_trials,
            "treatment_resistant": trd.treatment_resistant,
            "text": trd.text,
            "source": str(trd.source),
            "trials": [
                {
                    "name": a.treatment.name,
                    "kind": a.treatment.kind,
                    "adequate": a.adequate,
                    "failed": a.failed,
                    "why": a.why,
                }
                for a in trd.trials
            ],
        },
    }


@router.get(
    "/patient/{patient_id}", response=SummaryOut, summary="Screening, decision, consent and TRD summary"
)
def summary(request, patient_id: RecordId):
    patient = access.open_patient(request, patient_id, "clinical", "read")
    return _summary(patient)


@router.post(
    "/patient/{patient_id}/intakes", response={201: ScreeningOut}, summary="Record an intake; runs the screen"
)
def create_intake(request, patient_id: RecordId, payload: IntakeIn):
    patient = access.open_patient(request, patient_id, "clinical", "write")
    data = payload.dict()
    answers = data.pop("answers") or {}
    unknown = sorted(set(answers) - set(SCREENING_FIELDS))
    if unknown:
        raise ValidationError({k: "Unknown screening item." for k in unknown})
    form_data = {k: ("" if v is None else v) for k, v in data.items()}
    if data["vitals_taken_at"] is not None:
        # The form reads a wall-clock time in the clinic's zone: convert an offset-aware time to it first.
        taken = data["vitals_taken_at"]
        taken = timezone.localtime(taken) if timezone.is_aware(taken) else taken
        form_data["vitals_taken_at"] = taken.strftime("%Y-%m-%dT%H:%M")
    form_data.update({name: _yes_no(answers.get(name)) for name in SCREENING_FIELDS})
    form = IntakeForm(data=form_data)
    raise_if_invalid(form)
    row = form.save(commit=False)
    row.patient = patient
    row.created_by = request.user
    row.full_clean()
    screening = services.save_intake(request, row, created=True)
    return Status(201, screening)


@router.post(
    "/patient/{patient_id}/treatments", response={201: ResistanceOut}, summary="Add a previous treatment"
)
def add_treatment(request, patient_id: RecordId, payload: TreatmentIn):
    patient = access.open_patient(request, patient_id, "clinical", "write")
    data = payload.dict()
    data["dose_adequate"] = _yes_no(data["dose_adequate"])
    data = {k: ("" if v is None else v) for k, v in data.items()}
    form = PreviousTreatmentForm(data=data)
    raise_if_invalid(form)
    row = form.save(commit=False)
    services.add_previous_treatment(request, patient, row)
    return Status(201, _summary(patient)["treatment_resistance"])


@router.post(
    "/patient/{patient_id}/decision", response={201: DecisionOut}, summary="Prescriber's eligibility decision"
)
def decide(request, patient_id: RecordId, payload: DecisionIn):
    patient = access.open_patient(request, patient_id, "prescribing", "write")
    screening = services.latest_screening(patient)
    if screening is None:
        raise ValidationError({"screening": "No eligibility screening yet: record an intake first."})
    row = services.record_decision(request, patient, screening=screening, **payload.dict())
    return Status(
        201,
        {
            "id": row.pk,
            "decision": row.decision,
            "rationale": row.rationale,
            "override_reason": row.override_reason,
            "decided_at": row.decided_at,
            "decided_by": row.decided_by.display_name(),
        },
    )


@router.post(
    "/patient/{patient_id}/mismatches/{fact}/resolution",
    response={201: MismatchOut},
    summary="A prescriber resolves an answer the chart's coded diagnoses contradict",
)
def resolve_mismatch(request, patient_id: RecordId, fact: str, payload: ResolutionIn):
    patient = access.open_patient(request, patient_id, "prescribing", "write")
    screening = services.latest_screening(patient)
    if screening is None:
        raise ValidationError({"screening": "No eligibility screening yet: record an intake first."})
    row = services.resolve_mismatch(request, screening, fact=fact, reason=payload.reason)
    reason = next(r for r in screening.mismatch_reasons if screening.mismatch_fact(r) == fact)
    return Status(201, _mismatch(reason, row))


@router.post(
    "/patient/{patient_id}/consents",
    response={201: ConsentStatusOut},
    summary="Acknowledge a consent version",
)
def consent(request, patient_id: RecordId, payload: ConsentIn):
    area = access.area_for(request.user, "clinical", patient_area="self_report")
    patient = access.open_patient(request, patient_id, area, "write")
    document = ConsentDocument.objects.filter(pk=payload.document_id).first()
    if document is None:
        raise ValidationError({"document_id": "No such consent document."})
    services.acknowledge_consent(request, patient, document=document, typed_name=payload.typed_name)
    return Status(201, {"route": document.route, "current_version": document.version, "consented": True})


@router.post(
    "/patient/{patient_id}/previsit", response={201: PreVisitOut}, summary="Patient's pre-visit questionnaire"
)
def previsit(request, patient_id: RecordId, payload: PreVisitIn):
    patient = access.open_patient(request, patient_id, "self_report", "write")
    data = payload.dict()
    answers = data.pop("answers") or {}
    unknown = sorted(set(answers) - set(PATIENT_ANSWERABLE))
    if unknown:
        raise ValidationError({k: "Not a question of the pre-visit questionnaire." for k in unknown})
    data.update({name: _yes_no(answers.get(name)) for name in PATIENT_ANSWERABLE})
    form = PreVisitForm(data=data)
    raise_if_invalid(form)
    row = form.save(commit=False)
    row.patient = patient
    row.submitted_by = request.user
    row.save()
    audit.record(request, "create", row)
    return Status(201, row)


class RemsEnrolmentIn(Schema):
    enrolled_on: dt.date
    rems_patient_id: str = ""


class RemsEnrolmentOut(Schema):
    id: int
    patient_id: int
    enrolled_on: dt.date
    rems_patient_id: str
    recorded_by_id: int
    recorded_at: dt.datetime


class RemsStatusOut(Schema):
    enrolled: bool
    setting_certified: bool
    problems: list[str]  # why esketamine cannot be booked or dosed now (empty: it can)
    enrolment: RemsEnrolmentOut | None


@router.get("/patient/{patient_id}/rems-enrolment", response=RemsStatusOut,
            summary="The patient's SPRAVATO REMS enrolment, and whether esketamine may be booked and dosed")
def rems_enrolment(request, patient_id: RecordId):
    from ketamine_clinic.choices import Route
    from ketamine_clinic.clinic.services import rems_certified

    patient = access.open_patient(request, patient_id, "clinical", "read")
    enrolment = services.rems_enrolment(patient)
    return {"enrolled": enrolment is not None, "setting_certified": rems_certified(),
            "problems": services.rems_problems(patient, Route.INTRANASAL), "enrolment": enrolment}


@router.post("/patient/{patient_id}/rems-enrolment", response={201: RemsEnrolmentOut},
             summary="Record the patient's SPRAVATO REMS enrolment (422 for a future date)")
def record_rems_enrolment(request, patient_id: RecordId, payload: RemsEnrolmentIn):
    patient = access.open_patient(request, patient_id, "clinical", "write")
    return Status(201, services.record_rems_enrolment(request, patient, **payload.dict()))


@router.get("/consent-documents", response=list[ConsentDocumentOut], summary="All consent document versions")
def consent_documents(request):
    access.require(request.user, "prescribing", "read")
    return list(ConsentDocument.objects.all())


@router.get("/consent-documents/{document_id}", response=ConsentDocumentOut, summary="One consent document")
def consent_document(request, document_id: RecordId):
    # Any logged-in user (patients included) may read a consent text; it holds no patient data.
    return get_object_or_404(ConsentDocument, pk=document_id)


@router.post(
    "/consent-documents", response={201: ConsentDocumentOut}, summary="Publish a new consent version"
)
def publish(request, payload: ConsentDocumentIn):
    access.require(request.user, "prescribing", "write")
    form = ConsentDocumentForm(data=payload.dict())
    raise_if_invalid(form)
    return Status(201, services.publish_consent_document(request, **form.cleaned_data))
