"""What a session actually gave, as pharmacology events, and the discharge hint drawn from them.

The flowsheet's predicted curve once dosing has started is drawn from the record, not from the order: for an
infusion, the pump's starting rate, each charted rate change, pause, resume and stop, the end of dosing and the
delivered dose (core.pharmacology.pump); for the esketamine nasal spray, the devices 5 minutes apart from the
first; for any other route, the dose at the start. Times are minutes from ``dosing_started_at``.

The discharge hint combines the time the predicted plasma level falls below the clinic's level with the charted
recovery (core.administration.rems_form.evaluation_suggestion): a prediction to check, never a gate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketamine_clinic.core.administration import rems_form as core_rems
from ketamine_clinic.core.administration.states import SessionState
from ketamine_clinic.core.pharmacology import metrics, pump, schedule, solver
from ketamine_clinic.core.pharmacology import models as pk_models

from ..models import DosingSession, Intervention
from .flowsheet import baseline_reading, readings, vitals_of

# The IV infusion time when the order gives none: the antidepressant standard of 40 minutes (Berman et al. 2000,
# Biol Psychiatry 47:351; as core.pharmacology.schedule.iv_infusion).
DEFAULT_INFUSION_MIN = 40.0
# How far the discharge hint looks for the level to fall (the REMS suggestion looks as far).
HINT_HORIZON_MIN = 24 * 60.0
HINT_STATES = (SessionState.MONITORING, SessionState.READY_FOR_DISCHARGE)

_PUMP_ACTIONS = {
    Intervention.Kind.PAUSED: pump.PAUSE,
    Intervention.Kind.RESUMED: pump.RESUME,
    Intervention.Kind.RATE_REDUCED: pump.RATE,
    Intervention.Kind.STOPPED: pump.STOP,
}


@dataclass(frozen=True)
class GivenDose:
    """A session's dose as given: engine events in minutes from ``start`` and what they were read from."""

    route: str
    drug: str
    events: tuple
    start: dt.datetime
    weight_kg: float
    age_years: int | None
    projected: bool  # still dosing: the pump is assumed to run on at its charted rate until the bag is empty
    basis: tuple[str, ...] = field(default=())

    @property
    def total_mg(self) -> float:
        return float(schedule.total_mg(self.events))


def drug_of(session: DosingSession) -> str:
    return (session.dose_rule or {}).get("drug") or (
        "esketamine" if session.route == "intranasal" else "racemic ketamine"
    )


def model_key(route: str, drug: str, age: int | None) -> str:
    """The parameter set for this drug, route and age (as the patient curve chooses it)."""
    if route == "intranasal" and "esketamine" in drug:
        return "esketamine"
    if age is not None and age < 18:
        return "hornik"  # paediatric, allometric, valid 2.4-176 kg (Hornik et al. 2018)
    return "domino"


def _minutes(at: dt.datetime, start: dt.datetime) -> float:
    return (at - start).total_seconds() / 60.0


def _weight(session: DosingSession) -> float:
    weight = session.weight_kg if session.weight_kg is not None else session.patient.weight_kg
    if weight is None:
        raise ValidationError({"weight_kg": ["No weight is recorded for this session: record today's weight first."]})
    return float(weight)


def _pump_interventions(session: DosingSession) -> list[Intervention]:
    return [i for i in session.interventions.all() if i.kind in _PUMP_ACTIONS]


def _infusion_events(session: DosingSession) -> tuple[tuple, bool, list[str]]:
    """The infusion as the pump ran it: (events, projected, basis)."""
    dose = float(session.dose_mg)
    rule = session.dose_rule or {}
    planned_min = float(rule.get("infusion_duration_min") or DEFAULT_INFUSION_MIN)
    bag_ml = (session.dose_calculation or {}).get("bag_volume_ml")
    pump_ml_h = float(session.pump_rate_ml_per_h) if session.pump_rate_ml_per_h else None
    basis = []
    # The bag's strength: the confirmed dose over the final bag volume (as the delivered dose is read from the
    # pump's volume infused, core.administration.delivery); failing that, the planned rate the pump was set to.
    if bag_ml:
        mg_per_ml = dose / float(bag_ml)
    elif pump_ml_h:
        mg_per_ml = dose / planned_min * 60.0 / pump_ml_h
    else:
        mg_per_ml = None
    rate = pump_ml_h * mg_per_ml if pump_ml_h and mg_per_ml else dose / planned_min * 60.0
    basis.append(
        f"started at {pump_ml_h:g} mL/h" if pump_ml_h else f"started at the order's rate ({planned_min:g} min)"
    )
    start = session.dosing_started_at
    changes = []
    for i in _pump_interventions(session):
        action = _PUMP_ACTIONS[i.kind]
        new_rate = None
        if action == pump.RATE:
            if i.new_rate_ml_per_h is None or mg_per_ml is None:
                basis.append(f"rate change at {timezone.localtime(i.given_at):%H:%M} without a rate in mL/h: not drawn")
                continue
            new_rate = float(i.new_rate_ml_per_h) * mg_per_ml
            basis.append(f"{float(i.new_rate_ml_per_h):g} mL/h from {timezone.localtime(i.given_at):%H:%M}")
        else:
            basis.append(f"{i.get_kind_display().lower()} at {timezone.localtime(i.given_at):%H:%M}")
        changes.append(pump.Change(_minutes(i.given_at, start), action, new_rate))
    ended = session.dosing_ended_at
    end_min = _minutes(ended, start) if ended else None
    segments = pump.segments_from_changes(rate, changes, end_min=end_min, bag_mg=dose)
    delivered = float(session.delivered_mg) if session.delivered_mg is not None else None
    if delivered is not None:
        basis.append(f"{delivered:g} mg delivered" + (f" ({session.delivery_basis})" if session.delivery_basis else ""))
    return pump.from_pump_record(segments, delivered_mg=delivered), ended is None, basis


def given_events(session: DosingSession) -> GivenDose:
    """The session's dose as given, from the record; ValidationError (in the clinic's words) when the record
    cannot give one (no dose confirmed, dosing not started, no weight, nothing delivered)."""
    if session.dose_mg is None or session.dosing_started_at is None:
        raise ValidationError({"__all__": ["Dosing has not started: there is nothing given to predict from."]})
    weight = _weight(session)
    drug = drug_of(session)
    patient = session.patient
    age = patient.age if patient.date_of_birth else None
    try:
        if session.route == "iv":
            events, projected, basis = _infusion_events(session)
        else:
            given = float(session.given_mg)
            projected = False
            if session.route == "intranasal" and "esketamine" in drug:
                events = schedule.spravato_devices(given)
                basis = [f"{len(events)} device(s) 5 min apart from the first"]
            else:
                events = schedule.single_dose(session.route, given)
                basis = [f"{given:g} mg at the start"]
    except schedule.ScheduleError as exc:
        raise ValidationError({"__all__": [f"The charted dose cannot be drawn: {exc}."]}) from None
    return GivenDose(
        route=session.route, drug=drug, events=events, start=session.dosing_started_at, weight_kg=weight,
        age_years=age, projected=projected, basis=tuple(basis),
    )


def record_stamp(session: DosingSession) -> str:
    """Changes whenever what the curve or the hint is drawn from changes (a state change or edit bumps the
    version; a charted pump action, reading or dissociation score adds a row): put in the fragment's URL so the
    browser fetches it again."""
    return ".".join(
        str(n)
        for n in (
            session.version,
            len(_pump_interventions(session)),
            session.vitalsreadings.count(),
            session.dissociationscores.count(),
        )
    )


def hint_level_ng_per_ml(drug: str) -> float:
    """The clinic's level for the hint: the REMS setting for esketamine, the discharge-hint setting otherwise."""
    if "esketamine" in drug:
        return float(settings.REMS_PREDICTED_LEVEL_NG_PER_ML)
    return float(settings.DISCHARGE_HINT_LEVEL_NG_PER_ML)


@dataclass(frozen=True)
class DischargeHint:
    level_ng_per_ml: float
    predicted_below_at: dt.datetime | None
    vitals_since: dt.datetime | None
    dissociation_since: dt.datetime | None
    suggested_at: dt.datetime | None  # the latest of the three, rounded up to 5 min; None when one is unknown
    reasons: tuple[str, ...]


def predicted_below_min(given: GivenDose, level: float) -> float | None:
    """Minutes from the start until the predicted plasma level stays below ``level`` (None: not within 24 h)."""
    model = pk_models.get(model_key(given.route, given.drug, given.age_years))
    sol = solver.solve(solver.individualise(model, given.weight_kg, given.age_years), given.events)
    below = float(metrics.time_below(sol, level, HINT_HORIZON_MIN)[0])
    return None if below != below else below


def charted_readings(session: DosingSession) -> list[core_rems.Reading]:
    return [core_rems.Reading(r.taken_at, v) for r in readings(session) if (v := vitals_of(r)) is not None]


def charted_recovery(session: DosingSession, start: dt.datetime, predicted_below: float | None):
    """The latest of vitals back within range of baseline, dissociation resolved and the predicted level below
    the clinic's, from ``start`` (core.administration.rems_form.evaluation_suggestion): the discharge hint's and
    the REMS form's evaluation suggestion."""
    base = baseline_reading(session)
    return core_rems.evaluation_suggestion(
        first_device_at=start,
        baseline=vitals_of(base) if base else None,
        readings=charted_readings(session),
        dissociation=[(d.taken_at, d.total) for d in session.dissociationscores.all()],
        predicted_below_min=predicted_below,
    )


def discharge_hint(session: DosingSession, given: GivenDose | None = None) -> DischargeHint | None:
    """The hint while the patient is observed after the dose (None before, or when no dose can be drawn)."""
    if SessionState(session.state) not in HINT_STATES:
        return None
    try:
        given = given or given_events(session)
    except ValidationError:
        return None
    level = hint_level_ng_per_ml(given.drug)
    try:
        below = predicted_below_min(given, level)
    except pk_models.ModelError:
        below = None
    s = charted_recovery(session, given.start, below)

    def at(minutes):
        return None if minutes is None else given.start + dt.timedelta(minutes=minutes)

    return DischargeHint(
        level_ng_per_ml=level,
        predicted_below_at=at(below),
        vitals_since=at(s.vitals_recovered_min),
        dissociation_since=at(s.dissociation_resolved_min),
        suggested_at=at(s.minutes),
        reasons=s.reasons,
    )
