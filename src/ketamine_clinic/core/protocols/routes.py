"""The rules that depend on the route and product, in one table: the single source every surface reads.

The pre-dose gate, the discharge check, the protocol templates, the consent text, the patient's instructions in
the portal, appointment reminders and the maintenance-interval suggestion all read their numbers here, so a
patient, a nurse and a consent form never read different rules. Each number carries its source; numbers the
clinic chose (there is no label for racemic ketamine in depression) are marked clinic-defined, for the medical
director to review.

Sources:
- SPRAVATO (esketamine) nasal spray, US Prescribing Information, Janssen 2019 (rev. 2023):
  section 2.1 (avoid food for at least 2 hours and liquids for at least 30 minutes before administration;
  assess blood pressure before dosing and about 40 minutes after), boxed warning and 2.1/5.1 (observe at least
  2 hours after administration until the patient is safe to leave), 2.2 (56 or 84 mg; maintenance from week 9
  every week or every 2 weeks), 16 (one device delivers 28 mg).
- BP caution above 140/90 mmHg: SPRAVATO PI 2.1 / 5.6. Hard stop at 180/110 mmHg: clinic-defined at the
  2018 ESC/ESH grade 3 threshold (Williams et al., Eur Heart J 2018;39:3021-3104).
- IV vitals every 10 min during and 15 min after the infusion: Riva-Posse et al., J Affect Disord 2018
  (PMID 29525051), 684 infusions of 0.5 mg/kg over 40 min.
"""

from __future__ import annotations

from dataclasses import dataclass

SPRAVATO_PI = "SPRAVATO (esketamine) nasal spray US Prescribing Information, Janssen 2019 (rev. 2023)"
RIVA_POSSE_2018 = "Riva-Posse et al., J Affect Disord 2018, PMID 29525051 (q10 min during, q15 min after)"
ESC_ESH_2018 = "Williams et al., 2018 ESC/ESH hypertension guidelines, Eur Heart J 2018;39:3021 (grade 3)"
CLINIC = "clinic-defined"


@dataclass(frozen=True)
class Fasting:
    """No food for ``food_hours`` and no liquids for ``liquids_min`` minutes before the dose."""

    food_hours: float
    liquids_min: int
    source: str
    liquids_word: str = "liquids"  # "clear fluids" where the clinic allows water until shortly before

    @property
    def short(self) -> str:
        """e.g. "no food 2 h, no liquids 30 min" (the nurse's checklist)."""
        return f"no food {self.food_hours:g} h, no {self.liquids_word} {duration_text(self.liquids_min, short=True)}"

    @property
    def patient_text(self) -> str:
        """e.g. "Do not eat for at least 2 hours ..." (the patient's instructions and reminders)."""
        return (
            f"Do not eat for at least {hours_text(self.food_hours)} before your treatment, and do not drink "
            f"{self.liquids_word} for at least {duration_text(self.liquids_min)} before it."
        )


@dataclass(frozen=True)
class BloodPressureLimits:
    """Pre-dose BP: caution strictly above ``caution``; hard stop at or above ``stop`` (mmHg, systolic/diastolic)."""

    caution_sbp: float = 140  # SPRAVATO PI 2.1: ">140 mmHg systolic" -> consider risks
    caution_dbp: float = 90  # SPRAVATO PI 2.1: ">90 mmHg diastolic"
    stop_sbp: float = 180  # clinic-defined at ESC/ESH 2018 grade 3
    stop_dbp: float = 110  # clinic-defined at ESC/ESH 2018 grade 3
    caution_source: str = f"{SPRAVATO_PI}, section 2.1"
    stop_source: str = f"clinic-defined hard stop at {ESC_ESH_2018}"

    def __post_init__(self):
        if not (0 < self.caution_sbp < self.stop_sbp and 0 < self.caution_dbp < self.stop_dbp):
            raise ValueError("BP caution limits must be positive and below the hard-stop limits.")


@dataclass(frozen=True)
class VitalsCadence:
    """Vitals every ``during_min`` while the dose runs, every ``after_min`` afterwards, plus fixed
    checkpoints (minutes after the dose started) that must each get a reading."""

    during_min: int
    after_min: int
    source: str
    checkpoints_min: tuple[int, ...] = ()


@dataclass(frozen=True)
class RouteRules:
    route: str
    product: str
    min_observation_min: int  # after the end of dosing, before ready-for-discharge and discharge
    observation_source: str
    fasting: Fasting
    vitals: VitalsCadence
    bp: BloodPressureLimits
    dose_kind: str  # "mg_per_kg" or "fixed_mg": how the plan's dose rule must be written for this route
    dose_source: str
    device_mg: float | None = None  # whole single-use devices (esketamine: 28 mg)
    allowed_doses_mg: tuple[float, ...] = ()  # empty: any dose within the plan's limits
    maintenance_intervals_days: tuple[int, ...] = ()  # empty: the clinic tunes the interval to response
    maintenance_source: str = CLINIC

    @property
    def observation_text(self) -> str:
        """e.g. "at least 2 hours" (consent, portal, reminders and the discharge check say the same)."""
        return f"at least {duration_text(self.min_observation_min)}"


BP_LIMITS = BloodPressureLimits()

# The esketamine nasal spray device: 28 mg in two sprays, one device after another with 5 minutes between them
# (56 mg = 2 devices, 84 mg = 3). SPRAVATO PI section 2 (2.3 administration instructions) and section 16.
ESKETAMINE_MG_PER_DEVICE = 28
ESKETAMINE_MINUTES_BETWEEN_DEVICES = 5

# Racemic ketamine has no patient label for depression: fasting is clinic policy (nausea and vomiting are
# common), stricter than the esketamine label because IV/IM doses reach higher peak levels.
RACEMIC_FASTING = Fasting(
    food_hours=4, liquids_min=120, source=CLINIC, liquids_word="clear fluids"
)
ESKETAMINE_FASTING = Fasting(food_hours=2, liquids_min=30, source=f"{SPRAVATO_PI}, section 2.1")

ROUTE_RULES: dict[str, RouteRules] = {
    "intranasal": RouteRules(
        route="intranasal",
        product="esketamine nasal spray",
        min_observation_min=120,  # SPRAVATO PI boxed warning / 2.1: at least 2 hours after administration
        observation_source=f"{SPRAVATO_PI}, boxed warning and section 2.1",
        fasting=ESKETAMINE_FASTING,
        vitals=VitalsCadence(
            10, 15, f"{SPRAVATO_PI} (BP pre-dose and ~40 min post-dose); intervals {CLINIC}", checkpoints_min=(40,)
        ),
        bp=BP_LIMITS,
        dose_kind="fixed_mg",
        dose_source=f"{SPRAVATO_PI}, sections 2.2 and 16",
        device_mg=28,  # SPRAVATO PI 16: one device delivers 28 mg
        allowed_doses_mg=(56, 84),  # SPRAVATO PI 2.2: 56 mg or 84 mg
        maintenance_intervals_days=(7, 14),  # SPRAVATO PI 2.2: week 9 on, every week or every 2 weeks
        maintenance_source=f"{SPRAVATO_PI}, section 2.2 (maintenance: every week or every 2 weeks)",
    ),
    "iv": RouteRules(
        route="iv",
        product="racemic ketamine infusion",
        min_observation_min=60,  # clinic-defined, after the infusion ends
        observation_source=CLINIC,
        fasting=RACEMIC_FASTING,
        vitals=VitalsCadence(10, 15, RIVA_POSSE_2018),
        bp=BP_LIMITS,
        dose_kind="mg_per_kg",
        dose_source="weight-based (mg/kg) per the protocol template",
    ),
    "im": RouteRules(
        route="im",
        product="racemic ketamine injection",
        min_observation_min=120,  # clinic-defined
        observation_source=CLINIC,
        fasting=RACEMIC_FASTING,
        vitals=VitalsCadence(10, 15, CLINIC),
        bp=BP_LIMITS,
        dose_kind="mg_per_kg",
        dose_source="weight-based (mg/kg) per the protocol template",
    ),
    "oral": RouteRules(
        route="oral",
        product="racemic ketamine (oral)",
        min_observation_min=120,  # clinic-defined
        observation_source=CLINIC,
        fasting=RACEMIC_FASTING,
        vitals=VitalsCadence(15, 15, CLINIC),
        bp=BP_LIMITS,
        dose_kind="mg_per_kg",
        dose_source="weight-based (mg/kg) per the protocol template",
    ),
    "sublingual": RouteRules(
        route="sublingual",
        product="racemic ketamine (sublingual)",
        min_observation_min=120,  # clinic-defined
        observation_source=CLINIC,
        fasting=RACEMIC_FASTING,
        vitals=VitalsCadence(15, 15, CLINIC),
        bp=BP_LIMITS,
        dose_kind="fixed_mg",
        dose_source="fixed mg per the protocol template",
    ),
}


class UnknownRoute(KeyError):
    def __str__(self) -> str:
        return self.args[0]


def rules_for(route: str) -> RouteRules:
    try:
        return ROUTE_RULES[route]
    except KeyError:
        raise UnknownRoute(f"No rules for route {route!r}; known routes: {', '.join(ROUTE_RULES)}.") from None


def hours_text(hours: float) -> str:
    return f"{hours:g} hour" + ("" if hours == 1 else "s")


def duration_text(minutes: int, *, short: bool = False) -> str:
    """120 -> "2 hours" ("2 h"), 30 -> "30 minutes" ("30 min"), 90 -> "90 minutes"."""
    if minutes % 60 == 0:
        return f"{minutes // 60:g} h" if short else hours_text(minutes // 60)
    return f"{minutes} min" if short else f"{minutes} minutes"


def dose_rule_problem(route: str, kind: str, amount_mg: float | None = None) -> str | None:
    """Why a dose rule of ``kind`` does not fit ``route`` (None when it does); ``amount_mg`` checks a fixed dose."""
    rules = rules_for(route)
    if kind != rules.dose_kind:
        unit = "mg/kg" if rules.dose_kind == "mg_per_kg" else "fixed mg"
        return f"A {rules.product} dose is written in {unit} ({rules.dose_source})."
    if amount_mg is not None and rules.device_mg and amount_mg % rules.device_mg:
        return f"{amount_mg:g} mg is not a whole number of {rules.device_mg:g} mg devices ({rules.dose_source})."
    return None


def maintenance_interval_problem(route: str, interval_days: float) -> str | None:
    """Why ``interval_days`` between maintenance doses is not allowed for ``route`` (None when it is)."""
    rules = rules_for(route)
    allowed = rules.maintenance_intervals_days
    if not allowed or round(interval_days) in allowed:
        return None
    words = " or ".join(f"every {d} days" for d in allowed)
    return f"{rules.product.capitalize()} maintenance is {words} ({rules.maintenance_source})."
