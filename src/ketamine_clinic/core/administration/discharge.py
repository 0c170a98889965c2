"""Discharge criteria after a dosing session: when the patient may go home with their escort.

Sources:
- Minimum observation after the end of dosing, per route: :data:`ketamine_clinic.core.protocols.routes.ROUTE_RULES`
  (esketamine at least 2 hours, SPRAVATO PI boxed warning; racemic routes clinic-defined). The same table feeds
  the template, consent text and portal instructions, so every surface reads one number.
- Vitals "back within 20% of baseline", "oriented and steady gait", "minimal nausea" and "a responsible adult
  to accompany the patient": the Post-Anesthetic Discharge Scoring System, Chung F, Chan VW, Ong D,
  J Clin Anesth 1995;7:500-506 (PMID 8534468).
- Escort / no driving until the next day: SPRAVATO PI section 5.8.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ketamine_clinic.core.protocols.routes import ROUTE_RULES

from .states import GateResult
from .vitals import DEFAULT_THRESHOLDS, Threshold, VitalSigns, vitals_alerts, within_pct_of_baseline

PADSS = "Chung et al., J Clin Anesth 1995;7:500 (PADSS), PMID 8534468"

MIN_OBSERVATION_MIN = {route: r.min_observation_min for route, r in ROUTE_RULES.items()}
OBSERVATION_SOURCES = {route: r.observation_source for route, r in ROUTE_RULES.items()}


@dataclass(frozen=True)
class DischargeRules:
    min_observation_min: dict = field(default_factory=lambda: dict(MIN_OBSERVATION_MIN))
    vitals_within_pct: float = 20  # PADSS (Chung et al. 1995): within 20% of pre-procedure value
    latest_vitals_max_age_min: float = 20  # clinic-defined: the reading judged must be recent
    thresholds: tuple[Threshold, ...] = DEFAULT_THRESHOLDS


@dataclass(frozen=True)
class DischargeInputs:
    route: str
    now: dt.datetime
    dosing_ended_at: dt.datetime | None
    baseline: VitalSigns | None
    latest: VitalSigns | None
    latest_at: dt.datetime | None
    alert_and_oriented: bool = False
    steady_gait: bool = False
    escort_present: bool = False
    nausea_controlled: bool = False


@dataclass(frozen=True)
class Criterion:
    code: str
    label: str
    met: bool
    detail: str
    source: str = ""


@dataclass(frozen=True)
class DischargeResult:
    criteria: tuple[Criterion, ...]
    earliest_discharge_at: dt.datetime | None

    @property
    def met(self) -> bool:
        return all(c.met for c in self.criteria)

    @property
    def unmet(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if not c.met)

    def gate(self) -> GateResult:
        return GateResult("Discharge criteria", tuple(f"{c.label}: {c.detail}" for c in self.unmet))

    def observation_gate(self) -> GateResult:
        """Only the route's minimum observation (for 'ready for discharge', before the checklist is done)."""
        return GateResult(
            "Minimum observation",
            tuple(f"{c.label}: {c.detail}" for c in self.unmet if c.code == "observation"),
        )


def evaluate_discharge(inputs: DischargeInputs, rules: DischargeRules | None = None) -> DischargeResult:
    rules = rules or DischargeRules()
    minimum = rules.min_observation_min.get(inputs.route)
    if minimum is None:
        raise ValueError(f"No minimum observation time configured for route {inputs.route!r}.")
    earliest = None if inputs.dosing_ended_at is None else inputs.dosing_ended_at + dt.timedelta(minutes=minimum)
    criteria = (
        _observation(inputs, minimum, earliest),
        _vitals(inputs, rules),
        _confirmed("oriented", "Alert and oriented", inputs.alert_and_oriented, PADSS),
        _confirmed("gait", "Ambulating steadily", inputs.steady_gait, PADSS),
        _confirmed("nausea", "Nausea/vomiting minimal", inputs.nausea_controlled, PADSS),
        _confirmed(
            "escort",
            "Escort present (no driving until next day)",
            inputs.escort_present,
            "SPRAVATO PI, section 5.8",
        ),
    )
    return DischargeResult(criteria, earliest)


def _observation(inputs: DischargeInputs, minimum: int, earliest: dt.datetime | None) -> Criterion:
    """The route's minimum observation after the end of dosing."""
    source = OBSERVATION_SOURCES.get(inputs.route, "clinic-defined")
    label = f"Observed at least {minimum} min"
    if inputs.dosing_ended_at is None:
        return Criterion("observation", label, False, "Dosing has not ended.", source)
    observed = (inputs.now - inputs.dosing_ended_at).total_seconds() / 60
    ok = inputs.now >= earliest
    detail = f"{observed:.0f} min since dosing ended" + ("" if ok else f"; not before {earliest:%H:%M}")
    return Criterion("observation", label, ok, detail, source)


def _vitals(inputs: DischargeInputs, rules: DischargeRules) -> Criterion:
    """A recent reading within the PADSS margin of baseline, with no vital-sign alert."""
    label = f"Vitals within {rules.vitals_within_pct:g}% of baseline, no alerts"
    if inputs.baseline is None or inputs.latest is None or inputs.latest_at is None:
        return Criterion("vitals", label, False, "Baseline and a recent reading are both needed.", PADSS)
    age = (inputs.now - inputs.latest_at).total_seconds() / 60
    compare = within_pct_of_baseline(inputs.latest, inputs.baseline, rules.vitals_within_pct)
    off = [f"{k.upper()} {cur:g} vs baseline {base:g}" for k, (ok, cur, base) in compare.items() if not ok]
    alerts = [a.message for a in vitals_alerts(inputs.latest, rules.thresholds)]
    problems = []
    if age > rules.latest_vitals_max_age_min:
        problems.append(f"latest reading is {age:.0f} min old; take a new set")
    if not compare:
        problems.append("latest reading lacks BP/heart rate to compare")
    problems += off + alerts
    return Criterion("vitals", label, not problems, "; ".join(problems) or "Within range of baseline.", PADSS)


def _confirmed(code: str, label: str, value: bool, source: str) -> Criterion:
    """A criterion the nurse confirms at the bedside."""
    return Criterion(code, label, value, _yn(value), source)


def _yn(value: bool) -> str:
    return "Confirmed." if value else "Not confirmed."
