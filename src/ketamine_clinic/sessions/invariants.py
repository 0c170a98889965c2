"""What must hold for every dosing session in the database, checked over the whole record.

The services enforce each rule when the state changes; this module re-reads the stored record and reports any
session that breaks one anyway (a row written around the services, an old record, a bug). It is what
``ketamine-clinic verify`` and the state-machine test assert after every step. Rules are the core's: the route
table (minimum observation), the pre-dose window, the clock skew and the ledger's session tallies.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from ketamine_clinic.assessment.models import RemsEnrolment
from ketamine_clinic.clinic import services as clinic_services
from ketamine_clinic.core.administration import predose as core_predose
from ketamine_clinic.core.administration import rems_form as core_rems
from ketamine_clinic.core.administration.states import DOSE_GIVEN_STATES, SessionState
from ketamine_clinic.core.inventory import format_mg, mg_to_mcg, session_tallies
from ketamine_clinic.core.protocols.routes import ROUTE_RULES
from ketamine_clinic.core.safety.event_time import is_in_future

from .models import DosingSession, SessionEvent
from .services import pre_dose_measures


@dataclass(frozen=True)
class Violation:
    """One broken rule: which record, and what is wrong, in the clinic's words."""

    area: str
    record: str
    message: str

    def __str__(self) -> str:
        return f"[{self.area}] {self.record}: {self.message}"


def _name(s: DosingSession) -> str:
    when = timezone.localtime(s.scheduled_for)
    return f"session {s.pk} ({s.patient.mrn}, {s.get_route_display()}, {when:%Y-%m-%d %H:%M})"


def _overridden(events, to_state: str) -> bool:
    return any(e.to_state == to_state and e.override_reason for e in events)


def _check_times(s: DosingSession, events, now: dt.datetime, bad) -> None:
    """The session's times are in order and none is in the future; so are the steps of its record."""
    steps = [
        ("checked in", s.checked_in_at),
        ("dosing started", s.dosing_started_at),
        ("dosing ended", s.dosing_ended_at),
        ("discharged", s.discharged_at),
    ]
    known = [(label, t) for label, t in steps if t is not None]
    for (a, ta), (b, tb) in zip(known, known[1:], strict=False):
        if tb < ta:
            bad(f"{b} ({timezone.localtime(tb):%H:%M}) is before {a} ({timezone.localtime(ta):%H:%M}).")
    for label, t in known:
        if is_in_future(t, now):
            bad(f"{label} at {timezone.localtime(t):%Y-%m-%d %H:%M} is in the future.")
    for a, b in zip(events, events[1:], strict=False):
        if b.at < a.at:
            bad(f"the step to {b.to_state} is recorded before the step to {a.to_state}.")


def _check_dose(s: DosingSession, tallies, now: dt.datetime, bad) -> None:
    """The dose: drawn from a lot, checked by two people, and accounted for in the ledger."""
    state = SessionState(s.state)
    dosed = state in DOSE_GIVEN_STATES or (
        state in (SessionState.DISCHARGED, SessionState.STOPPED_EARLY) and s.dosing_started_at is not None
    )
    if s.dose_mg is not None:
        if s.lot_id is None:
            bad("has a confirmed dose with no stock lot: the dose left no trace in the ledger.", "ledger")
        if s.dose_second_checker_id is None or s.dose_second_checker_id == s.dose_confirmed_by_id:
            bad("the dose's two-person check names only one person.")
        tally = tallies.get(s.pk)
        if s.lot_id is not None and (tally is None or tally.drawn_mcg == 0):
            bad("has a confirmed dose but no draw from the controlled-substance stock.", "ledger")
        if tally is not None:
            _check_ledger_tally(s, tally, now, bad)
    elif dosed:
        bad("reached dosing without a confirmed dose.")


def _check_ledger_tally(s: DosingSession, tally, now: dt.datetime, bad) -> None:
    """The ledger's tally for a dosed session: what was given, and nothing still held after its day."""
    if s.delivered_mg is not None and tally.administered_mcg != mg_to_mcg(s.delivered_mg):
        bad(
            f"delivered {s.delivered_mg} mg but the ledger records "
            f"{format_mg(tally.administered_mcg)} administered.",
            "ledger",
        )
    closed_at = s.discharged_at or s.state_changed_at
    # Clinic-defined: a remainder is wasted (witnessed) or returned by the end of the session's day.
    if (
        s.is_closed
        and tally.held_mcg
        and closed_at is not None
        and timezone.localdate(closed_at) < timezone.localdate(now)
    ):
        bad(
            f"ended with {format_mg(tally.held_mcg)} still held after its day: drawn must equal "
            "administered + wasted + returned once the patient has left.",
            "ledger",
        )


def _check_pre_dose_measures(s: DosingSession, events, rules, bad) -> None:
    """Pre-dose measures: scored PHQ-9 and C-SSRS for the session or within the window before dosing (the
    gate's own reading of the record), unless the step to dosing was overridden."""
    if s.dosing_started_at is not None and not _overridden(events, SessionState.DOSING.value):
        done, _, _ = pre_dose_measures(s, s.dosing_started_at)
        missing = [core_predose.MEASURE_LABELS.get(m, m) for m in rules.required_measures if m not in done]
        if missing:
            bad(f"dosing began without scored pre-dose measures ({', '.join(missing)}) and no override.")


def _check_observation(s: DosingSession, events, bad) -> None:
    """The minimum observation after the end of dosing, before ready-for-discharge and discharge."""
    minimum = ROUTE_RULES[s.route].min_observation_min if s.route in ROUTE_RULES else None
    if minimum and s.dosing_ended_at is not None:
        ready = next((e.at for e in events if e.to_state == SessionState.READY_FOR_DISCHARGE.value), None)
        for label, at, target in (
            ("ready for discharge", ready, SessionState.READY_FOR_DISCHARGE.value),
            ("discharged", s.discharged_at, SessionState.DISCHARGED.value),
        ):
            if at is None or _overridden(events, target):
                continue
            observed = (at - s.dosing_ended_at).total_seconds() / 60
            if observed < minimum - 0.5:
                bad(f"{label} {observed:.0f} min after dosing ended; the minimum is {minimum} min.")


def _check_chair(s: DosingSession, bad) -> None:
    """The chair suits the route (the appointment holds it; the session's own chair must be the same kind)."""
    chair = s.appointment.chair if s.appointment_id and s.appointment.chair_id else None
    if chair is not None:
        from ketamine_clinic.core.protocols.schedule import chair_type_problem

        problem = chair_type_problem(chair.chair_type, s.route, chair_name=chair.name)
        if problem:
            bad(problem, "schedule")


def _check_rems(s: DosingSession, enrolled: set[int], certified: bool, bad) -> None:
    """An esketamine dose needs the setting's REMS certification and the patient's enrolment (core.safety.rems), and
    its signed note a complete REMS Patient Monitoring Form, frozen when it was signed (core.administration.rems_form)."""
    if s.route != core_rems.ROUTE:
        return
    if s.dosing_started_at is not None:
        if not certified:
            bad("esketamine was given while the clinic is not recorded as SPRAVATO REMS-certified.", "rems")
        if s.patient_id not in enrolled:
            bad("esketamine was given to a patient not enrolled in the SPRAVATO REMS.", "rems")
    note = getattr(s, "note", None)
    if note is not None and note.is_signed:
        form = getattr(s, "rems_form", None)
        if form is None or form.signed_values is None:
            bad("the note is signed but the REMS monitoring form was never completed.", "rems")
        elif gaps := core_rems.missing_fields(form.signed_values):
            bad(f"the note is signed with the REMS monitoring form incomplete: {'; '.join(gaps)}.", "rems")


def session_violations(*, now: dt.datetime | None = None, sessions=None) -> list[Violation]:
    """Every session rule broken in the database (or in ``sessions``), in session order."""
    from ketamine_clinic.inventory.models import LedgerEntry

    now = now or timezone.now()
    qs = sessions if sessions is not None else DosingSession.objects.all()
    qs = qs.select_related("patient", "appointment__chair", "note", "rems_form").prefetch_related(
        Prefetch("events", queryset=SessionEvent.objects.order_by("at", "id"))
    )
    tallies = session_tallies(e.as_core() for e in LedgerEntry.objects.order_by("sequence"))
    rules = core_predose.PreDoseRules()
    enrolled = set(RemsEnrolment.objects.values_list("patient_id", flat=True))
    certified = clinic_services.rems_certified()
    out: list[Violation] = []
    for s in qs.order_by("scheduled_for", "pk"):
        name = _name(s)

        def bad(message, area="sessions", name=name):
            out.append(Violation(area, name, message))

        events = list(s.events.all())
        if s.appointment_id is None:
            bad("has no appointment: its chair and nurse are invisible to the schedule.")
        # Each session's rules in a fixed order: the report reads the same on every run.
        _check_times(s, events, now, bad)
        _check_dose(s, tallies, now, bad)
        _check_pre_dose_measures(s, events, rules, bad)
        _check_observation(s, events, bad)
        _check_chair(s, bad)
        _check_rems(s, enrolled, certified, bad)
    return out
