"""Pre-dose checks: everything that must be true before a dose is given, and the blood-pressure gate.

Each check yields a :class:`Finding` with a level:

- ``ok``       the check is satisfied;
- ``caution``  proceed only after the prescriber has considered it (e.g. BP above 140/90);
- ``stop``     a hard stop: the dose is refused unless a prescriber overrides with a written reason;
- ``missing``  the check has not been done yet (also blocks the dose until done or overridden).
- ``hold``     blocks the dose and cannot be overridden at the gate: only the named action clears it (a
               prescriber's disposition on an urgent suicide-risk task).

Sources:
- BP caution above 140/90 mmHg: SPRAVATO (esketamine) prescribing information, Janssen 2019 (rev. 2023),
  section 2.1/5.6 ("assess blood pressure prior to dosing; if baseline blood pressure is elevated (e.g.,
  >140 mmHg systolic, >90 mmHg diastolic), consider the risks of short-term increases in blood pressure").
- BP hard stop at >= 180/110 mmHg: clinic-defined and configurable; it is the 2018 ESC/ESH grade 3
  hypertension threshold (Williams et al., Eur Heart J 2018;39:3021-3104). Sanacora et al., JAMA Psychiatry
  2017;74:399-405 recommend BP assessment before treatment but give no single cut-off.
- Fasting: SPRAVATO PI section 2 advises no food for at least 2 hours and no liquids for 30 minutes before
  dosing (nausea and vomiting); the clinic applies the same instruction to the other routes (clinic-defined).
- Escort: SPRAVATO PI section 5.8 / 17: patients must not drive until the next day after restful sleep and
  need someone to take them home.
- Pregnancy: SPRAVATO PI section 8.1 (not recommended in pregnancy); testing "where applicable" is a
  clinic-defined rule (female patients of reproductive age, configurable).
- Pre-dose measures PHQ-9 and C-SSRS: clinic protocol (Kroenke et al. 2001; Posner et al. 2011).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from ketamine_clinic.core.protocols.routes import BloodPressureLimits, rules_for

from .states import GateResult
from .vitals import VitalSigns

FindingLevel = Literal["ok", "caution", "stop", "missing", "hold"]

MEASURE_LABELS = {"phq9": "PHQ-9", "cssrs": "C-SSRS screener"}

SPRAVATO_PI = "SPRAVATO prescribing information (Janssen 2019, rev. 2023)"


# The BP limits live in the route table (one source for gate, template and discharge); the name stays for callers.
BloodPressureGate = BloodPressureLimits


@dataclass(frozen=True)
class PreDoseRules:
    bp_gate: BloodPressureLimits | None = None  # None: the route's limits from the route table
    required_measures: tuple[str, ...] = ("phq9", "cssrs")  # clinic protocol
    # A measure counts only as a scored administration taken within this many hours before the dose, or linked
    # to the session (clinic-defined: the evening before or at check-in). No attestation box stands in for it.
    measures_window_hours: int = 24
    # Today's weight is needed for weight-based doses; "today" means measured on the session date.
    weight_max_age_days: int = 0  # clinic-defined
    # Pregnancy test applies to female patients within this age range (clinic-defined).
    pregnancy_test_ages: tuple[int, int] = (12, 55)


@dataclass(frozen=True)
class PreDoseChecks:
    """What the nurse has recorded before dosing. ``None`` means "not recorded yet"."""

    session_date: dt.date
    weight_based_dose: bool
    weight_kg: float | None = None
    weight_measured_on: dt.date | None = None
    baseline: VitalSigns | None = None
    fasting_confirmed: bool | None = None
    escort_confirmed: bool | None = None
    pregnancy_test_applicable: bool = False
    pregnancy_test: Literal["negative", "positive", "declined"] | None = None
    measures_done: frozenset[str] = frozenset()  # instruments with a scored administration in the window
    suicide_risk_flagged: bool = False  # a measure in the window flags suicide risk and opened no urgent task
    open_suicide_tasks: tuple[str, ...] = ()  # open urgent suicide-risk tasks (any day), described for the nurse
    suicide_items_noted: tuple[str, ...] = ()  # suicide items answered below their escalation level
    route: str | None = None  # the route's fasting rule is checked; None: a generic prompt (pure-core callers)
    consent_current: bool | None = None
    eligibility_current: bool | None = None
    consent_problem: str = ""  # why consent is not current, in the assessment record's words
    eligibility_problem: str = ""


@dataclass(frozen=True)
class Finding:
    code: str
    level: FindingLevel
    message: str
    source: str = ""


@dataclass(frozen=True)
class PreDoseResult:
    findings: tuple[Finding, ...]

    def by_level(self, level: FindingLevel) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == level)

    @property
    def hard_stops(self) -> tuple[Finding, ...]:
        return self.by_level("stop")

    @property
    def cautions(self) -> tuple[Finding, ...]:
        return self.by_level("caution")

    @property
    def missing(self) -> tuple[Finding, ...]:
        return self.by_level("missing")

    @property
    def holds(self) -> tuple[Finding, ...]:
        return self.by_level("hold")

    @property
    def may_proceed(self) -> bool:
        """True when nothing blocks the dose (cautions still need the prescriber's attention)."""
        return not self.hard_stops and not self.missing and not self.holds

    def gate(self) -> GateResult:
        return GateResult(
            "Pre-dose checks",
            tuple(f.message for f in self.holds + self.hard_stops + self.missing),
            not_overridable=tuple(f.message for f in self.holds),
        )


def pregnancy_test_applicable(sex: str, age_years: int, rules: PreDoseRules | None = None) -> bool:
    """Clinic-defined: female patients aged within ``rules.pregnancy_test_ages`` (inclusive)."""
    low, high = (rules or PreDoseRules()).pregnancy_test_ages
    return sex.upper().startswith("F") and low <= age_years <= high


def classify_bp(sbp: float, dbp: float, gate: BloodPressureGate) -> Finding:
    """Apply the BP gate to one baseline pressure."""
    text = f"{sbp:g}/{dbp:g} mmHg"
    if sbp >= gate.stop_sbp or dbp >= gate.stop_dbp:
        return Finding(
            "bp",
            "stop",
            f"Baseline BP {text} is at or above the hard stop {gate.stop_sbp:g}/{gate.stop_dbp:g}; re-check after rest.",
            gate.stop_source,
        )
    if sbp > gate.caution_sbp or dbp > gate.caution_dbp:
        return Finding(
            "bp",
            "caution",
            f"Baseline BP {text} is above {gate.caution_sbp:g}/{gate.caution_dbp:g}: weigh the risk of a "
            "short-term rise before dosing.",
            gate.caution_source,
        )
    return Finding("bp", "ok", f"Baseline BP {text}.", gate.caution_source)


def evaluate_pre_dose(checks: PreDoseChecks, rules: PreDoseRules | None = None) -> PreDoseResult:
    """Run every pre-dose check and return the findings in a fixed order (for a stable checklist)."""
    rules = rules or PreDoseRules()
    return PreDoseResult(
        (
            _weight(checks, rules),
            *_baseline_vitals(checks, rules),
            _fasting(checks),
            _escort(checks),
            *_pregnancy(checks),
            _measures(checks, rules),
            *_suicide_risk(checks),
            _consent(checks),
            _eligibility(checks),
        )
    )


def _confirmed(code: str, value: bool | None, ok: str, no: str, todo: str, source: str = "") -> Finding:
    """A yes/no check: not recorded yet is missing, yes is ok, no is a hard stop."""
    if value is None:
        return Finding(code, "missing", todo, source)
    if value:
        return Finding(code, "ok", ok, source)
    return Finding(code, "stop", no, source)


def _weight(checks: PreDoseChecks, rules: PreDoseRules) -> Finding:
    # Weight: needed for mg/kg doses; must be today's (or within the configured age).
    if not checks.weight_based_dose:
        return Finding("weight", "ok", "Fixed dose: weight not needed for the dose.")
    if checks.weight_kg is None or checks.weight_measured_on is None:
        return Finding("weight", "missing", "Record today's weight (the dose is weight-based).")
    if (checks.session_date - checks.weight_measured_on).days > rules.weight_max_age_days:
        return Finding(
            "weight",
            "missing",
            f"Weight was measured on {checks.weight_measured_on:%Y-%m-%d}; weigh the patient today.",
        )
    return Finding("weight", "ok", f"Weight {checks.weight_kg:g} kg measured today.")


def _baseline_vitals(checks: PreDoseChecks, rules: PreDoseRules) -> tuple[Finding, ...]:
    # Baseline vitals: BP, HR, SpO2 and RR all needed.
    base = checks.baseline
    needed = ("sbp", "dbp", "hr", "spo2", "rr")
    if base is None or any(v not in base.values() for v in needed):
        return (
            Finding(
                "baseline_vitals", "missing", "Record baseline vitals (BP, heart rate, SpO2, resp. rate)."
            ),
        )
    recorded = Finding("baseline_vitals", "ok", "Baseline vitals recorded.")
    gate = rules.bp_gate or (rules_for(checks.route).bp if checks.route else BloodPressureLimits())
    return (recorded, classify_bp(base.sbp, base.dbp, gate))


def _fasting(checks: PreDoseChecks) -> Finding:
    if checks.route is not None:
        fasting = rules_for(checks.route).fasting
        fast_ok, fast_source = f"Fasting confirmed ({fasting.short}).", fasting.source
        fast_no = f"Patient has not fasted ({fasting.short} before dosing)."
        fast_todo = f"Confirm fasting ({fasting.short})."
    else:
        fast_ok, fast_no, fast_todo, fast_source = (
            "Fasting confirmed.", "Patient has not fasted.", "Confirm fasting.", ""
        )
    return _confirmed("fasting", checks.fasting_confirmed, fast_ok, fast_no, fast_todo, fast_source)


def _escort(checks: PreDoseChecks) -> Finding:
    return _confirmed(
        "escort",
        checks.escort_confirmed,
        "Escort / ride home confirmed.",
        "No escort or ride home: the patient must not drive until the next day.",
        "Confirm an escort or ride home.",
        f"{SPRAVATO_PI}, section 5.8",
    )


def _pregnancy(checks: PreDoseChecks) -> tuple[Finding, ...]:
    if not checks.pregnancy_test_applicable:
        return ()
    if checks.pregnancy_test is None:
        return (Finding("pregnancy", "missing", "Record the pregnancy test result.", f"{SPRAVATO_PI}, 8.1"),)
    if checks.pregnancy_test == "negative":
        return (Finding("pregnancy", "ok", "Pregnancy test negative.", f"{SPRAVATO_PI}, 8.1"),)
    if checks.pregnancy_test == "positive":
        return (Finding("pregnancy", "stop", "Pregnancy test positive.", f"{SPRAVATO_PI}, 8.1"),)
    return (
        Finding(
            "pregnancy",
            "caution",
            "Pregnancy test declined: prescriber to review.",
            f"{SPRAVATO_PI}, 8.1",
        ),
    )


def _measures(checks: PreDoseChecks, rules: PreDoseRules) -> Finding:
    not_done = [MEASURE_LABELS.get(m, m) for m in rules.required_measures if m not in checks.measures_done]
    if not not_done:
        return Finding("measures", "ok", "Pre-dose measures taken and scored.")
    return Finding(
        "measures",
        "missing",
        f"Pre-dose measures not taken: {', '.join(not_done)} (a scored questionnaire within "
        f"{rules.measures_window_hours} h before the dose).",
        "clinic protocol (Kroenke et al. 2001; Posner et al. 2011)",
    )


def _suicide_risk(checks: PreDoseChecks) -> list[Finding]:
    """Open urgent tasks (holds), then items noted below escalation (caution), then an unescalated flag (stop)."""
    suicide_source = "clinic protocol (C-SSRS screener, Posner et al. Am J Psychiatry 2011)"
    out = [
        Finding(
            "suicide_risk",
            "hold",
            f"Open urgent suicide-risk task ({task}): the prescriber must record a disposition before dosing.",
            suicide_source,
        )
        for task in checks.open_suicide_tasks
    ]
    if checks.suicide_items_noted:
        out.append(
            Finding(
                "suicide_items",
                "caution",
                "Suicide item answered below the escalation level ("
                + "; ".join(checks.suicide_items_noted)
                + "): the prescriber reviews it before dosing.",
                suicide_source,
            )
        )
    if checks.suicide_risk_flagged and not checks.open_suicide_tasks:
        # A flag below the escalation threshold opens no task: the prescriber's written override is the disposition.
        out.append(
            Finding(
                "suicide_risk",
                "stop",
                "Today's measures flag suicide risk: the prescriber must assess before dosing and record the "
                "disposition as the override reason.",
                suicide_source,
            )
        )
    return out


def _consent(checks: PreDoseChecks) -> Finding:
    return _confirmed(
        "consent",
        checks.consent_current,
        "Consent current.",
        checks.consent_problem or "Consent is not current for this route.",
        "Consent status unknown.",
    )


def _eligibility(checks: PreDoseChecks) -> Finding:
    return _confirmed(
        "eligibility",
        checks.eligibility_current,
        "Eligibility current.",
        checks.eligibility_problem or "Eligibility decision is not current.",
        "Eligibility status unknown.",
    )
