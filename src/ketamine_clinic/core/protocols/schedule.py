"""Turn a protocol template and a start date into appointment slots: dosing, integration and assessments.

Pure and deterministic: the same template, start date and calendar always give the same slots. Rules honoured:

- every dose lands on a day the clinic is open (``ClinicCalendar``: open weekdays, closed dates, opening hours);
- consecutive doses are at least ``template.min_interval_hours`` apart;
- ``PER_WEEK`` phases put exactly ``doses_per_week`` doses in each dosing week counted from the phase start
  (so the esketamine label cadence is reproduced week by week); ``SERIES`` phases keep all doses inside
  ``window_days`` when set (six IV infusions within three weeks);
- integration and assessment appointments fall on open days with no dose for the patient.

When the rules cannot all be met (e.g. twice weekly with a clinic open one day a week) ``ScheduleError`` says why,
rather than silently bending a rule.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from .templates import PER_WEEK, ProtocolTemplate

DOSING = "dosing"
INTEGRATION = "integration"
ASSESSMENT = "assessment"

# How far ahead to look for an open day before concluding the calendar has none (a programming/config guard).
_SEARCH_DAYS = 60


class ScheduleError(ValueError):
    """The schedule cannot honour the template's rules with this calendar; the message says which rule."""


@dataclass(frozen=True)
class ClinicCalendar:
    """When the clinic runs sessions. Defaults (Mon-Fri, 08:00-18:00) are clinic-defined."""

    open_weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday=0 ... Sunday=6
    opens: time = time(8, 0)
    closes: time = time(18, 0)
    closed_dates: frozenset[date] = frozenset()

    def __post_init__(self):
        if not self.open_weekdays or not set(self.open_weekdays) <= set(range(7)):
            raise ValueError("Open weekdays must be a non-empty set of numbers 0 (Monday) to 6 (Sunday).")
        if self.opens >= self.closes:
            raise ValueError("The clinic must open before it closes.")

    def is_open(self, d: date) -> bool:
        return d.weekday() in self.open_weekdays and d not in self.closed_dates

    def next_open_day(self, d: date, *, avoid: Iterable[date] = ()) -> date:
        avoid = set(avoid)
        for i in range(_SEARCH_DAYS):
            candidate = d + timedelta(days=i)
            if self.is_open(candidate) and candidate not in avoid:
                return candidate
        raise ScheduleError(f"The clinic calendar has no open day within {_SEARCH_DAYS} days of {d}.")


@dataclass(frozen=True)
class Slot:
    kind: str  # DOSING | INTEGRATION | ASSESSMENT (scheduling.Appointment.Kind values)
    starts_at: datetime
    duration_min: int
    phase_key: str
    label: str
    week: int  # 1-based week counted from the plan's start date
    dose_number: int | None = None  # 1-based across the whole plan, dosing slots only

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_min)


# --------------------------------------------------------------------------------------------------- booking rules
# Which kind of chair suits which route, and which clinical roles may be the staff member of which kind of
# appointment. Both tables are clinic-defined (how this clinic equips its chairs and staffs its visits), not from
# a published source; edit them here and every booking, reschedule and generated schedule follows.

INFUSION_CHAIR = "infusion"
RECLINER_CHAIR = "recliner"

# Chair types: key -> what the clinic calls it (clinic-defined).
CHAIR_TYPES: dict[str, str] = {
    INFUSION_CHAIR: "Infusion chair (infusion pump, IV pole)",
    RECLINER_CHAIR: "Recliner chair (nasal spray, oral, sublingual)",
}

# Route (choices.Route value) -> the chair types a dosing appointment for that route may use
# (clinic-defined: IV infusions need a pump; the clinic also puts IM injections in the monitored infusion chairs;
# nasal spray, oral and sublingual doses are taken sitting in a recliner and keep the pumps free).
CHAIR_TYPES_FOR_ROUTE: dict[str, frozenset[str]] = {
    "iv": frozenset({INFUSION_CHAIR}),
    "im": frozenset({INFUSION_CHAIR}),
    "intranasal": frozenset({RECLINER_CHAIR}),
    "oral": frozenset({RECLINER_CHAIR}),
    "sublingual": frozenset({RECLINER_CHAIR}),
}

# Appointment kind (scheduling.Appointment.Kind value) -> the roles (accounts.Role values) that may be its staff
# member (clinic-defined). A dosing visit is run by an infusion nurse at the chair; integration by a therapist;
# a prescriber consultation by a prescriber (or the medical director); assessments and follow-ups by any
# clinician. The front desk books appointments but is never the staff member of one.
STAFF_ROLES_FOR_KIND: dict[str, frozenset[str]] = {
    DOSING: frozenset({"nurse"}),
    INTEGRATION: frozenset({"therapist"}),
    ASSESSMENT: frozenset({"prescriber", "director", "nurse", "therapist"}),
    "consult": frozenset({"prescriber", "director"}),
    "follow_up": frozenset({"prescriber", "director", "nurse", "therapist"}),
}

_ROLE_WORDS = {
    "nurse": "an infusion nurse",
    "therapist": "a therapist",
    "prescriber": "a prescriber",
    "director": "the medical director",
}


def chair_type_problem(chair_type: str, route: str, *, chair_name: str = "This chair") -> str | None:
    """Why a chair of ``chair_type`` cannot take a dose by ``route`` (None = it can), in plain words."""
    allowed = CHAIR_TYPES_FOR_ROUTE.get(route)
    if allowed is None:
        return f"No chair type is set for the {route} route in the clinic's chair table."
    if chair_type in allowed:
        return None
    kind = CHAIR_TYPES.get(chair_type, chair_type).split(" (")[0].lower()
    wanted = " or ".join(CHAIR_TYPES[t].split(" (")[0].lower() for t in sorted(allowed))
    dose = route_word(route)
    return f"{chair_name} is {_article(kind)} {kind}; {_article(dose)} {dose} dose needs {_article(wanted)} {wanted}."


def staff_role_problem(role: str, kind: str, *, staff_name: str = "This staff member") -> str | None:
    """Why someone in ``role`` cannot be the staff member of a ``kind`` appointment (None = they can)."""
    allowed = STAFF_ROLES_FOR_KIND.get(kind)
    if allowed is None or role in allowed:
        return None
    who = " or ".join(_ROLE_WORDS.get(r, r) for r in sorted(allowed, key=list(_ROLE_WORDS).index))
    return f"{staff_name} cannot be the staff member of this appointment: it needs {who}."


def route_word(route: str) -> str:
    return {
        "iv": "IV infusion",
        "im": "intramuscular",
        "intranasal": "nasal spray",
        "oral": "oral",
        "sublingual": "sublingual",
    }.get(route, route)


def _article(phrase: str) -> str:
    return "an" if phrase[:1].lower() in "aeiou" else "a"


@dataclass(frozen=True)
class Booking:
    """One booked interval for overlap checks: ``ref`` identifies it to the caller (e.g. an appointment id)."""

    ref: object
    starts_at: datetime
    ends_at: datetime


def overlapping_pairs(bookings: Iterable[Booking]) -> list[tuple[Booking, Booking]]:
    """Pairs of bookings whose intervals overlap (touching end-to-start is not an overlap), sorted by start.

    A sweep over the bookings sorted by start: each is compared with the earlier ones still running.
    """
    ordered = sorted(bookings, key=lambda b: (b.starts_at, b.ends_at))
    running: list[Booking] = []
    pairs = []
    for b in ordered:
        running = [r for r in running if r.ends_at > b.starts_at]
        pairs.extend((r, b) for r in running)
        running.append(b)
    return pairs


def interval_violations(
    starts: Sequence[datetime], min_interval_hours: float
) -> list[tuple[datetime, datetime]]:
    """Pairs of consecutive dose times closer than ``min_interval_hours`` (empty list = all respected)."""
    ordered = sorted(starts)
    limit = timedelta(hours=min_interval_hours)
    return [(a, b) for a, b in zip(ordered, ordered[1:], strict=False) if b - a < limit]


def generate(
    template: ProtocolTemplate,
    start: date,
    *,
    calendar: ClinicCalendar | None = None,
    time_of_day: time = time(9, 0),
    tz: tzinfo | None = None,
    phase_changes: dict[str, dict] | None = None,
    include_integration: bool = True,
    include_assessments: bool = True,
) -> list[Slot]:
    """All slots of ``template`` from ``start``, sorted by time.

    ``phase_changes`` adjusts a phase without editing the template, e.g. ``{"maintenance": {"every_n_weeks": 1}}``
    for weekly esketamine maintenance (the label allows every 2 weeks or weekly).
    """
    calendar = calendar or ClinicCalendar()
    phases = _phases_with_changes(template, phase_changes)
    _check_session_fits_clinic_hours(template.chair_minutes, time_of_day, calendar)
    place = _Placement(
        calendar,
        start,
        time_of_day,
        tz,
        # Whole days between doses: all doses are at the same time of day, so hours round up to days.
        gap_days=math.ceil(template.min_interval_hours / 24),
        min_gap=timedelta(hours=template.min_interval_hours),
    )
    dose_days, last_dose_of_phase = _dose_days(template, phases, start, place)
    slots = [
        Slot(DOSING, place.at(d), template.chair_minutes, key, f"{label} - dose {n}", place.week_of(d), n)
        for n, (d, key, label) in enumerate(dose_days, start=1)
    ]
    taken = {d for d, _, _ in dose_days}
    if include_integration and template.integration is not None:
        slots += _integration_slots(template.integration, dose_days, taken, place)
    if include_assessments:
        slots += _assessment_slots(template, last_dose_of_phase, taken, place)
    slots.sort(key=lambda s: (s.starts_at, s.kind))
    return slots


def _phases_with_changes(template: ProtocolTemplate, phase_changes: dict[str, dict] | None) -> list:
    phases = list(template.phases)
    for key, changes in (phase_changes or {}).items():
        idx = next((i for i, p in enumerate(phases) if p.key == key), None)
        if idx is None:
            raise ScheduleError(f"Protocol {template.key} has no phase {key!r} to change.")
        phases[idx] = replace(phases[idx], **changes)
    return phases


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _check_session_fits_clinic_hours(dose_minutes: int, time_of_day: time, calendar: ClinicCalendar) -> None:
    if time_of_day < calendar.opens or _minutes(time_of_day) + dose_minutes > _minutes(calendar.closes):
        raise ScheduleError(
            f"A {dose_minutes}-minute dosing session starting at {time_of_day:%H:%M} does not fit the clinic's hours "
            f"({calendar.opens:%H:%M}-{calendar.closes:%H:%M})."
        )


@dataclass(frozen=True)
class _Placement:
    """Where a schedule's sessions fall: open clinic days, all at the same time of day, doses far enough apart."""

    calendar: ClinicCalendar
    start: date
    time_of_day: time
    tz: tzinfo | None
    gap_days: int
    min_gap: timedelta

    def at(self, d: date) -> datetime:
        return datetime.combine(d, self.time_of_day, tzinfo=self.tz)

    def week_of(self, d: date) -> int:
        return (d - self.start).days // 7 + 1

    def next_dose_day(self, target: date, last: date | None) -> date:
        """The first open day from ``target`` (and the whole-day gap after the last dose) that is truly
        ``min_gap`` after the last dose.

        Elapsed time is measured in UTC: across a daylight-saving change "two days later at 09:00" can be 47 h.
        """
        earliest = target if last is None else max(target, last + timedelta(days=self.gap_days))
        d = self.calendar.next_open_day(earliest)
        while last is not None and self.at(d).astimezone(UTC) - self.at(last).astimezone(UTC) < self.min_gap:
            d = self.calendar.next_open_day(d + timedelta(days=1))
        return d


def _dose_days(
    template: ProtocolTemplate, phases: list, start: date, place: _Placement
) -> tuple[list[tuple[date, str, str]], dict[str, date | None]]:
    """Every dose day as (date, phase key, phase label), phase after phase, and each phase's last dose day."""
    dose_days: list[tuple[date, str, str]] = []  # (date, phase key, phase label)
    last_dose_of_phase: dict[str, date | None] = {}
    phase_start = start
    last: date | None = None
    for index, phase in enumerate(phases):
        if index > 0:
            prev = phases[index - 1]
            if prev.cadence == PER_WEEK:
                phase_start = phase_start + timedelta(days=7 * prev.weeks)
            else:
                step = phase.interval_days if phase.cadence != PER_WEEK else 7
                phase_start = last + timedelta(days=round(step))
        if phase.cadence == PER_WEEK:
            days = _weekly_phase_days(template, phase, phase_start, last, place)
        else:
            days = _counted_phase_days(phase, phase_start, last, place)
        dose_days += [(d, phase.key, phase.label) for d in days]
        if days:
            last = days[-1]
        last_dose_of_phase[phase.key] = last
    return dose_days, last_dose_of_phase


def _weekly_phase_days(
    template: ProtocolTemplate, phase, phase_start: date, last: date | None, place: _Placement
) -> list[date]:
    """A phase of so many doses a week, every n weeks: each week's doses must fit in that week."""
    days: list[date] = []
    for w in range(0, phase.weeks, phase.every_n_weeks):
        week_start = phase_start + timedelta(days=7 * w)
        week_end = week_start + timedelta(days=7)
        for i in range(phase.doses_per_week):
            target = week_start + timedelta(days=(i * 7) // phase.doses_per_week)
            d = place.next_dose_day(target, last)
            if d >= week_end:
                raise ScheduleError(
                    f"{phase.label}: cannot fit {phase.doses_per_week} dose(s) in the week starting "
                    f"{week_start} on open clinic days at least {template.min_interval_hours:g} h apart."
                )
            days.append(d)
            last = d
    return days


def _counted_phase_days(phase, phase_start: date, last: date | None, place: _Placement) -> list[date]:
    """A phase of a number of doses so many days apart, within its window if it has one."""
    days: list[date] = []
    window_end = phase_start + timedelta(days=phase.window_days) if phase.window_days else None
    for i in range(phase.count):
        target = phase_start + timedelta(days=round(i * phase.interval_days))
        d = place.next_dose_day(target, last)
        if window_end is not None and d >= window_end:
            raise ScheduleError(
                f"{phase.label}: dose {i + 1} of {phase.count} would fall on {d}, outside the "
                f"{phase.window_days}-day window starting {phase_start}."
            )
        days.append(d)
        last = d
    return days


def _integration_slots(
    integ, dose_days: list[tuple[date, str, str]], taken: set[date], place: _Placement
) -> list[Slot]:
    """An integration session after every n-th dose, on the next open day not already taken."""
    slots = []
    for n, (d, key, _label) in enumerate(dose_days, start=1):
        if n % integ.every_n_doses:
            continue
        day = place.calendar.next_open_day(d + timedelta(days=integ.offset_days), avoid=taken)
        taken.add(day)
        slots.append(
            Slot(
                INTEGRATION,
                place.at(day),
                integ.duration_min,
                key,
                f"Integration session after dose {n}",
                place.week_of(day),
            )
        )
    return slots


def _assessment_slots(
    template: ProtocolTemplate, last_dose_of_phase: dict[str, date | None], taken: set[date], place: _Placement
) -> list[Slot]:
    """Each assessment point, so many days after the last dose of its phase, on a day not already taken."""
    slots = []
    for point in template.assessments:
        if point.after_phase not in last_dose_of_phase:
            raise ScheduleError(
                f"Assessment '{point.label}' refers to unknown phase {point.after_phase!r}."
            )
        day = place.calendar.next_open_day(
            last_dose_of_phase[point.after_phase] + timedelta(days=point.offset_days), avoid=taken
        )
        taken.add(day)
        slots.append(
            Slot(
                ASSESSMENT, place.at(day), point.duration_min, point.after_phase, point.label, place.week_of(day)
            )
        )
    return slots


def doses_per_week(slots: Iterable[Slot], weeks: int) -> list[int]:
    """Count dosing slots in each plan week 1..weeks (a convenience for checking cadence)."""
    counts = [0] * weeks
    for s in slots:
        if s.kind == DOSING and 1 <= s.week <= weeks:
            counts[s.week - 1] += 1
    return counts
