"""The induction series of a patient's active plan, from its dosing appointments: how far along, and whether the
patient is at risk of not finishing (the rules: core.protocols.series).

Read-only: nothing here books, moves or audits. The pages and endpoints that show it open the patient (or list
the patients) through the gate, which records the read.
"""

import datetime as dt
from dataclasses import dataclass, replace

from django.db.models import Count, Q
from django.utils import timezone

from ketamine_clinic import access
from ketamine_clinic.core.protocols import series as core_series
from ketamine_clinic.plans.models import TreatmentPlan

from .models import Appointment, AppointmentChange
from .services import clinic_calendar

# What each appointment status means for the series: checked in is "in the chair, not yet given".
_STATUS = {
    Appointment.Status.COMPLETED: core_series.DONE,
    Appointment.Status.BOOKED: core_series.BOOKED,
    Appointment.Status.CHECKED_IN: core_series.BOOKED,
    Appointment.Status.NO_SHOW: core_series.MISSED,
    Appointment.Status.CANCELLED: core_series.CANCELLED,
}
# A patient moved on to maintenance, or discharged, has finished with the induction by the clinic's decision.
_PAST_INDUCTION = ("maintenance", "discharged")


@dataclass(frozen=True)
class SeriesRow:
    """One patient's series on a work list."""

    patient: object
    plan: TreatmentPlan
    progress: core_series.SeriesProgress


def induction_template(plan: TreatmentPlan):
    """The plan's protocol template with the plan's own changes to its induction (``plan.phase_changes``), or
    None when the protocol is unknown or has no induction."""
    try:
        template = plan.template()
        induction = template.phase(core_series.INDUCTION)
    except KeyError:
        return None
    changes = (plan.phase_changes or {}).get(core_series.INDUCTION)
    if not changes:
        return template
    try:
        changed = replace(induction, **changes)
    except (TypeError, ValueError):  # a change the core refuses: the template's own induction
        return template
    phases = tuple(changed if p.key == core_series.INDUCTION else p for p in template.phases)
    return replace(template, phases=phases)


def _induction_appointments(plans):
    """The plans' dosing appointments in the induction (generated with its phase key, or booked by hand or from
    the sessions board without one), each with ``times_moved``, by time."""
    return (
        Appointment.objects.filter(plan__in=plans, kind=Appointment.Kind.DOSING)
        .filter(Q(phase_key=core_series.INDUCTION) | Q(phase_key=""))
        .annotate(times_moved=Count("changes", filter=Q(changes__kind=AppointmentChange.Kind.RESCHEDULE)))
        .order_by("starts_at", "pk")
    )


def _visit(appointment) -> core_series.InductionVisit:
    return core_series.InductionVisit(
        dose_number=appointment.dose_number,
        planned_at=appointment.starts_at,
        status=_STATUS[appointment.status],
        times_moved=appointment.times_moved,
    )


def _progress(plan, template, appointments, now, calendar) -> core_series.SeriesProgress:
    return core_series.progress(
        template,
        [_visit(a) for a in appointments],
        now,
        calendar=calendar,
        tz=timezone.get_current_timezone(),
        dose_word="infusion" if plan.route == "iv" else "dose",
    )


def series_progress(patient, now: dt.datetime | None = None) -> core_series.SeriesProgress | None:
    """The induction series of the patient's active plan (None without one, or when its protocol has none)."""
    row = patient_series(patient, now)
    return row.progress if row is not None else None


def patient_series(patient, now: dt.datetime | None = None) -> SeriesRow | None:
    """The patient's active plan with its induction series (None as ``series_progress``)."""
    plan = patient.treatment_plans.current()
    if plan is None:
        return None
    template = induction_template(plan)
    if template is None:
        return None
    progress = _progress(plan, template, _induction_appointments([plan]), now or timezone.now(), clinic_calendar())
    return SeriesRow(patient, plan, progress)


def at_risk_patients(user, now: dt.datetime | None = None) -> list[SeriesRow] | None:
    """Patients ``user`` may open whose induction series is at risk of not finishing, each with the reasons,
    by name (None for roles that may not read the schedule).

    Two queries, whatever the number of patients: the active plans of the visible patients, then all their
    induction appointments with their reschedule counts.
    """
    if not access.can(user, "schedule", access.READ):
        return None
    now = now or timezone.now()
    plans = {}
    for plan in (
        TreatmentPlan.objects.filter(
            status=TreatmentPlan.Status.ACTIVE, patient__in=access.visible_patients(user)
        )
        .exclude(patient__phase__in=_PAST_INDUCTION)
        .select_related("patient")
        .order_by("-created_at", "-pk")
    ):
        plans.setdefault(plan.patient_id, plan)  # the newest active plan, as plans' current()
    by_plan: dict[int, list] = {plan.pk: [] for plan in plans.values()}
    for appointment in _induction_appointments(list(by_plan)):
        by_plan[appointment.plan_id].append(appointment)
    calendar = clinic_calendar()
    rows = []
    for plan in plans.values():
        template = induction_template(plan)
        if template is None:
            continue
        progress = _progress(plan, template, by_plan[plan.pk], now, calendar)
        if progress.at_risk:
            rows.append(SeriesRow(plan.patient, plan, progress))
    rows.sort(key=lambda r: (r.patient.last_name, r.patient.first_name, r.patient.pk))
    return rows
