"""Booking rules: no chair double-booked, no patient in two places, doses at least the protocol's interval apart,
and nothing booked on a day the clinic is closed (the same calendar schedule generation uses).

Every booking and reschedule runs inside one transaction that first locks the chair row(s) with
``select_for_update``, then checks for overlaps: two clerks booking the same chair at once queue on the lock and
the second sees the first's appointment (on PostgreSQL; SQLite serialises writers anyway).
"""

import datetime as dt
from dataclasses import dataclass, replace

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic import access, audit
from ketamine_clinic.audit import acting_user as _user
from ketamine_clinic.core.protocols import schedule as core_schedule

from .models import Appointment, AppointmentChange, Chair, ChangeRequest

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


def _span(a: Appointment) -> str:
    start, end = timezone.localtime(a.starts_at), timezone.localtime(a.ends_at)
    return f"{start:%H:%M}-{end:%H:%M} on {start:%Y-%m-%d}"


def _what(a: Appointment) -> str:
    """'a dosing session', 'an integration / psychotherapy', 'an assessment' ..."""
    kind = a.get_kind_display().lower()
    return f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind}"


def _min_interval_hours(patient, plan) -> float:
    from ketamine_clinic.plans.services import current_plan

    plan = plan or current_plan(patient)
    if plan is None:
        return DEFAULT_MIN_DOSE_INTERVAL_HOURS
    try:
        return plan.template().min_interval_hours
    except KeyError:
        return DEFAULT_MIN_DOSE_INTERVAL_HOURS


def dosing_plan_problem(patient, plan=None) -> tuple[object | None, str | None]:
    """The plan a dosing visit for ``patient`` is given under, and why it cannot be booked (None = it can).

    A dosing visit needs current eligibility (the prescriber's decision to proceed on a current screening),
    current consent for the plan's route, and an active plan (assessment and plans services, read-only); an
    esketamine visit also needs the clinic's SPRAVATO REMS certification and the patient's enrolment
    (core.safety.rems, through ``assessment.services.rems_problems``).
    """
    from ketamine_clinic.assessment.services import consent_problem, eligibility_problem, rems_problems
    from ketamine_clinic.plans.services import current_plan

    problem = eligibility_problem(patient)
    if problem:
        return None, f"{problem} A dosing visit needs current eligibility."
    plan = plan or current_plan(patient)
    if plan is None:
        return (
            None,
            "The patient has no active treatment plan: the prescriber writes one before a dosing visit.",
        )
    if plan.status != "active":
        return (
            None,
            f"The treatment plan is {plan.get_status_display().lower()}, not active: no dosing visit.",
        )
    problem = consent_problem(patient, plan.route)
    if problem:
        return plan, f"{problem} A dosing visit needs current consent."
    rems = rems_problems(patient, plan.route)
    if rems:
        return plan, " ".join(rems)
    return plan, None


def _check(patient, kind, starts_at, duration_min, chair, plan, staff=None, exclude_pk=None) -> object | None:
    """Every booking rule for one appointment; raises ValidationError keyed by field, else returns the plan a
    dosing appointment is given under (None for other kinds)."""
    if duration_min is None or duration_min <= 0:
        raise ValidationError({"duration_min": "The duration must be at least one minute."})
    problems: list[tuple[str, str]] = []
    closed = closed_day_problem(starts_at)
    if closed:
        problems.append(("starts_at", closed))
    route = None
    if kind == Appointment.Kind.DOSING:
        plan, problem = dosing_plan_problem(patient, plan)
        if problem:
            problems.append(("__all__", problem))
        route = plan.route if plan is not None else None
    span = (starts_at, duration_min, exclude_pk)
    if chair is not None:
        problems += _chair_problems(chair, route, span)
    if staff is not None:
        problems += _staff_problems(staff, kind, span)
    mine = _overlapping(Appointment.objects.filter(patient=patient), *span)
    if mine:
        problems.append(("starts_at", f"The patient already has {_what(mine[0])} {_span(mine[0])}."))
    if kind == Appointment.Kind.DOSING:
        problems += _dose_interval_problems(patient, plan, starts_at, exclude_pk)
    if problems:
        errors: dict[str, list[str]] = {}
        for field, message in problems:
            errors.setdefault(field, []).append(message)
        raise ValidationError(errors)
    return plan if kind == Appointment.Kind.DOSING else None


def _chair_problems(chair, route, span) -> list[tuple[str, str]]:
    """The chair is in service, of a type the route may use, and free then (row-locked: two bookings at once)."""
    problems = []
    locked = Chair.objects.select_for_update().get(pk=chair.pk)
    if not locked.active:
        problems.append(("chair", f"{locked.name} is out of service."))
    if route is not None:
        problem = core_schedule.chair_type_problem(locked.chair_type, route, chair_name=locked.name)
        if problem:
            problems.append(("chair", problem))
    clash = _overlapping(Appointment.objects.filter(chair=locked), *span)
    if clash:
        problems.append(("chair", f"{locked.name} is already booked {_span(clash[0])}."))
    return problems


def _staff_problems(staff, kind, span) -> list[tuple[str, str]]:
    """The staff member still works here, has a role that does this kind of visit, and is free then."""
    from django.contrib.auth import get_user_model

    problems = []
    member = get_user_model().objects.select_for_update().get(pk=staff.pk)
    name = member.display_name()
    if not member.is_active:
        problems.append(("staff", f"{name} no longer works at the clinic (account inactive)."))
    problem = core_schedule.staff_role_problem(member.role, kind, staff_name=f"{name} ({member.get_role_display()})")
    if problem:
        problems.append(("staff", problem))
    busy = _overlapping(Appointment.objects.filter(staff=member), *span)
    if busy:
        problems.append(
            ("staff", f"{name} already has {_what(busy[0])} {_span(busy[0])}: choose another time or staff member.")
        )
    return problems


def _dose_interval_problems(patient, plan, starts_at, exclude_pk) -> list[tuple[str, str]]:
    """No other dose booked closer than the route's minimum interval."""
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
    if near is None:
        return []
    return [(
        "starts_at",
        f"Doses must be at least {hours:g} h apart; another dose is booked "
        f"{timezone.localtime(near.starts_at):%Y-%m-%d %H:%M}.",
    )]


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
    plan = _check(patient, kind, starts_at, duration_min, chair, plan, staff) or plan
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
    _check_reason_length(reason)
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != Appointment.Status.BOOKED:
        raise ValidationError(
            {"__all__": [f"A {appointment.get_status_display().lower()} appointment cannot be moved."]}
        )
    new_chair = appointment.chair if chair == "unchanged" else chair
    new_staff = appointment.staff if staff == "unchanged" else staff
    duration = duration_min or appointment.duration_min
    _check(
        appointment.patient,
        appointment.kind,
        starts_at,
        duration,
        new_chair,
        appointment.plan,
        new_staff,
        exclude_pk=appointment.pk,
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
    appointment.staff = new_staff
    appointment.save()
    audit.record(
        actor,
        "update",
        appointment,
        detail={"rescheduled_from": old.isoformat(), "to": starts_at.isoformat(), "reason": reason.strip()},
    )
    return appointment


def _check_reason_length(reason: str) -> None:
    # The change record keeps the reason in a column of this length; PostgreSQL refuses a longer one mid-write.
    limit = AppointmentChange._meta.get_field("reason").max_length
    if len(reason.strip()) > limit:
        raise ValidationError({"reason": f"Keep the reason to {limit} characters (this one has {len(reason.strip())})."})


@transaction.atomic
def cancel(actor, appointment: Appointment, *, reason: str) -> Appointment:
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for cancelling."})
    _check_reason_length(reason)
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
        patient.careteammember_set.filter(user__role=role, user__is_active=True)
        .order_by("-is_primary", "id")
        .select_related("user")
        .first()
    )
    return member.user if member else None


def chairs_for_route(route: str):
    """Active chairs whose type suits ``route`` (core.protocols.schedule.CHAIR_TYPES_FOR_ROUTE), by name."""
    types = core_schedule.CHAIR_TYPES_FOR_ROUTE.get(route, frozenset())
    return Chair.objects.filter(active=True, chair_type__in=types).order_by("name")


def _free_chair(starts_at, duration_min, route):
    for chair in chairs_for_route(route):
        if not _overlapping(Appointment.objects.filter(chair=chair), starts_at, duration_min):
            return chair
    return None


def _free_staff(preferred, kind, starts_at, duration_min):
    """``preferred`` (the care-team member) if free then, else another active clinician suited to ``kind``."""
    from django.contrib.auth import get_user_model

    roles = core_schedule.STAFF_ROLES_FOR_KIND.get(kind, frozenset())
    others = get_user_model().objects.filter(role__in=roles, is_active=True).order_by("last_name", "id")
    if preferred is not None:
        others = others.exclude(pk=preferred.pk)
    for member in ([preferred] if preferred is not None else []) + list(others):
        if not _overlapping(Appointment.objects.filter(staff=member), starts_at, duration_min):
            return member
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
    now = now or timezone.now()
    _check_plan_may_generate(plan)
    _clear_generated(actor, plan, now, replace_existing)
    slots = _plan_slots(plan, calendar or clinic_calendar())
    preferred = {
        core_schedule.DOSING: _care_team_member(plan.patient, "nurse"),
        core_schedule.INTEGRATION: _care_team_member(plan.patient, "therapist"),
        core_schedule.ASSESSMENT: _care_team_member(plan.patient, "prescriber"),
    }
    created, warnings = [], []
    for slot in slots:
        if slot.starts_at >= now:
            _book_slot(actor, plan, slot, preferred[slot.kind], created, warnings)
    return created, warnings


def _check_plan_may_generate(plan) -> None:
    if plan.status != "active":
        raise ValidationError({"__all__": [f"The plan is {plan.get_status_display().lower()}, not active."]})
    if plan.start_date is None:
        raise ValidationError({"start_date": "The plan has no start date."})
    _plan, problem = dosing_plan_problem(plan.patient, plan)
    if problem:
        raise ValidationError({"__all__": [f"{problem} Appointments are generated once it is."]})


def _clear_generated(actor, plan, now, replace_existing: bool) -> None:
    """Refuse to generate twice, unless replacing: then the plan's future booked visits are cancelled first."""
    existing = plan.appointments.filter(status=Appointment.Status.BOOKED, starts_at__gte=now)
    if not existing.exists():
        return
    if not replace_existing:
        raise ValidationError(
            {"__all__": ["Appointments were already generated for this plan; choose 'replace' to regenerate."]}
        )
    for appointment in existing:
        cancel(actor, appointment, reason=f"Replaced by a schedule generated from plan version {plan.version}.")


def _plan_slots(plan, calendar):
    """The core's slots for the plan's template, with the plan's own integration cadence (or none)."""
    template = plan.template()
    if plan.integration_every_n_doses and template.integration:
        template = replace(
            template, integration=replace(template.integration, every_n_doses=plan.integration_every_n_doses)
        )
    elif not plan.integration_every_n_doses:
        template = replace(template, integration=None)
    try:
        return core_schedule.generate(
            template,
            plan.start_date,
            calendar=calendar,
            time_of_day=plan.session_time,
            tz=timezone.get_current_timezone(),
            phase_changes=plan.phase_changes or None,
        )
    except (core_schedule.ScheduleError, TypeError) as exc:
        raise ValidationError({"__all__": [str(exc)]}) from None


def _book_slot(actor, plan, slot, preferred_staff, created: list, warnings: list) -> None:
    """Book one slot with a free chair and staff member where there is one; what could not be done is a warning."""
    when = f"{timezone.localtime(slot.starts_at):%Y-%m-%d %H:%M}"
    chair = None
    if slot.kind == core_schedule.DOSING:
        chair = _free_chair(slot.starts_at, slot.duration_min, plan.route)
        if chair is None:
            kinds = " or ".join(
                core_schedule.CHAIR_TYPES[t].split(" (")[0].lower()
                for t in sorted(core_schedule.CHAIR_TYPES_FOR_ROUTE.get(plan.route, ()))
            )
            warnings.append(f"No {kinds} free for {slot.label} on {when}: assign one.")
    staff = _free_staff(preferred_staff, slot.kind, slot.starts_at, slot.duration_min)
    if staff is None:
        warnings.append(f"No staff member free for {slot.label} on {when}: assign one.")
    try:
        created.append(
            book(
                actor,
                patient=plan.patient,
                kind=slot.kind,
                starts_at=slot.starts_at,
                duration_min=slot.duration_min,
                chair=chair,
                staff=staff,
                plan=plan,
                phase_key=slot.phase_key,
                dose_number=slot.dose_number,
                label=slot.label,
            )
        )
    except ValidationError as exc:
        warnings.append(f"{slot.label} on {when} not booked: {'; '.join(exc.messages)}")


@transaction.atomic
def book_session_now(
    actor,
    patient,
    *,
    route: str,
    chair: Chair | None,
    staff,
    starts_at: dt.datetime | None = None,
    note: str = "",
) -> Appointment:
    """The dosing appointment for a session started now from the sessions board (every session has one).

    The same rules as any booking (``book``): chair free and of a type for the route, the nurse free and a
    nurse, the patient's minimum interval between doses, an open clinic day, current eligibility and consent,
    an active plan - which must be for ``route``. Chair and nurse are required (the patient is in the chair
    now). The appointment holds the chair for the plan's chair time. Then create the session with
    ``sessions.services.session_for_appointment(appointment, user=...)``.
    """
    from ketamine_clinic.choices import Route
    from ketamine_clinic.plans.services import current_plan

    errors = {}
    if chair is None:
        errors["chair"] = "Choose the chair the patient is sitting in."
    if staff is None:
        errors["staff"] = "Choose the nurse who runs the session."
    plan = current_plan(patient)
    if plan is not None and route != plan.route:
        label = Route(route).label if route in Route.values else route
        errors["route"] = (
            f"The patient's active plan is for {plan.get_route_display()}, not {label}: the prescriber changes "
            "the plan first."
        )
    if errors:
        raise ValidationError(errors)
    starts_at = (starts_at or timezone.now()).replace(second=0, microsecond=0)
    try:
        duration = plan.template().chair_minutes if plan is not None else 120
    except KeyError:
        duration = 120
    return book(
        actor,
        patient=patient,
        kind=Appointment.Kind.DOSING,
        starts_at=starts_at,
        duration_min=duration,
        chair=chair,
        staff=staff,
        plan=plan,
        label="Session started from the board",
        note=note,
    )


@dataclass(frozen=True)
class OverlapViolation:
    """Two active appointments holding one chair, staff member or patient at the same time."""

    resource: str  # "chair" | "staff" | "patient"
    resource_id: int
    name: str
    first_id: int
    second_id: int
    first_starts_at: dt.datetime
    first_ends_at: dt.datetime
    second_starts_at: dt.datetime
    second_ends_at: dt.datetime

    @property
    def message(self) -> str:
        """E.g. 'Chair 1 is double-booked: appointment 4 (2026-12-07 09:00-11:00) overlaps appointment 9 (...).'"""
        who = f"Patient {self.name}" if self.resource == "patient" else self.name
        a = timezone.localtime(self.first_starts_at)
        b = timezone.localtime(self.second_starts_at)
        return (
            f"{who} is double-booked: appointment {self.first_id} ({a:%Y-%m-%d %H:%M}-"
            f"{timezone.localtime(self.first_ends_at):%H:%M}) overlaps appointment {self.second_id} "
            f"({b:%Y-%m-%d %H:%M}-{timezone.localtime(self.second_ends_at):%H:%M})."
        )


def overlap_violations(resources=("chair", "staff", "patient")) -> list[OverlapViolation]:
    """Every pair of active (booked, checked-in, completed) appointments in the database that double-book a
    chair, a staff member or a patient: the invariant ``book`` and ``reschedule`` keep, for ``verify``.

    One query for the appointments, one per resource for the names; the overlap sweep is the core's.
    """
    from django.contrib.auth import get_user_model

    from ketamine_clinic.patients.models import Patient

    rows = list(
        Appointment.objects.filter(status__in=ACTIVE).values_list(
            "pk", "starts_at", "duration_min", "chair_id", "staff_id", "patient_id"
        )
    )
    column = {"chair": 3, "staff": 4, "patient": 5}
    found = []
    for resource in resources:
        groups: dict[int, list[core_schedule.Booking]] = {}
        for row in rows:
            key = row[column[resource]]
            if key is not None:
                groups.setdefault(key, []).append(
                    core_schedule.Booking(row[0], row[1], row[1] + dt.timedelta(minutes=row[2]))
                )
        pairs = [
            (key, pair) for key, group in groups.items() for pair in core_schedule.overlapping_pairs(group)
        ]
        if not pairs:
            continue
        ids = {key for key, _ in pairs}
        if resource == "chair":
            names = dict(Chair.objects.filter(pk__in=ids).values_list("pk", "name"))
        elif resource == "staff":
            names = {u.pk: u.display_name() for u in get_user_model().objects.filter(pk__in=ids)}
        else:
            names = dict(Patient.objects.filter(pk__in=ids).values_list("pk", "mrn"))
        for key, (a, b) in pairs:
            found.append(
                OverlapViolation(
                    resource,
                    key,
                    str(names.get(key, key)),
                    a.ref,
                    b.ref,
                    a.starts_at,
                    a.ends_at,
                    b.starts_at,
                    b.ends_at,
                )
            )
    found.sort(key=lambda v: (v.first_starts_at, v.resource, v.first_id, v.second_id))
    return found


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
        if a.reminder:  # dosing: the route's fasting rule and minimum stay, from the route table
            event.add("description", a.reminder)
        if a.chair_id:
            event.add("location", a.chair.room or a.chair.name)
        cal.add_component(event)
    return cal.to_ical()


def request_change(actor, appointment: Appointment, *, kind: str, note: str = "") -> ChangeRequest:
    """The patient's own request to move or cancel an upcoming booked visit (one open request per visit)."""
    user = _user(actor)
    if user is None or not user.is_patient or appointment.patient.user_id != user.pk:
        raise ValidationError({"__all__": ["Only the patient can ask to change their own appointment."]})
    if kind not in ChangeRequest.Kind.values:
        raise ValidationError({"kind": "Choose whether to move or cancel the appointment."})
    if appointment.status != Appointment.Status.BOOKED or appointment.starts_at <= timezone.now():
        raise ValidationError({"__all__": ["This appointment can no longer be changed here: please call the clinic."]})
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError({"note": "Keep the note under 500 characters."})
    with transaction.atomic():
        if appointment.change_requests.filter(handled_at__isnull=True).exists():
            raise ValidationError({"__all__": ["You have already asked about this appointment; the front desk will "
                                               "call you."]})
        request = ChangeRequest.objects.create(appointment=appointment, kind=kind, note=note)
        audit.record(actor, "create", request, patient=appointment.patient, detail={"kind": kind})
    return request


def open_change_requests(user):
    """Patients' requests not yet handled, for the patients ``user`` may see, oldest first."""
    return (ChangeRequest.objects.filter(handled_at__isnull=True,
                                         appointment__patient__in=access.visible_patients(user))
            .select_related("appointment__patient"))


def handle_change_request(actor, request) -> None:
    """The front desk has called the patient back (and moved or cancelled the visit as agreed)."""
    user = _user(actor)
    access.require(user, "schedule", "write", request.appointment.patient)
    if request.handled_at is not None:
        return
    request.handled_at, request.handled_by = timezone.now(), user
    with transaction.atomic():
        request.save(update_fields=["handled_at", "handled_by"])
        audit.record(actor, "update", request, patient=request.appointment.patient, detail={"handled": True})
