"""The billing lines of dosing sessions, read from the session record (``core.administration.billing`` decides).

One way in for every face: the page and its CSV, the API and the ``export`` command all call
``sessions_with_codes`` (or ``export_rows``, its CSV rows), which checks the "billing" area, keeps to the patients
the user may open (``access.visible_patients``) and writes the audit row. Nothing is stored: the lines are
derived from the session each time, so they follow a corrected record.

Which sessions: finished ones (discharged, stopped early, aborted) whose clinic day (the day dosing began, else
the day it was scheduled, in the clinic's time zone) falls in the range. Sessions still under way are left out
until they end. Infusion time is the time from the start to the end of dosing less the pauses charted on the
flowsheet (infusion paused, then resumed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models.functions import Coalesce
from django.utils import timezone

from ketamine_clinic import access, audit
from ketamine_clinic.core.administration import billing as rules
from ketamine_clinic.core.administration.states import SessionState
from ketamine_clinic.sessions.models import DosingSession, Intervention

AREA = "billing"

# The longest range one export covers: a year of clinic days (a claims period is a month or a quarter).
MAX_RANGE_DAYS = 366

# Days a clinic's records can hold (a typo such as year 20260 or 0001 is named, not carried to the database).
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)

FINISHED = (SessionState.DISCHARGED, SessionState.STOPPED_EARLY, SessionState.ABORTED)
OUTCOME_OF_STATE = {
    SessionState.DISCHARGED: rules.COMPLETED,
    SessionState.STOPPED_EARLY: rules.STOPPED_EARLY,
    SessionState.ABORTED: rules.ABORTED,
}

HEADER = [
    "session",
    "date_of_service",
    "patient_mrn",
    "patient",
    "route",
    "state",
    "dose_mg",
    "infusion_minutes",
    "observation_minutes",
    "codes",
    "code_lines",
    "notes",
]


def date_of_service(session: DosingSession) -> dt.date:
    """The clinic day of the session: the day dosing began, else the day it was scheduled (clinic time zone)."""
    return timezone.localdate(session.dosing_started_at or session.scheduled_for)


def outcome_of(session: DosingSession) -> str:
    return OUTCOME_OF_STATE.get(SessionState(session.state), rules.UNDER_WAY)


def infusion_pauses(session: DosingSession) -> tuple:
    """(paused at, resumed at or None) of each pause the nurse charted (the flowsheet's interventions)."""
    pauses, open_at = [], None
    for entry in sorted(session.interventions.all(), key=lambda e: (e.given_at, e.pk)):
        if entry.kind == Intervention.Kind.PAUSED and open_at is None:
            open_at = entry.given_at
        elif entry.kind == Intervention.Kind.RESUMED and open_at is not None:
            pauses.append((open_at, entry.given_at))
            open_at = None
    if open_at is not None:
        pauses.append((open_at, None))
    return tuple(pauses)


def facts_of(session: DosingSession) -> rules.SessionFacts:
    """The session record as the billing rules read it. Observation runs from the end of dosing (the last nasal
    device) to discharge, or to the moment a session stopped early."""
    outcome = outcome_of(session)
    observation_end = session.discharged_at
    if outcome == rules.STOPPED_EARLY and observation_end is None:
        observation_end = session.state_changed_at
    return rules.SessionFacts(
        route=session.route,
        outcome=outcome,
        date_of_service=date_of_service(session),
        delivered_mg=None if outcome == rules.ABORTED else session.given_mg,
        infusion_started_at=session.dosing_started_at,
        infusion_ended_at=session.dosing_ended_at,
        infusion_pauses=infusion_pauses(session) if session.route == rules.IV else (),
        observation_started_at=session.dosing_ended_at,
        observation_ended_at=observation_end,
    )


def codes_for(session: DosingSession) -> rules.BillingSuggestion:
    """The billing lines one session's record supports (the caller has opened the session through the gate)."""
    return rules.billing_lines(facts_of(session))


@dataclass(frozen=True)
class BilledSession:
    session: DosingSession
    suggestion: rules.BillingSuggestion

    @property
    def patient(self):
        return self.session.patient

    @property
    def date(self) -> dt.date:
        return date_of_service(self.session)

    @property
    def lines(self):
        return self.suggestion.lines

    @property
    def codes_text(self) -> str:
        """"96365 x1; J3490 x1": the codes and units on one line (the CSV and the table)."""
        return "; ".join(f"{line.code} x{line.units}" for line in self.suggestion.lines)


def check_range(start: dt.date | None, end: dt.date | None) -> None:
    """Refuse a range the export cannot cover, by field, in the clinic's words."""
    errors = {}
    if start is None:
        errors["start"] = "Give the first clinic day of the range (YYYY-MM-DD)."
    if end is None:
        errors["end"] = "Give the last clinic day of the range (YYYY-MM-DD)."
    for name, day in (("start", start), ("end", end)):
        if name not in errors and not FIRST_DAY <= day <= LAST_DAY:
            errors[name] = f"Give a day between {FIRST_DAY:%Y-%m-%d} and {LAST_DAY:%Y-%m-%d}."
    if not errors and start > end:
        errors["end"] = "The last day must not be before the first day."
    if not errors and (end - start).days >= MAX_RANGE_DAYS:
        errors["end"] = f"One export covers at most {MAX_RANGE_DAYS} days; split the range."
    if errors:
        raise ValidationError(errors)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _billed_sessions(user, start: dt.date, end: dt.date) -> list[BilledSession]:
    access.require(user, AREA)
    check_range(start, end)
    sessions = (
        DosingSession.objects.filter(
            patient__in=access.visible_patients(user), state__in=[str(s) for s in FINISHED]
        )
        .annotate(day_at=Coalesce("dosing_started_at", "scheduled_for"))
        .filter(day_at__gte=_day_start(start), day_at__lt=_day_start(end + dt.timedelta(days=1)))
        .select_related("patient")
        .prefetch_related("interventions")
        .order_by("day_at", "pk")
    )
    return [BilledSession(s, codes_for(s)) for s in sessions]


def sessions_with_codes(actor, start: dt.date, end: dt.date, *, action: str = "export", via: str = "page"):
    """Finished sessions of the patients ``actor`` (a request or a user) may open, with their billing lines,
    between two clinic days (inclusive). Audited: one row naming the range, the sessions and the patients
    (``action`` "list" for a page that only shows them, "export" for a download)."""
    user = getattr(actor, "user", actor)
    billed = _billed_sessions(user, start, end)
    audit.record(
        actor,
        action,
        detail={
            "export": "billing codes",
            "via": via,
            "start": str(start),
            "end": str(end),
            "sessions": [b.session.pk for b in billed],
            "patients": sorted({b.session.patient_id for b in billed}),
        },
    )
    return billed


def _mg(value) -> str:
    return "" if value is None else f"{value.normalize():f}"


def csv_row(b: BilledSession) -> list:
    s = b.session
    return [
        s.pk,
        b.date.isoformat(),
        s.patient.mrn,
        f"{s.patient.last_name}, {s.patient.first_name}",
        s.get_route_display(),
        s.state_label,
        "" if outcome_of(s) == rules.ABORTED else _mg(s.given_mg),
        "" if b.suggestion.infusion_minutes is None else b.suggestion.infusion_minutes,
        "" if b.suggestion.observation_minutes is None else b.suggestion.observation_minutes,
        b.codes_text,
        " | ".join(
            f"{line.system} {line.code} x{line.units}: {line.description}"
            + (f" [{line.payer}]" if line.payer else "")
            for line in b.lines
        ),
        " ".join(b.suggestion.notes),
    ]


def export_rows(user, start: dt.date, end: dt.date) -> tuple[list[str], list[list]]:
    """(header, rows) of the billing export for ``ketamine-clinic export``: the same rows as the page's CSV, one
    per session, audited as an export by the command line."""
    billed = sessions_with_codes(user, start, end, via="command line")
    return HEADER, [csv_row(b) for b in billed]
