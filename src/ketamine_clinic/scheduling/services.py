"""Booking rules: no chair double-booked, no patient in two places, doses at least the protocol's interval apart,
and nothing booked on a day the clinic is closed (the same calendar schedule generation uses).

Every booking and reschedule runs inside one transaction that first locks the chair row(s) with
``select_for_update``, then checks for overlaps: two clerks booking the same chair at once queue on the lock and
the second sees the first's appointment (on PostgreSQL; SQLite serialises writers anyway).
"""

import datetime as dt
from dataclasses import replace

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic import audit
from ketamine_clinic.assessment.services import acting_user as _user
from ketamine_clinic.core.protocols import schedule as core_schedule

from .models import Appointment, AppointmentChange, Chair

ACTIVE = Appointment.ACTIVE_STATUSES
# Used when a dosing appointment has no plan to take the interval from: the shortest minimum interval of the
# clinic's templates (clinic-defined, see core.protocols.templates).
DEFAULT_MIN_DOSE_INTERVAL_HOURS = 48

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def clinic_calendar() -> core_schedule.ClinicCalendar:
    """The clinic's open days and hours: ``settings.CLINIC_CALENDAR`` if set, else the core defaults (Mon-Fri).

    ``CLINIC_CALENDAR = {"open_weekdays": [0, 1, 2, 3, 4], "opens": "08:00", "closes": "18:00",
    "closed_dates": ["2026-12-25"]}`` (Monday = 0; every key optional). Booking, rescheduling and schedule
    generation all read this one calendar.
    """
    raw = getattr(settings, "CLINIC_CALENDAR", None) or {}
    kwargs = {}
    try:
        if "open_weekdays" in raw:
            kwargs["open_weekdays"] = frozenset(int(d) for d in raw["open_weekdays"])
        for key in ("opens", "closes"):
            if key in raw:
                value = raw[key]
                kwargs[key] = value if isinstance(value, dt.time) else dt.time.fromisoformat(str(value))
        if "closed_dates" in raw:
            kwargs["closed_dates"] = frozenset(
                d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)) for d in raw["closed_dates"]
            )
        return core_schedule.ClinicCalendar(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"settings.CLINIC_CALENDAR is not valid: {exc}") from None


def open_days_text(calendar: core_schedule.ClinicCalendar) -> str:
    days = sorted(calendar.open_weekdays)
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return f"{WEEKDAY_NAMES[days[0]]} to {WEEKDAY_NAMES[days[-1]]}"
    return ", ".join(WEEKDAY_NAMES[d] for d in days)


def closed_day_problem(
    starts_at: dt.datetime, calendar: core_schedule.ClinicCalendar | None = None
) -> str | None:
    """Why ``starts_at`` falls on a day the clinic is closed (its local calendar day), or None when open."""
    calendar = calendar or clinic_calendar()
    day = timezone.localtime(starts_at).date() if timezone.is_aware(starts_at) else starts_at.date()
    if calendar.is_open(day):
        return None
    if day in calendar.closed_dates:
        why = "a closed date in the clinic calendar"
    else:
        why = f"open {open_days_text(calendar)}"
    return (
        f"The clinic is closed on {WEEKDAY_NAMES[day.weekday()]} {day:%Y-%m-%d} ({why}): choose an open day."
    )


def _overlapping(qs, starts_at: dt.datetime, duration_min: int, exclude_pk=None):
    """Appointments in ``qs`` overlapping [starts_at, starts_at + duration). Looks one day back for long ones."""
    ends_at = starts_at + dt.timedelta(minutes=duration_min)
    candidates = qs.filter(
        status__in=ACTIVE, starts_at__lt=ends_at, starts_at__gte=starts_at - dt.timedelta(days=1)
    ).select_related("patient", "chair")
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    return [a for a in candidates if a.ends_at > starts_at]


def _min_interval_hours(patient, plan) -> float:
    from ketamine_clinic.plans.services import current_plan

    plan = plan or current_plan(patient)
    if plan is None:
        return DEFAULT_MIN_DOSE_INTERVAL_HOURS
    try:
        return plan.template().min_interval_hours
    except KeyError:
        return DEFAULT_MIN_DOSE_INTERVAL_HOURS


def _check(patient, kind, starts_at, duration_min, chair, plan, exclude_pk=None) -> None:
    errors = {}
    if duration_min is None or duration_min <= 0:
        errors["duration_min"] = "The duration must be at least one minute."
        raise ValidationError(errors)
    closed = closed_day_problem(starts_at)
    if closed:
        errors["starts_at"] = closed
    if chair is not None:
        locked = Chair.objects.select_for_update().get(pk=chair.pk)
        if not locked.active:
            errors["chair"] = f"{locked.name} is out of service."
        clash = _overlapping(Appointment.objects.filter(chair=locked), starts_at, duration_min, exclude_pk)
        if clash:
            other = clash[0]
            errors["chair"] = (
                f"{locked.name} is already booked {timezone.localtime(other.starts_at):%H:%M}-"
                f"{timezone.localtime(other.ends_at):%H:%M} on {timezone.localtime(other.starts_at):%Y-%m-%d}."
            )
    mine = _overlapping(Appointment.objects.filter(patient=patient), starts_at, duration_min, exclude_pk)
    if mine:
        errors.setdefault(
            "starts_at",
            f"The patient already has a {mine[0].get_kind_display().lower()} at "
            f"{timezone.localtime(mine[0].starts_at):%Y-%m-%d %H:%M}.",
        )
    if kind == Appointment.Kind.DOSING:
        hours = _min_interval_hours(patient, plan)
        gap = dt.timedelta(hours=hours)
        doses = Appointment.objects.filter(
            patient=patient,
            kind=Appointment.Kind.DOSING,
            status__in=ACTIVE,
            starts_at__gt=starts_at - gap,
            starts_at__lt=starts_at + gap,
        )
        if exclude_pk is not None:
            doses = doses.exclude(pk=exclude_pk)
        near = doses.first()
        if near is not None:
            errors.setdefault(
                "starts_at",
                f"Doses must be at least {hours:g} h apart; another dose is booked "
                f"{timezone.localtime(near.starts_at):%Y-%m-%d %H:%M}.",
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def book(
    actor,
    *,
    patient,
    kind: str,
    starts_at: dt.datetime,
    duration_min: int,
    chair: Chair | None = None,
    staff=None,
    plan=None,
    phase_key: str = "",
    dose_number: int | None = None,
    label: str = "",
    note: str = "",
) -> Appointment:
    if kind not in Appointment.Kind.values:
        raise ValidationError({"kind": f"Unknown appointment kind {kind!r}."})
    _check(patient, kind, starts_at, duration_min, chair, plan)
    appointment = Appointment.objects.create(
        patient=patient,
        kind=kind,
        starts_at=starts_at,
        duration_min=duration_min,
        chair=chair,
        staff=staff,
        plan=plan,
        phase_key=phase_key,
        dose_number=dose_number,
        label=label,
        note=note,
        created_by=_user(actor),
    )
    audit.record(actor, "create", appointment, detail={"kind": kind, "starts_at": starts_at.isoformat()})
    return appointment


@transaction.atomic
def reschedule(
    actor,
    appointment: Appointment,
    *,
    starts_at: dt.datetime,
    reason: str,
    chair="unchanged",
    staff="unchanged",
    duration_min: int | None = None,
) -> Appointment:
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for rescheduling."})
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != Appointment.Status.BOOKED:
        raise ValidationError(
            {"__all__": [f"A {appointment.get_status_display().lower()} appointment cannot be moved."]}
        )
    new_chair = appointment.chair if chair == "unchanged" else chair
    duration = duration_min or appointment.duration_min
    _check(
        appointment.patient,
        appointment.kind,
        starts_at,
        duration,
        new_chair,
        appointment.plan,
        appointment.pk,
    )
    AppointmentChange.objects.create(
        appointment=appointment,
        kind=AppointmentChange.Kind.RESCHEDULE,
        reason=reason.strip(),
        old_starts_at=appointment.starts_at,
        new_starts_at=starts_at,
        old_chair=appointment.chair,
        new_chair=new_chair,
        changed_by=_user(actor),
    )
    old = appointment.starts_at
    appointment.starts_at = starts_at
    appointment.chair = new_chair
    appointment.duration_min = duration
    if staff != "unchanged":
        appointment.staff = staff
    appointment.save()
    audit.record(
        actor,
        "update",
        appointment,
        detail={"rescheduled_from": old.isoformat(), "to": starts_at.isoformat(), "reason": reason.strip()},
    )
    return appointment


@transaction.atomic
def cancel(actor, appointment: Appointment, *, reason: str) -> Appointment:
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for cancelling."})
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != Appointment.Status.BOOKED:
        raise ValidationError(
            {"__all__": [f"A {appointment.get_status_display().lower()} appointment cannot be cancelled."]}
        )
    AppointmentChange.objects.create(
        appointment=appointment,
        kind=AppointmentChange.Kind.CANCEL,
        reason=reason.strip(),
        old_starts_at=appointment.starts_at,
        old_chair=appointment.chair,
        changed_by=_user(actor),
    )
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancel_reason = reason.strip()
    appointment.cancelled_at = timezone.now()
    appointment.save()
    audit.record(actor, "update", appointment, detail={"cancelled": True, "reason": reason.strip()})
    return appointment


def _care_team_member(patient, role):
    member = (
        patient.careteammember_set.filter(user__role=role)
        .order_by("-is_primary", "id")
        .select_related("user")
        .first()
    )
    return member.user if member else None


def _free_chair(starts_at, duration_min):
    for chair in Chair.objects.filter(active=True).order_by("name"):
        if not _overlapping(Appointment.objects.filter(chair=chair), starts_at, duration_min):
            return chair
    return None


@transaction.atomic
def generate_from_plan(
    actor,
    plan,
    *,
    replace_existing: bool = False,
    now: dt.datetime | None = None,
    calendar: core_schedule.ClinicCalendar | None = None,
):
    """Book the plan's dosing, integration and assessment appointments from its start date.

    Returns (appointments created, warnings). Slots before ``now`` are skipped. If the plan already has future
    booked appointments, refuse unless ``replace_existing`` - then those are cancelled with a reason first.
    """
    from ketamine_clinic.assessment.services import consent_problem

    now = now or timezone.now()
    if plan.status != "active":
        raise ValidationError({"__all__": [f"The plan is {plan.get_status_display().lower()}, not active."]})
    if plan.start_date is None:
        raise ValidationError({"start_date": "The plan has no start date."})
    consent = consent_problem(plan.patient, plan.route)
    if consent:
        raise ValidationError({"__all__": [f"{consent} Appointments are generated once consent is current."]})
    existing = plan.appointments.filter(status=Appointment.Status.BOOKED, starts_at__gte=now)
    if existing.exists():
        if not replace_existing:
            raise ValidationError(
                {
                    "__all__": [
                        "Appointments were already generated for this plan; choose 'replace' to regenerate."
                    ]
                }
            )
        for appointment in existing:
            cancel(
                actor,
                appointment,
                reason=f"Replaced by a schedule generated from plan version {plan.version}.",
            )

    template = plan.template()
    if plan.integration_every_n_doses and template.integration:
        template = replace(
            template, integration=replace(template.integration, every_n_doses=plan.integration_every_n_doses)
        )
    elif not plan.integration_every_n_doses:
        template = replace(template, integration=None)
    try:
        slots = core_schedule.generate(
            template,
            plan.start_date,
            calendar=calendar or clinic_calendar(),
            time_of_day=plan.session_time,
            tz=timezone.get_current_timezone(),
            phase_changes=plan.phase_changes or None,
        )
    except (core_schedule.ScheduleError, TypeError) as exc:
        raise ValidationError({"__all__": [str(exc)]}) from None

    staff_for = {
        core_schedule.DOSING: _care_team_member(plan.patient, "nurse"),
        core_schedule.INTEGRATION: _care_team_member(plan.patient, "therapist"),
        core_schedule.ASSESSMENT: _care_team_member(plan.patient, "prescriber"),
    }
    created, warnings = [], []
    for slot in slots:
        if slot.starts_at < now:
            continue
        chair = None
        if slot.kind == core_schedule.DOSING:
            chair = _free_chair(slot.starts_at, slot.duration_min)
            if chair is None:
                warnings.append(
                    f"No chair free for {slot.label} on {slot.starts_at:%Y-%m-%d %H:%M}: assign one."
                )
        try:
            created.append(
                book(
                    actor,
                    patient=plan.patient,
                    kind=slot.kind,
                    starts_at=slot.starts_at,
                    duration_min=slot.duration_min,
                    chair=chair,
                    staff=staff_for[slot.kind],
                    plan=plan,
                    phase_key=slot.phase_key,
                    dose_number=slot.dose_number,
                    label=slot.label,
                )
            )
        except ValidationError as exc:
            warnings.append(
                f"{slot.label} on {slot.starts_at:%Y-%m-%d %H:%M} not booked: {'; '.join(exc.messages)}"
            )
    return created, warnings


def day_appointments(day: dt.date):
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = start + dt.timedelta(days=1)
    return (
        Appointment.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .select_related("patient", "chair", "staff")
        .order_by("starts_at")
    )


def ical_for(patient, appointments) -> bytes:
    """An iCalendar (RFC 5545) file of the patient's booked appointments, for their own calendar."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//ketamine-clinic//appointments//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Clinic appointments")
    for a in appointments:
        event = Event()
        event.add("uid", f"appointment-{a.pk}@ketamine-clinic")
        event.add("dtstamp", timezone.now())
        event.add("dtstart", a.starts_at)
        event.add("dtend", a.ends_at)
        event.add("summary", a.get_kind_display())
        if a.kind == Appointment.Kind.DOSING:
            event.add(
                "description", "Arrange for someone to drive you home; do not drive until the next day."
            )
        if a.chair_id:
            event.add("location", a.chair.room or a.chair.name)
        cal.add_component(event)
    return cal.to_ical()
