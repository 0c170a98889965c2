"""Vital signs during a dosing session: plausibility checks, alert thresholds and the due-time schedule.

Units: blood pressure in mmHg, heart rate and respiratory rate per minute, SpO2 in percent. Times are
timezone-aware or naive ``datetime`` objects as the caller passes them (never read from the clock here).

Sources for the numbers (each threshold also carries its own ``source`` field, shown beside the alert):

- SPRAVATO (esketamine) nasal spray prescribing information, Janssen, 2019 (rev. 2023), sections 2 and 5:
  assess blood pressure before dosing and about 40 minutes after, then as clinically warranted; monitor
  respiratory status with pulse oximetry at each session; observe at least 2 hours.
- Williams B, Mancia G, et al. 2018 ESC/ESH Guidelines for the management of arterial hypertension.
  Eur Heart J 2018;39:3021-3104, doi:10.1093/eurheartj/ehy339: grade 3 hypertension is SBP >= 180 and/or
  DBP >= 110 mmHg. The clinic uses this grade as its intra-session alert and pre-dose hard stop.
- Riva-Posse P, Reiff CM, Edwards JA, ... McDonald WM. Blood pressure safety of subanesthetic ketamine for
  depression: a report on 684 infusions. J Affect Disord 2018 (PMID 29525051, doi 10.1016/j.jad.2018.02.025):
  BP measured every 10 min during 0.5 mg/kg / 40 min infusions and every 15 min afterwards.
- Sanacora G, Frye MA, McDonald W, et al. A consensus statement on the use of ketamine in the treatment of
  mood disorders. JAMA Psychiatry 2017;74(4):399-405 (PMID 28249076): recommends monitoring BP, heart rate
  and oxygenation during and after treatment; it leaves the exact action thresholds to the treating site.
- Heart-rate, SpO2 and respiratory-rate limits are clinic-defined (the issue's protocol values), marked so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Literal

from ketamine_clinic.core.protocols.routes import ROUTE_RULES

VITAL_NAMES = {
    "sbp": "Systolic BP",
    "dbp": "Diastolic BP",
    "hr": "Heart rate",
    "spo2": "SpO2",
    "rr": "Respiratory rate",
}
VITAL_UNITS = {"sbp": "mmHg", "dbp": "mmHg", "hr": "/min", "spo2": "%", "rr": "/min"}

# Data-entry plausibility limits (clinic-defined): values outside are almost certainly typing errors, so the
# form refuses them instead of charting them. They are deliberately wider than any alert threshold.
PLAUSIBLE_RANGES = {
    "sbp": (50, 280),
    "dbp": (20, 180),
    "hr": (20, 250),
    "spo2": (50, 100),
    "rr": (2, 60),
}


@dataclass(frozen=True)
class VitalSigns:
    """One set of vital signs; any value may be missing (``None``) when it was not measured."""

    sbp: float | None = None
    dbp: float | None = None
    hr: float | None = None
    spo2: float | None = None
    rr: float | None = None

    def values(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    @property
    def bp_text(self) -> str:
        if self.sbp is None or self.dbp is None:
            return "-"
        return f"{self.sbp:g}/{self.dbp:g}"


class ImplausibleVitals(ValueError):
    """Raised with ``errors`` (field -> message) when a reading cannot be right."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{VITAL_NAMES.get(k, k)}: {v}" for k, v in errors.items()))


def validate_vitals(vitals: VitalSigns, *, require_any: bool = True) -> VitalSigns:
    """Return ``vitals`` unchanged, or raise :class:`ImplausibleVitals` naming each bad field."""
    errors: dict[str, str] = {}
    for name, value in vitals.values().items():
        low, high = PLAUSIBLE_RANGES[name]
        if not (low <= value <= high):
            errors[name] = f"{value:g} {VITAL_UNITS[name]} is outside the plausible range {low}-{high}."
    if (vitals.sbp is None) != (vitals.dbp is None):
        errors["dbp" if vitals.dbp is None else "sbp"] = "Enter both systolic and diastolic pressure."
    elif vitals.sbp is not None and vitals.dbp is not None and vitals.dbp >= vitals.sbp:
        errors["dbp"] = "Diastolic pressure must be lower than systolic."
    if require_any and not vitals.values():
        errors["sbp"] = "Enter at least one vital sign."
    if errors:
        raise ImplausibleVitals(errors)
    return vitals


Level = Literal["alert", "warning"]


@dataclass(frozen=True)
class Threshold:
    """``vital`` ``comparator`` ``value`` raises an alert, e.g. ``Threshold("sbp", ">", 180, ...)``."""

    vital: str
    comparator: Literal[">", "<", ">=", "<="]
    value: float
    source: str
    level: Level = "alert"

    def crossed_by(self, measured: float) -> bool:
        return {
            ">": measured > self.value,
            "<": measured < self.value,
            ">=": measured >= self.value,
            "<=": measured <= self.value,
        }[self.comparator]

    def describe(self) -> str:
        return f"{VITAL_NAMES[self.vital]} {self.comparator} {self.value:g} {VITAL_UNITS[self.vital]}"


ESC_ESH_2018 = (
    "Williams et al., 2018 ESC/ESH hypertension guidelines, Eur Heart J 2018;39:3021 (grade 3: >=180/110)"
)
CLINIC = "clinic-defined (protocol value; review locally)"

DEFAULT_THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("sbp", ">", 180, f"clinic alert at {ESC_ESH_2018}"),
    Threshold("dbp", ">", 110, f"clinic alert at {ESC_ESH_2018}"),
    Threshold("sbp", "<", 90, CLINIC),
    Threshold("hr", ">", 110, CLINIC),
    Threshold("hr", "<", 50, CLINIC),
    Threshold("spo2", "<", 92, f"{CLINIC}; pulse oximetry monitoring per SPRAVATO PI 2023"),
    Threshold("rr", "<", 10, CLINIC),
    Threshold("rr", ">", 24, CLINIC),
)


@dataclass(frozen=True)
class VitalsAlert:
    vital: str
    measured: float
    threshold: Threshold

    @property
    def message(self) -> str:
        return (
            f"{VITAL_NAMES[self.vital]} {self.measured:g} {VITAL_UNITS[self.vital]} "
            f"(alert: {self.threshold.comparator} {self.threshold.value:g})"
        )


def vitals_alerts(
    vitals: VitalSigns, thresholds: tuple[Threshold, ...] = DEFAULT_THRESHOLDS
) -> list[VitalsAlert]:
    """Every threshold the reading crosses, in threshold order (empty list when all is within limits)."""
    measured = vitals.values()
    return [
        VitalsAlert(t.vital, measured[t.vital], t)
        for t in thresholds
        if t.vital in measured and t.crossed_by(measured[t.vital])
    ]


def within_pct_of_baseline(
    current: VitalSigns, baseline: VitalSigns, pct: float, names=("sbp", "dbp", "hr")
) -> dict:
    """For each vital measured in both, whether ``current`` is within ``pct`` percent of ``baseline``.

    Returns ``{name: (ok, current, baseline)}``. The PADSS uses 20% (Chung F, Chan VW, Ong D. J Clin Anesth
    1995;7:500-506, PMID 8534468).
    """
    out = {}
    cur, base = current.values(), baseline.values()
    for name in names:
        if name in cur and name in base:
            ok = abs(cur[name] - base[name]) <= base[name] * pct / 100.0
            out[name] = (ok, cur[name], base[name])
    return out


# ---------------------------------------------------------------------------------------------------------
# When the next set of vitals is due


@dataclass(frozen=True)
class VitalsSchedule:
    """How often vitals are taken: every ``during_min`` while the dose is running, every ``after_min``
    afterwards, plus fixed checkpoints (minutes after the dose started) that must each get a reading."""

    during_min: int
    after_min: int
    source: str
    checkpoints_min: tuple[int, ...] = field(default_factory=tuple)

    def __post_init__(self):
        if self.during_min <= 0 or self.after_min <= 0:
            raise ValueError("Vitals intervals must be positive minutes.")


# One cadence per route, from the route table (its sources are cited there and carried on each schedule).
VITALS_SCHEDULES: dict[str, VitalsSchedule] = {
    route: VitalsSchedule(r.vitals.during_min, r.vitals.after_min, r.vitals.source, r.vitals.checkpoints_min)
    for route, r in ROUTE_RULES.items()
}


def next_vitals_due(
    schedule: VitalsSchedule,
    *,
    dosing_started_at: dt.datetime | None,
    dosing_ended_at: dt.datetime | None,
    reading_times: list[dt.datetime],
) -> dt.datetime | None:
    """When the next reading is due, or ``None`` before dosing has started (baseline is a pre-dose check).

    The next routine reading falls one interval after the latest reading taken since the dose started (or after
    the start itself); the interval is ``during_min`` while the dose runs and ``after_min`` once it has ended.
    A protocol checkpoint not yet covered by a reading at or after it comes first if it is earlier.
    """
    if dosing_started_at is None:
        return None
    since = [t for t in reading_times if t >= dosing_started_at]
    anchor = max(since) if since else dosing_started_at
    running = dosing_ended_at is None
    interval = schedule.during_min if running else schedule.after_min
    due = anchor + dt.timedelta(minutes=interval)
    for minutes in schedule.checkpoints_min:
        checkpoint = dosing_started_at + dt.timedelta(minutes=minutes)
        covered = any(t >= checkpoint for t in since)
        if not covered and checkpoint < due:
            due = checkpoint
    return due


def is_overdue(due: dt.datetime | None, now: dt.datetime, grace_min: float = 2) -> bool:
    """True when ``now`` is past ``due`` by more than ``grace_min`` minutes (clinic-defined grace)."""
    return due is not None and now > due + dt.timedelta(minutes=grace_min)
