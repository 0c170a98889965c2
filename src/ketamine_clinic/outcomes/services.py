"""Recording administrations, escalating suicide risk, and computing what is due - the app's one write path.

Views, the API and the seed all call :func:`record_measure_response`, so scoring, validation, escalation and
auditing happen the same way everywhere.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic import audit
from ketamine_clinic.core.instruments import INSTRUMENTS, ScoringError, escalating_flags, score
from ketamine_clinic.core.instruments.schedule import ScheduleConfig, SessionTime, due_measures
from ketamine_clinic.core.safety.event_time import is_in_future
from ketamine_clinic.patients.models import Patient

from . import tasks
from .models import FLAG_LABELS, MeasureResponse, UrgentTask

# Session states in which no drug was (or will be) given: they do not count for the schedule.
NOT_DOSED_STATES = {"aborted", "cancelled", "no_show"}

CRISIS_RESOURCES = [
    ("988 Suicide & Crisis Lifeline (US)", "Call or text 988, or chat at 988lifeline.org - free, 24/7."),
    ("Emergency", "If you are in immediate danger, call 911 or go to the nearest emergency department."),
]



def instrument_or_404(key: str):
    from django.http import Http404

    inst = INSTRUMENTS.get(key)
    if inst is None:
        raise Http404(f"Unknown instrument {key!r}.")
    return inst


def scoring_error_to_validation(exc: ScoringError) -> ValidationError:
    field = f"item_{exc.item}" if exc.item else "answers"
    return ValidationError({field: [str(exc)]})


def _task_priority(instrument_key: str, severity: str, answers) -> str:
    if instrument_key == "cssrs_screener":
        return {"high": "high", "moderate": "moderate"}.get(severity, "low")
    if instrument_key == "phq9" and answers and (answers[8] or 0) >= 2:
        return "high"  # thoughts of death on more than half the days (clinic-defined priority)
    return "moderate" if instrument_key != "madrs" else "high"


@transaction.atomic
def record_measure_response(
    *,
    patient,
    instrument: str,
    answers,
    user,
    request=None,
    self_reported: bool = False,
    session=None,
    taken_at: dt.datetime | None = None,
) -> MeasureResponse:
    """Score ``answers`` with the core engine, save, escalate, audit. Raises ValidationError on bad answers.

    The caller has already checked permissions (views through ``access``); ``request`` (or ``user``) is what
    the audit rows are attributed to.
    """
    inst = INSTRUMENTS.get(instrument)
    if inst is None:
        raise ValidationError({"instrument": [f"Unknown instrument {instrument!r}."]})
    if self_reported and inst.respondent == "clinician":
        raise ValidationError(
            {"instrument": [f"{inst.short_name} is clinician-rated; it cannot be self-reported."]}
        )
    if session is not None and session.patient_id != patient.pk:
        raise ValidationError({"session": ["That session belongs to another patient."]})
    now = timezone.now()
    if taken_at is not None and is_in_future(taken_at, now):  # the one clock rule (core.safety.event_time)
        raise ValidationError({"taken_at": ["The time taken cannot be in the future."]})
    answers = list(answers)
    try:
        result = score(inst, answers, sex=getattr(patient, "sex", None))
    except ScoringError as exc:
        raise scoring_error_to_validation(exc) from None
    admin = MeasureResponse.objects.create(
        patient=patient,
        instrument=inst.key,
        answers=answers,
        total=result.total,
        severity=result.severity,
        flags=list(result.flags),
        prorated=result.prorated,
        session=session,
        administered_by=None if self_reported else user,
        self_reported=self_reported,
        taken_at=taken_at or now,
    )
    actor = request if request is not None else user
    audit.record(
        actor,
        "create",
        admin,
        detail={
            "instrument": inst.key,
            "total": result.total,
            "severity": result.severity,
            "flags": list(result.flags),
        },
    )
    escalate(admin, actor=actor)
    return admin


def escalate(admin: MeasureResponse, *, actor=None) -> UrgentTask | None:
    """Open an urgent task for the primary prescriber if the administration carries suicide-risk flags."""
    inst = admin.definition
    flags = escalating_flags(inst, admin.flags, admin.answers)
    if not flags:
        return None
    reason = "; ".join(FLAG_LABELS.get(f, f) for f in flags)
    if inst.key == "cssrs_screener":
        reason += f" (risk level: {admin.severity})"
    elif inst.key == "phq9":
        reason += f" (item 9 = {admin.answers[8]}, total {admin.total})"
    task = UrgentTask.objects.create(
        patient=admin.patient,
        measure_response=admin,
        assigned_to=admin.patient.primary_prescriber(),
        priority=_task_priority(inst.key, admin.severity, admin.answers),
        reason=reason[:300],
        flags=flags,
    )
    audit.record(actor, "create", task, detail={"flags": flags, "assigned_to": task.assigned_to_id})
    # Once the task is committed: page the care team now, and the director if it is still open later.
    transaction.on_commit(lambda: tasks.page_care_team(task.pk), robust=True)
    return task


def open_tasks_for(user):
    """Open urgent tasks this user should act on: their own; the director also sees unassigned ones.

    Prescribers also see open tasks of patients on their care team whose primary prescriber is not set.
    """
    from django.db.models import Q

    from ketamine_clinic import access

    qs = UrgentTask.objects.filter(acknowledged_at__isnull=True, patient__in=access.visible_patients(user))
    qs = qs.select_related("patient", "measure_response", "assigned_to").order_by("-created_at")
    if user.role == "director":
        return qs
    if user.role == "prescriber":
        return qs.filter(Q(assigned_to=user) | Q(assigned_to__isnull=True))
    return qs.none()


@transaction.atomic
def acknowledge_task(task: UrgentTask, *, user, action: str, request=None) -> UrgentTask:
    """Close a task with the documented action (required). Only the assignee or the director may."""
    action = (action or "").strip()
    if not task.is_open:
        raise ValidationError({"action_taken": ["This task was already acknowledged."]})
    if len(action) < 10:
        raise ValidationError(
            {
                "action_taken": [
                    "Describe the action taken (at least 10 characters), e.g. "
                    "'Called patient, safety plan reviewed, seen today'."
                ]
            }
        )
    if task.assigned_to_id not in (None, user.pk) and user.role != "director":
        raise PermissionDenied("This task is assigned to another prescriber.")
    task.acknowledged_at = timezone.now()
    task.acknowledged_by = user
    task.action_taken = action
    task.save(update_fields=["acknowledged_at", "acknowledged_by", "action_taken"])
    audit.record(
        request if request is not None else user,
        "update",
        task,
        detail={"acknowledged": True, "action_taken": action},
    )
    return task


# ---------------------------------------------------------------------------------------------- schedule
def plan_schedule_config(patient) -> ScheduleConfig:
    """The active plan's measurement schedule, else the defaults; a broken config falls back."""
    return _schedule_config(getattr(patient.treatment_plans.current(), "measurement_schedule", None))


# Outcomes sit below plans and sessions (the nurse's pre-dose check reads today's measures and open urgent
# tasks), so the schedule reads the patient's plans and dosing sessions through the relations those apps declare
# on the patient (``treatment_plans.current()``, the plans app's own reading), never by importing them.


def _schedule_config(raw) -> ScheduleConfig:
    try:
        return ScheduleConfig.from_dict(raw or {})
    except ValueError:
        return ScheduleConfig()


def patients_due(patients, now: dt.datetime | None = None) -> dict:
    """{patient pk: due/overdue measures} for many patients with three queries in all (the work lists).

    The same rule as ``patient_due`` (history, dosed sessions, the active plan's schedule), loaded for all
    ``patients`` at once instead of three queries per patient.
    """
    now = now or timezone.now()
    patients = list(patients)
    ids = [p.pk for p in patients]
    history = {pk: {} for pk in ids}
    for pk, key, taken in MeasureResponse.objects.filter(patient_id__in=ids).values_list(
        "patient_id", "instrument", "taken_at"
    ):
        history[pk].setdefault(key, []).append(taken)
    sessions = {pk: [] for pk in ids}
    for pk, session_id, starts_at, state in Patient.objects.filter(
        pk__in=ids, dosing_sessions__isnull=False
    ).values_list("pk", "dosing_sessions__pk", "dosing_sessions__scheduled_for", "dosing_sessions__state"):
        if state not in NOT_DOSED_STATES:
            sessions[pk].append(SessionTime(starts_at, None, session_id))
    schedules = {}
    # Newest first, so the first active plan seen per patient is treatment_plans.current()'s choice.
    for pk, schedule in (
        Patient.objects.filter(pk__in=ids, treatment_plans__status="active")
        .order_by("pk", "-treatment_plans__created_at")
        .values_list("pk", "treatment_plans__measurement_schedule")
    ):
        schedules.setdefault(pk, schedule)
    return {
        p.pk: patient_due(
            p, now, history=history[p.pk], sessions=sessions[p.pk], config=_schedule_config(schedules.get(p.pk))
        )
        for p in patients
    }


def patient_due(patient, now: dt.datetime | None = None, *, history=None, sessions=None, config=None):
    """Due/overdue measures for one patient at ``now`` (core rules over the database)."""
    now = now or timezone.now()
    if history is None:
        history = {}
        for key, taken in MeasureResponse.objects.filter(patient=patient).values_list(
            "instrument", "taken_at"
        ):
            history.setdefault(key, []).append(taken)
    if sessions is None:
        sessions = [
            SessionTime(s.scheduled_for, None, s.pk)
            for s in patient.dosing_sessions.exclude(state__in=NOT_DOSED_STATES)
        ]
    return due_measures(
        phase=patient.phase,
        intake_at=patient.created_at,
        sessions=sessions,
        history=history,
        now=now,
        config=plan_schedule_config(patient) if config is None else config,
    )
