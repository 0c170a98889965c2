"""Protocol templates: the clinic's standard regimens as data, each number beside its source.

A template gives a plan its starting point: the dose rule (the plan->session contract), the titration rule,
the phases and their cadence (from which ``schedule.generate`` makes appointments), the minimum interval between
doses, the monitoring schedule (vitals, minimum observation) and the default measurement schedule (instrument
keys from ``core.instruments.library``). Templates marked ``clinic_defined`` have no published standard regimen:
the clinic's medical director owns their numbers, and the pages say so.
"""

from dataclasses import dataclass, field

from .dose_rule import DoseRule
from .routes import rules_for

PER_WEEK = "per_week"  # n doses in each (or every k-th) week counted from the plan's start date
SERIES = "series"  # a count of doses aimed at a fixed spacing, optionally within a window

# Citations used below (kept as text so pages and the API can show them).
BERMAN_2000 = "Berman RM et al. Antidepressant effects of ketamine in depressed patients. Biol Psychiatry 2000;47(4):351-354"
ZARATE_2006 = "Zarate CA Jr et al. A randomized trial of an NMDA antagonist in treatment-resistant major depression. Arch Gen Psychiatry 2006;63(8):856-864"
MURROUGH_2013 = "Murrough JW et al. Rapid and longer-term antidepressant effects of repeated ketamine infusions in treatment-resistant major depression. Biol Psychiatry 2013;74(4):250-256 (six 0.5 mg/kg infusions, three times weekly over 12 days)"
AAN_HET_ROT_2010 = "aan het Rot M et al. Safety and efficacy of repeated-dose intravenous ketamine for treatment-resistant depression. Biol Psychiatry 2010;67(2):139-145"
CUSIN_2017 = "Cusin C et al. Ketamine augmentation for outpatients with treatment-resistant depression: preliminary evidence for two-step intravenous dose escalation. Aust N Z J Psychiatry 2017;51(1):55-64 (0.5 mg/kg for three infusions, then 0.75 mg/kg)"
ANDRADE_2017_DOSING = "Andrade C. Ketamine for Depression, 4: In What Dose, at What Rate, by What Route, for How Long, and at What Frequency? J Clin Psychiatry 2017;78(7):e852-e857 (most use 0.5 mg/kg; some need up to 0.75 mg/kg; IM bolus and oral/sublingual routes described; maintenance frequency individualised)"
SANACORA_2017 = "Sanacora G et al. A Consensus Statement on the Use of Ketamine in the Treatment of Mood Disorders. JAMA Psychiatry 2017;74(4):399-405"
SPRAVATO_PI = "SPRAVATO (esketamine) nasal spray, US Prescribing Information, Janssen: Dosage and Administration (TRD), Warnings and Precautions"
KETALAR_PI = "KETALAR (ketamine hydrochloride) injection, US Prescribing Information (supplied as 10, 50 and 100 mg/mL)"
KHEIRABADI_2023 = "KheirAbadi G, Golkar S. High-dose versus low-dose oral ketamine on control and relapse of treatment-resistant depression. Iran J Psychiatry Behav Sci 2023;17(4):e137879 (1 or 2 mg/kg twice weekly for six weeks)"
LARA_2013 = "Lara DR, Bisol LW, Munari LR. Antidepressant, mood stabilizing and procognitive effects of very low dose sublingual ketamine in refractory unipolar and bipolar depression. Int J Neuropsychopharmacol 2013, doi:10.1017/S1461145713000485 (10 mg sublingual every 2-3 days or weekly)"
CLINIC = "clinic-defined"


@dataclass(frozen=True)
class Phase:
    """One stage of a regimen and its cadence.

    ``PER_WEEK``: ``doses_per_week`` doses in each ``every_n_weeks``-th week for ``weeks`` weeks, weeks counted
    from the phase start. ``SERIES``: ``count`` doses aimed ``interval_days`` apart, all within ``window_days`` of
    the phase start when that is set.
    """

    key: str
    label: str
    cadence: str
    source: str
    weeks: int = 0
    doses_per_week: int = 0
    every_n_weeks: int = 1
    count: int = 0
    interval_days: float = 0.0
    window_days: int | None = None

    def __post_init__(self):
        if self.cadence == PER_WEEK:
            if self.weeks < 1 or self.doses_per_week < 1 or self.every_n_weeks < 1:
                raise ValueError(f"Phase {self.key}: weeks, doses per week and week step must be at least 1.")
        elif self.cadence == SERIES:
            if self.count < 1 or self.interval_days <= 0:
                raise ValueError(f"Phase {self.key}: a series needs a dose count and a positive interval.")
        else:
            raise ValueError(f"Phase {self.key}: cadence must be {PER_WEEK!r} or {SERIES!r}.")

    @property
    def dose_count(self) -> int:
        if self.cadence == SERIES:
            return self.count
        dosing_weeks = len(range(0, self.weeks, self.every_n_weeks))
        return dosing_weeks * self.doses_per_week

    @property
    def description(self) -> str:
        if self.cadence == SERIES:
            within = f" within {self.window_days} days" if self.window_days else ""
            return f"{self.count} dose(s) about every {self.interval_days:g} day(s){within}"
        step = "every week" if self.every_n_weeks == 1 else f"every {self.every_n_weeks} weeks"
        return f"{self.doses_per_week} dose(s) {step} for {self.weeks} week(s)"


@dataclass(frozen=True)
class TitrationRule:
    description: str
    source: str
    to_amount: float | None = None
    after_sessions_without_response: int | None = None


@dataclass(frozen=True)
class MonitoringSchedule:
    """Vitals and observation around each dose. Minutes are counted from the end of administration."""

    vitals_before_dose: bool
    min_observation_min: int
    source: str
    vitals_interval_min: int | None = None  # repeated checks during administration and observation
    vitals_at_min: tuple[int, ...] = ()  # fixed checks after dosing (e.g. 40 min for esketamine)
    notes: str = ""


def monitoring_for(route: str, *, source: str, notes: str = "") -> MonitoringSchedule:
    """A template's monitoring, with the observation time and vitals cadence read from the route table."""
    rules = rules_for(route)
    return MonitoringSchedule(
        vitals_before_dose=True,
        min_observation_min=rules.min_observation_min,
        source=f"{source}; observation: {rules.observation_source}; vitals: {rules.vitals.source}",
        vitals_interval_min=rules.vitals.during_min,
        vitals_at_min=rules.vitals.checkpoints_min,
        notes=notes,
    )


@dataclass(frozen=True)
class IntegrationSchedule:
    """Complementary psychotherapy / integration sessions linked to dosing sessions."""

    every_n_doses: int
    offset_days: int
    duration_min: int
    source: str = CLINIC


@dataclass(frozen=True)
class AssessmentPoint:
    after_phase: str
    offset_days: int
    label: str
    duration_min: int = 45
    source: str = CLINIC


@dataclass(frozen=True)
class ProtocolTemplate:
    key: str
    name: str
    route: str  # choices.Route value: iv / intranasal / im / oral / sublingual
    clinic_defined: bool
    summary: str
    dose_rule: DoseRule
    dose_source: str
    titration: TitrationRule
    phases: tuple[Phase, ...]
    min_interval_hours: float
    min_interval_source: str
    monitoring: MonitoringSchedule
    measurement_schedule: dict = field(hash=False, compare=False, default_factory=dict)
    integration: IntegrationSchedule | None = None
    assessments: tuple[AssessmentPoint, ...] = ()
    administration_min: int = 0  # time to give the dose (infusion duration, or sprays with waits)
    preparation_min: int = 15  # clinic-defined: check-in, pre-dose vitals and measures
    first_dose_amount: float | None = None
    dose_step: float | None = None  # doses must be multiples of this (e.g. 28 mg devices)
    notes: str = ""

    @property
    def chair_minutes(self) -> int:
        """How long a dosing appointment holds the chair: preparation + administration + minimum observation."""
        return self.preparation_min + self.administration_min + self.monitoring.min_observation_min

    @property
    def total_doses(self) -> int:
        return sum(p.dose_count for p in self.phases)

    def phase(self, key: str) -> Phase:
        for p in self.phases:
            if p.key == key:
                return p
        raise KeyError(f"Protocol {self.key} has no phase {key!r}.")


def default_measurement_schedule() -> dict:
    """Clinic-defined default measurement schedule (instrument keys from core.instruments.library).

    PHQ-9 has a two-week recall (Kroenke et al. 2001), so it is taken weekly rather than at every dose; the
    C-SSRS screener is taken before every dose because suicide risk is screened at each visit (SPRAVATO PI
    boxed warning: monitor for suicidal thoughts and behaviours); MADRS at baseline and the end of each phase.
    """
    return {
        "baseline": ["phq9", "gad7", "madrs", "cssrs_screener"],
        "before_each_dose": ["cssrs_screener"],
        "after_each_dose": ["cadss"],
        "weekly": ["phq9"],
        "end_of_phase": ["phq9", "gad7", "madrs"],
        "source": CLINIC,
    }


IV_RACEMIC = ProtocolTemplate(
    key="iv_racemic_standard",
    name="IV racemic ketamine: 0.5 mg/kg over 40 min, six-infusion induction, tapered boosters",
    route="iv",
    clinic_defined=False,
    summary="Six infusions of 0.5 mg/kg over 40 minutes within three weeks, then boosters tapered weekly -> every "
    "2 weeks -> monthly as the response allows.",
    dose_rule=DoseRule(
        kind="mg_per_kg",
        amount=0.5,  # Berman et al. 2000; Zarate et al. 2006
        min_amount=0.25,  # clinic-defined floor (lower doses were studied: Andrade 2017 review)
        max_amount=0.75,  # Cusin et al. 2017; Andrade 2017 ("some may require up to 0.75 mg/kg")
        drug="racemic ketamine",
        infusion_duration_min=40,  # Berman et al. 2000; Zarate et al. 2006
        concentration_mg_per_ml=50,  # product strength drawn up (KETALAR PI: 10, 50, 100 mg/mL); clinic choice
    ),
    dose_source=f"{BERMAN_2000}; {ZARATE_2006}; limits: {CUSIN_2017}; {ANDRADE_2017_DOSING}",
    titration=TitrationRule(
        "Consider 0.75 mg/kg after two infusions without response (the count of two is clinic-defined; Cusin et "
        "al. escalated to 0.75 mg/kg after three infusions).",
        source=f"{CUSIN_2017}; {ANDRADE_2017_DOSING}; trigger count: {CLINIC}",
        to_amount=0.75,
        after_sessions_without_response=2,
    ),
    phases=(
        Phase(
            "induction",
            "Induction: six infusions",
            SERIES,
            source=f"{MURROUGH_2013}; {AAN_HET_ROT_2010}; 21-day window: {CLINIC} (clinics run six over 2-3 weeks)",
            count=6,
            interval_days=2,  # three times weekly (Murrough et al. 2013)
            window_days=21,
        ),
        Phase(
            "booster_weekly",
            "Boosters weekly",
            SERIES,
            source=f"{CLINIC}; maintenance individualised by response ({SANACORA_2017}; {ANDRADE_2017_DOSING})",
            count=2,
            interval_days=7,
        ),
        Phase(
            "booster_fortnightly",
            "Boosters every 2 weeks",
            SERIES,
            source=f"{CLINIC}; taper by response",
            count=2,
            interval_days=14,
        ),
        Phase(
            "booster_monthly",
            "Boosters monthly",
            SERIES,
            source=f"{CLINIC}; taper by response",
            count=3,
            interval_days=28,
        ),
    ),
    min_interval_hours=48,  # clinic-defined; matches the thrice-weekly (Mon/Wed/Fri) series of Murrough et al. 2013
    min_interval_source=f"{CLINIC}, consistent with {MURROUGH_2013}",
    monitoring=monitoring_for(
        "iv",
        source=f"baseline blood pressure and monitoring of cardiovascular, respiratory and mental status during and after the infusion per {SANACORA_2017}",
        notes="Discharge only when stable and accompanied (no driving until the next day).",
    ),
    measurement_schedule=default_measurement_schedule(),
    integration=IntegrationSchedule(every_n_doses=2, offset_days=1, duration_min=50),
    assessments=(
        AssessmentPoint("induction", 2, "End-of-induction review (response decision)"),
        AssessmentPoint("booster_monthly", 7, "Maintenance review"),
    ),
    administration_min=40,
    preparation_min=20,
)

ESKETAMINE_LABEL = ProtocolTemplate(
    key="esketamine_label",
    name="Intranasal esketamine per the SPRAVATO label (TRD)",
    route="intranasal",
    clinic_defined=False,
    summary="Weeks 1-4 twice weekly (day 1: 56 mg, then 56 or 84 mg); weeks 5-8 weekly; week 9 on every 2 weeks "
    "(or weekly), at the least frequent dosing that keeps the response. "
    f"Observe {rules_for('intranasal').observation_text} after each dose. "
    "Given with an oral antidepressant, in a REMS-certified setting.",
    dose_rule=DoseRule(
        kind="fixed_mg",
        amount=56,  # SPRAVATO PI: day 1 starting dose 56 mg
        min_amount=56,  # SPRAVATO PI: 56 or 84 mg
        max_amount=84,  # SPRAVATO PI
        drug="esketamine",
        infusion_duration_min=None,
        concentration_mg_per_ml=None,  # dosed in whole 28 mg devices
    ),
    dose_source=SPRAVATO_PI,
    titration=TitrationRule(
        "Day 1: 56 mg. Subsequent doses 56 mg or 84 mg by efficacy and tolerability.",
        source=SPRAVATO_PI,
        to_amount=84,
    ),
    phases=(
        Phase(
            "induction",
            "Induction: weeks 1-4, twice weekly",
            PER_WEEK,
            SPRAVATO_PI,
            weeks=4,
            doses_per_week=2,
        ),
        Phase(
            "maintenance_weekly",
            "Maintenance: weeks 5-8, weekly",
            PER_WEEK,
            SPRAVATO_PI,
            weeks=4,
            doses_per_week=1,
        ),
        Phase(
            "maintenance",
            "Maintenance: week 9 on, every 2 weeks (or weekly)",
            PER_WEEK,
            f"{SPRAVATO_PI}; 8 weeks generated ahead: {CLINIC}",
            weeks=8,
            doses_per_week=1,
            every_n_weeks=2,
        ),
    ),
    min_interval_hours=48,  # clinic-defined: the label gives twice weekly without a minimum gap
    min_interval_source=f"{CLINIC} (the label gives twice-weekly dosing without a minimum gap)",
    monitoring=monitoring_for(
        "intranasal",
        source=SPRAVATO_PI,
        notes=f"BP before dosing; if elevated (e.g. >{rules_for('intranasal').bp.caution_sbp:g}/"
        f"{rules_for('intranasal').bp.caution_dbp:g}) weigh the risk. Recheck about 40 min after the dose and "
        f"then as warranted. Fasting: {rules_for('intranasal').fasting.short} before (label).",
    ),
    measurement_schedule=default_measurement_schedule(),
    integration=IntegrationSchedule(every_n_doses=2, offset_days=1, duration_min=50),
    assessments=(
        AssessmentPoint(
            "induction", 1, "End-of-induction review (evaluate benefit before continuing; label)"
        ),
        AssessmentPoint("maintenance_weekly", 1, "Review before moving to every-2-week dosing"),
    ),
    administration_min=15,  # up to three devices, 5 minutes apart (SPRAVATO PI)
    preparation_min=15,
    first_dose_amount=56,  # SPRAVATO PI
    dose_step=28,  # SPRAVATO PI: one device delivers 28 mg
)

IM_RACEMIC = ProtocolTemplate(
    key="im_racemic_clinic",
    name="IM racemic ketamine (clinic-defined)",
    route="im",
    clinic_defined=True,
    summary="Clinic-defined: intramuscular bolus, six-dose induction within three weeks, then tapered boosters.",
    dose_rule=DoseRule(
        kind="mg_per_kg",
        amount=0.5,  # clinic-defined
        min_amount=0.25,  # clinic-defined
        max_amount=1.0,  # clinic-defined
        drug="racemic ketamine",
        concentration_mg_per_ml=50,  # clinic product choice (KETALAR PI strengths)
    ),
    dose_source=f"{CLINIC}; IM bolus use reviewed by {ANDRADE_2017_DOSING}",
    titration=TitrationRule("Adjust within 0.25-1.0 mg/kg by response and tolerability.", source=CLINIC),
    phases=(
        Phase("induction", "Induction: six doses", SERIES, CLINIC, count=6, interval_days=2, window_days=21),
        Phase("booster_weekly", "Boosters weekly", SERIES, CLINIC, count=2, interval_days=7),
        Phase("booster_monthly", "Boosters monthly", SERIES, CLINIC, count=3, interval_days=28),
    ),
    min_interval_hours=48,  # clinic-defined
    min_interval_source=CLINIC,
    monitoring=monitoring_for("im", source=CLINIC),
    measurement_schedule=default_measurement_schedule(),
    integration=IntegrationSchedule(every_n_doses=2, offset_days=1, duration_min=50),
    assessments=(AssessmentPoint("induction", 2, "End-of-induction review"),),
    administration_min=5,
    preparation_min=15,
)

ORAL_RACEMIC = ProtocolTemplate(
    key="oral_racemic_clinic",
    name="Oral racemic ketamine (clinic-defined)",
    route="oral",
    clinic_defined=True,
    summary="Clinic-defined: supervised oral doses twice weekly for six weeks, then weekly.",
    dose_rule=DoseRule(
        kind="mg_per_kg",
        amount=1.0,  # clinic-defined; precedent KheirAbadi & Golkar 2023 (1 mg/kg)
        min_amount=0.5,  # clinic-defined
        max_amount=2.0,  # clinic-defined; precedent KheirAbadi & Golkar 2023 (2 mg/kg arm)
        drug="racemic ketamine",
    ),
    dose_source=f"{CLINIC}; precedent {KHEIRABADI_2023}",
    titration=TitrationRule("Adjust within 0.5-2.0 mg/kg by response and tolerability.", source=CLINIC),
    phases=(
        Phase(
            "induction",
            "Twice weekly for six weeks",
            PER_WEEK,
            f"{CLINIC}; precedent {KHEIRABADI_2023}",
            weeks=6,
            doses_per_week=2,
        ),
        Phase("maintenance", "Weekly", PER_WEEK, CLINIC, weeks=4, doses_per_week=1),
    ),
    min_interval_hours=48,  # clinic-defined
    min_interval_source=CLINIC,
    monitoring=monitoring_for("oral", source=CLINIC),
    measurement_schedule=default_measurement_schedule(),
    integration=IntegrationSchedule(every_n_doses=2, offset_days=1, duration_min=50),
    assessments=(AssessmentPoint("induction", 1, "End-of-induction review"),),
    administration_min=5,
)

SUBLINGUAL_RACEMIC = ProtocolTemplate(
    key="sublingual_racemic_clinic",
    name="Sublingual racemic ketamine (clinic-defined)",
    route="sublingual",
    clinic_defined=True,
    summary="Clinic-defined: supervised sublingual doses twice weekly for four weeks, then weekly.",
    dose_rule=DoseRule(
        kind="fixed_mg",
        amount=10,  # clinic-defined; precedent Lara et al. 2013 (10 mg)
        min_amount=10,  # clinic-defined
        max_amount=50,  # clinic-defined
        drug="racemic ketamine",
    ),
    dose_source=f"{CLINIC}; precedent {LARA_2013}",
    titration=TitrationRule("Adjust within 10-50 mg by response and tolerability.", source=CLINIC),
    phases=(
        Phase(
            "induction",
            "Twice weekly for four weeks",
            PER_WEEK,
            f"{CLINIC}; precedent {LARA_2013}",
            weeks=4,
            doses_per_week=2,
        ),
        Phase("maintenance", "Weekly", PER_WEEK, CLINIC, weeks=4, doses_per_week=1),
    ),
    min_interval_hours=48,  # clinic-defined
    min_interval_source=CLINIC,
    monitoring=monitoring_for("sublingual", source=CLINIC),
    measurement_schedule=default_measurement_schedule(),
    integration=IntegrationSchedule(every_n_doses=2, offset_days=1, duration_min=50),
    assessments=(AssessmentPoint("induction", 1, "End-of-induction review"),),
    administration_min=10,  # held under the tongue (Lara et al. 2013: about 5 minutes), clinic-defined margin
)

TEMPLATES: dict[str, ProtocolTemplate] = {
    t.key: t for t in (IV_RACEMIC, ESKETAMINE_LABEL, IM_RACEMIC, ORAL_RACEMIC, SUBLINGUAL_RACEMIC)
}


def get_template(key: str) -> ProtocolTemplate:
    try:
        return TEMPLATES[key]
    except KeyError:
        raise KeyError(f"Unknown protocol template {key!r}; known: {', '.join(sorted(TEMPLATES))}.") from None


def templates_for_route(route: str) -> list[ProtocolTemplate]:
    return [t for t in TEMPLATES.values() if t.route == route]
