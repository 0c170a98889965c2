"""Pre-dose checks: everything that must be true before a dose is given, and the blood-pressure gate.

Each check yields a :class:`Finding` with a level:

- ``ok``       the check is satisfied;
- ``caution``  proceed only after the prescriber has considered it (e.g. BP above 140/90);
- ``stop``     a hard stop: the dose is refused unless a prescriber overrides with a written reason;
- ``missing``  the check has not been done yet (also blocks the dose until done or overridden).

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
from dataclasses import dataclass, field
from typing import Literal

from .states import GateResult
from .vitals import VitalSigns

FindingLevel = Literal["ok", "caution", "stop", "missing"]

SPRAVATO_PI = "SPRAVATO prescribing information (Janssen 2019, rev. 2023)"


@dataclass(frozen=True)
class BloodPressureGate:
    """Pre-dose BP limits. Caution strictly above ``caution_*``; hard stop at or above ``stop_*``."""

    caution_sbp: float = 140  # SPRAVATO PI 2.1: ">140 mmHg systolic" -> consider risks
    caution_dbp: float = 90  # SPRAVATO PI 2.1: ">90 mmHg diastolic"
    stop_sbp: float = 180  # clinic-defined; ESC/ESH 2018 grade 3 (Williams et al., Eur Heart J 2018)
    stop_dbp: float = 110  # clinic-defined; ESC/ESH 2018 grade 3
    caution_source: str = f"{SPRAVATO_PI}, section 2.1"
    stop_source: str = "clinic-defined hard stop at ESC/ESH 2018 grade 3 (Williams et al., Eur Heart J 2018)"

    def __post_init__(self):
        if not (0 < self.caution_sbp < self.stop_sbp and 0 < self.caution_dbp < self.stop_dbp):
            raise ValueError("BP caution limits must be positive and below the hard-stop limits.")


@dataclass(frozen=True)
class PreDoseRules:
    bp_gate: BloodPressureGate = field(default_factory=BloodPressureGate)
    required_measures: tuple[str, ...] = ("phq9", "cssrs")  # clinic protocol
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
    measures_done: frozenset[str] = frozenset()
    suicide_risk_flagged: bool = False
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
    def may_proceed(self) -> bool:
        """True when nothing blocks the dose (cautions still need the prescriber's attention)."""
        return not self.hard_stops and not self.missing

    def gate(self) -> GateResult:
        return GateResult("Pre-dose checks", tuple(f.message for f in self.hard_stops + self.missing))


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
    out: list[Finding] = []

    # Weight: needed for mg/kg doses; must be today's (or within the configured age).
    if checks.weight_based_dose:
        if checks.weight_kg is None or checks.weight_measured_on is None:
            out.append(Finding("weight", "missing", "Record today's weight (the dose is weight-based)."))
        elif (checks.session_date - checks.weight_measured_on).days > rules.weight_max_age_days:
            out.append(
                Finding(
                    "weight",
                    "missing",
                    f"Weight was measured on {checks.weight_measured_on:%Y-%m-%d}; weigh the patient today.",
                )
            )
        else:
            out.append(Finding("weight", "ok", f"Weight {checks.weight_kg:g} kg measured today."))
    else:
        out.append(Finding("weight", "ok", "Fixed dose: weight not needed for the dose."))

    # Baseline vitals: BP, HR, SpO2 and RR all needed.
    base = checks.baseline
    needed = ("sbp", "dbp", "hr", "spo2", "rr")
    if base is None or any(v not in base.values() for v in needed):
        out.append(
            Finding(
                "baseline_vitals", "missing", "Record baseline vitals (BP, heart rate, SpO2, resp. rate)."
            )
        )
    else:
        out.append(Finding("baseline_vitals", "ok", "Baseline vitals recorded."))
        out.append(classify_bp(base.sbp, base.dbp, rules.bp_gate))

    def yes_no(code: str, value: bool | None, ok: str, no: str, todo: str, source: str = ""):
        if value is None:
            out.append(Finding(code, "missing", todo, source))
        elif value:
            out.append(Finding(code, "ok", ok, source))
        else:
            out.append(Finding(code, "stop", no, source))

    yes_no(
        "fasting",
        checks.fasting_confirmed,
        "Fasting confirmed (no food 2 h, no liquids 30 min).",
        "Patient has not fasted (no food 2 h, no liquids 30 min before dosing).",
        "Confirm fasting (no food 2 h, no liquids 30 min).",
        f"{SPRAVATO_PI}, section 2 (applied clinic-wide)",
    )
    yes_no(
        "escort",
        checks.escort_confirmed,
        "Escort / ride home confirmed.",
        "No escort or ride home: the patient must not drive until the next day.",
        "Confirm an escort or ride home.",
        f"{SPRAVATO_PI}, section 5.8",
    )

    if checks.pregnancy_test_applicable:
        if checks.pregnancy_test is None:
            out.append(
                Finding("pregnancy", "missing", "Record the pregnancy test result.", f"{SPRAVATO_PI}, 8.1")
            )
        elif checks.pregnancy_test == "negative":
            out.append(Finding("pregnancy", "ok", "Pregnancy test negative.", f"{SPRAVATO_PI}, 8.1"))
        elif checks.pregnancy_test == "positive":
            out.append(Finding("pregnancy", "stop", "Pregnancy test positive.", f"{SPRAVATO_PI}, 8.1"))
        else:
            out.append(
                Finding(
                    "pregnancy",
                    "caution",
                    "Pregnancy test declined: prescriber to review.",
                    f"{SPRAVATO_PI}, 8.1",
                )
            )

    not_done = [m for m in rules.required_measures if m not in checks.measures_done]
    if not_done:
        out.append(Finding("measures", "missing", "Pre-dose measures not done: " + ", ".join(not_done) + "."))
    else:
        out.append(Finding("measures", "ok", "Pre-dose measures done."))
    if checks.suicide_risk_flagged:
        out.append(
            Finding(
                "suicide_risk",
                "stop",
                "Today's measures flag suicide risk: prescriber must assess before dosing.",
                "clinic protocol (C-SSRS screener, Posner et al. Am J Psychiatry 2011)",
            )
        )

    yes_no(
        "consent",
        checks.consent_current,
        "Consent current.",
        checks.consent_problem or "Consent is not current for this route.",
        "Consent status unknown.",
    )
    yes_no(
        "eligibility",
        checks.eligibility_current,
        "Eligibility current.",
        checks.eligibility_problem or "Eligibility decision is not current.",
        "Eligibility status unknown.",
    )
    return PreDoseResult(tuple(out))
