"""Plans API: protocol templates (with sources), create a plan, change it (new version), complete or stop it."""

import datetime as dt
from decimal import Decimal
from typing import Annotated

from ninja import Field, Router, Schema
from ninja.responses import Status

from ketamine_clinic import access
from ketamine_clinic.api_types import Amount, ClinicTime, Count, RecordId
from ketamine_clinic.core.protocols.titration import TitrationSuggestion

from . import services, titration
from .models import TreatmentPlan

router = Router(tags=["plans"])


class PhaseOut(Schema):
    key: str
    label: str
    cadence: str
    doses: int
    source: str


class TemplateOut(Schema):
    key: str
    name: str
    route: str
    clinic_defined: bool
    summary: str
    dose_rule: dict
    dose_source: str
    titration: str
    titration_source: str
    min_interval_hours: float
    min_interval_source: str
    min_observation_min: int
    monitoring_source: str
    phases: list[PhaseOut]
    measurement_schedule: dict


class PlanOut(Schema):
    id: int
    patient_id: int
    protocol_key: str
    route: str
    status: str
    version: int
    drug: str
    dose_rule: dict
    titration_rule: str
    session_frequency: list
    phase_changes: dict
    integration_every_n_doses: int | None
    measurement_schedule: dict
    start_date: dt.date | None
    session_time: ClinicTime | None
    notes: str


class VersionOut(Schema):
    number: int
    reason: str
    created_at: dt.datetime
    data: dict


class PlanIn(Schema):
    protocol_key: str = Field(..., max_length=60)
    start_date: dt.date
    session_time: ClinicTime = dt.time(9, 0)
    dose_amount: Amount | None = Field(None, description="Omitted or null: the protocol's first dose.")
    phase_changes: dict = {}
    notes: str = Field("", max_length=20_000)


# A change names only the fields it changes. A field that cannot be empty on a plan (the dose, the session time,
# the schedules) may be left out but not sent as null; the optional ones (concentration, infusion duration,
# integration cadence, start date) take null to clear them.
class PlanChangeIn(Schema):
    reason: str = Field(..., max_length=2_000)
    dose_amount: Amount = None
    concentration_mg_per_ml: Amount | None = None
    infusion_duration_min: Count | None = None
    titration_rule: str = Field(None, max_length=2_000)
    phase_changes: dict = None
    integration_every_n_doses: Annotated[int, Field(ge=1, le=100)] | None = None
    measurement_schedule: dict = None
    start_date: dt.date | None = None
    session_time: ClinicTime = None
    notes: str = Field(None, max_length=20_000)


class StatusIn(Schema):
    status: str = Field(..., max_length=20)
    reason: str = Field(..., max_length=2_000)


class TitrationDecisionOut(Schema):
    id: int
    from_amount: Decimal
    to_amount: Decimal
    decision: str
    suggestion: str
    reason: str
    plan_version: int | None
    decided_by: str | None
    decided_at: dt.datetime


class TitrationOut(Schema):
    plan_id: int
    suggestion: TitrationSuggestion | None  # the core's dataclass: its fields are the schema
    decisions: list[TitrationDecisionOut]
    note: str


class TitrationDecisionIn(Schema):
    reason: str | None = Field(None, max_length=2_000)
    from_amount: Amount | None = None


def _plan_out(plan: TreatmentPlan) -> dict:
    data = {f: getattr(plan, f) for f in PlanOut.model_fields if f not in ("dose_rule",)}
    data["dose_rule"] = plan.dose_rule().as_dict()
    return data


@router.get("/templates", response=list[TemplateOut], summary="Protocol templates with their sources")
def templates(request):
    from ketamine_clinic.core.protocols.templates import TEMPLATES

    return [
        {
            "key": t.key,
            "name": t.name,
            "route": t.route,
            "clinic_defined": t.clinic_defined,
            "summary": t.summary,
            "dose_rule": t.dose_rule.as_dict(),
            "dose_source": t.dose_source,
            "titration": t.titration.description,
            "titration_source": t.titration.source,
            "min_interval_hours": t.min_interval_hours,
            "min_interval_source": t.min_interval_source,
            "min_observation_min": t.monitoring.min_observation_min,
            "monitoring_source": t.monitoring.source,
            "phases": [
                {
                    "key": p.key,
                    "label": p.label,
                    "cadence": p.description,
                    "doses": p.dose_count,
                    "source": p.source,
                }
                for p in t.phases
            ],
            "measurement_schedule": t.measurement_schedule,
        }
        for t in TEMPLATES.values()
    ]


@router.get("/patient/{patient_id}", response=list[PlanOut], summary="A patient's plans, newest first")
def patient_plans(request, patient_id: RecordId):
    patient = access.open_patient(request, patient_id, "clinical", "read")
    return [_plan_out(p) for p in patient.treatment_plans.all()]


@router.post("/patient/{patient_id}", response={201: PlanOut}, summary="Create a plan from a template")
def create(request, patient_id: RecordId, payload: PlanIn):
    patient = access.open_patient(request, patient_id, "prescribing", "write")
    plan = services.create_plan(request, patient, **payload.dict())
    return Status(201, _plan_out(plan))


class PdmpCheckIn(Schema):
    checked_on: dt.date
    state: Annotated[str, Field(max_length=2, description="The state whose PDMP was checked, e.g. NY")]
    result: Annotated[str, Field(description="no_concerns or concerns")]
    concerns: Annotated[str, Field(max_length=4000)] = ""


class PdmpCheckOut(Schema):
    id: int
    patient_id: int
    checked_on: dt.date
    state: str
    result: str
    concerns: str
    checked_by_id: int
    recorded_at: dt.datetime


class PdmpStatusOut(Schema):
    current: bool
    problem: str | None
    valid_days: int
    checks: list[PdmpCheckOut]


@router.get("/patient/{patient_id}/pdmp-checks", response=PdmpStatusOut,
            summary="The patient's PDMP checks, newest first, and whether a plan may start")
def pdmp_checks(request, patient_id: RecordId):
    from django.conf import settings

    patient = access.open_patient(request, patient_id, "prescribing", "read")
    problem = services.pdmp_problem(patient)
    return {"current": problem is None, "problem": problem, "valid_days": settings.PDMP_CHECK_VALID_DAYS,
            "checks": list(patient.pdmp_checks.all())}


@router.post("/patient/{patient_id}/pdmp-checks", response={201: PdmpCheckOut},
             summary="Record a PDMP check (422 naming the field for a future date, unknown state or missing concerns)")
def record_pdmp_check(request, patient_id: RecordId, payload: PdmpCheckIn):
    patient = access.open_patient(request, patient_id, "prescribing", "write")
    return Status(201, services.record_pdmp_check(request, patient, **payload.dict()))


def _load(request, plan_id, area, action):
    return access.open_record(request, TreatmentPlan, plan_id, area, action)


@router.get("/{plan_id}/versions", response=list[VersionOut], summary="Every version of a plan")
def versions(request, plan_id: RecordId):
    plan = _load(request, plan_id, "clinical", "read")
    return list(plan.versions.all())


@router.post("/{plan_id}/changes", response={201: PlanOut}, summary="Change a plan (keeps the old version)")
def change(request, plan_id: RecordId, payload: PlanChangeIn):
    plan = _load(request, plan_id, "prescribing", "write")
    changes = payload.dict(exclude_unset=True)
    reason = changes.pop("reason")
    plan = services.change_plan(request, plan, reason=reason, **changes)
    return Status(201, _plan_out(plan))


@router.post("/{plan_id}/status", response={201: PlanOut}, summary="Complete or stop a plan")
def set_status(request, plan_id: RecordId, payload: StatusIn):
    plan = _load(request, plan_id, "prescribing", "write")
    plan = services.set_status(request, plan, status=payload.status, reason=payload.reason)
    return Status(201, _plan_out(plan))


def _decision_out(d) -> dict:
    return {
        "id": d.pk,
        "from_amount": d.from_amount,
        "to_amount": d.to_amount,
        "decision": d.decision,
        "suggestion": d.suggestion,
        "reason": d.reason,
        "plan_version": d.plan_version,
        "decided_by": d.decided_by.display_name() if d.decided_by else None,
        "decided_at": d.decided_at,
    }


@router.get(
    "/{plan_id}/titration",
    response=TitrationOut,
    summary="The plan's titration suggestion (prescribers) and past decisions; the prescriber decides",
)
def titration_suggestion(request, plan_id: RecordId):
    plan = _load(request, plan_id, "prescribing", "write")
    suggestion = titration.evaluate(plan)
    return {
        "plan_id": plan.pk,
        "suggestion": suggestion,
        "decisions": [_decision_out(d) for d in plan.titration_decisions.select_related("decided_by")],
        "note": titration.SUGGESTS_NOT_DECIDES,
    }


@router.post(
    "/{plan_id}/titration/accept",
    response={201: TitrationDecisionOut},
    summary="Accept the titration suggestion: a new plan version at the suggested dose (reason defaults to the "
    "suggestion's)",
)
def titration_accept(request, plan_id: RecordId, payload: TitrationDecisionIn):
    plan = _load(request, plan_id, "prescribing", "write")
    reason = payload.reason
    if reason is None:
        suggestion = titration.evaluate(plan)
        reason = f"Titration per protocol: {suggestion.reason}" if suggestion else ""
    decision = titration.accept(request, plan, reason=reason, from_amount=payload.from_amount)
    return Status(201, _decision_out(decision))


@router.post(
    "/{plan_id}/titration/decline",
    response={201: TitrationDecisionOut},
    summary="Decline the titration suggestion with a reason; not suggested again at this dose",
)
def titration_decline(request, plan_id: RecordId, payload: TitrationDecisionIn):
    plan = _load(request, plan_id, "prescribing", "write")
    decision = titration.decline(request, plan, reason=payload.reason or "", from_amount=payload.from_amount)
    return Status(201, _decision_out(decision))
