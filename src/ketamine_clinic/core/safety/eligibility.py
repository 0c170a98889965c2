"""Eligibility screening for ketamine / esketamine treatment: contraindications and interaction warnings.

The screen turns the facts gathered at intake (``ScreeningFacts``) into a verdict:

- ``not_eligible``           - at least one *absolute* contraindication: planning is blocked;
- ``eligible_with_cautions`` - relative contraindications, interaction warnings, unanswered screening items, a
                               treatment history short of the treatment-resistance definition, or answers the
                               chart's coded diagnoses contradict: the prescriber may proceed only with a written,
                               audited reason (and, for a contradiction, a recorded resolution first);
- ``eligible``               - nothing found.

The chart's coded diagnoses (``chart_codes``) take part: a fact left unanswered that the chart implies is taken
as "yes" (the chart says so), and a "no" the chart contradicts is reported as a ``mismatch``.

Every reason lists its published source(s) and its ``basis``: whether the absolute/relative classification is the
document's own wording ("label contraindication") or the clinic's policy built on the document's warning
("clinic policy"). The software supports the prescriber's decision; it does not make it.
"""

from collections.abc import Callable
from dataclasses import dataclass, fields, replace

from .chart_codes import ChartFinding
from .medications import drug_classes_in
from .sources import Source, source
from .treatment_resistance import TRD_MIN_FAILED_TRIALS

ABSOLUTE = "absolute"
RELATIVE = "relative"
INTERACTION = "interaction"
MISMATCH = "mismatch"  # an answer the chart's coded diagnoses contradict; a prescriber must resolve it

ELIGIBLE = "eligible"
ELIGIBLE_WITH_CAUTIONS = "eligible_with_cautions"
NOT_ELIGIBLE = "not_eligible"

STATUS_LABELS = {
    ELIGIBLE: "Eligible",
    ELIGIBLE_WITH_CAUTIONS: "Eligible with cautions",
    NOT_ELIGIBLE: "Not eligible",
}

# Blood-pressure thresholds (mmHg) used by the screen.
# SPRAVATO PI, Warnings and Precautions "Increases in Blood Pressure": if baseline blood pressure is elevated
# (e.g. >140 mmHg systolic, >90 mmHg diastolic) consider the risk of short-term increases and the benefit.
ELEVATED_SYSTOLIC_MMHG = 140
ELEVATED_DIASTOLIC_MMHG = 90
# Swiss ketamine product information, Contraindications: poorly controlled or untreated hypertension with resting
# BP above 180/100 mmHg (source key "ketamine_ch_fi").
UNCONTROLLED_SYSTOLIC_MMHG = 180
UNCONTROLLED_DIASTOLIC_MMHG = 100
# SPRAVATO PI: not approved in patients under 18 years (safety and effectiveness not established); this clinic
# treats adults only (classification: clinic policy).
ADULT_AGE_YEARS = 18


@dataclass(frozen=True)
class ScreeningFacts:
    """What the intake found. ``None`` means "not asked / not recorded" (which itself is a caution)."""

    age_years: int | None = None
    systolic_bp_mmhg: int | None = None
    diastolic_bp_mmhg: int | None = None
    hypertension: bool | None = None
    hypertension_controlled: bool | None = None
    unstable_cardiac_disease: bool | None = None
    aneurysmal_vascular_disease: bool | None = None
    arteriovenous_malformation: bool | None = None
    intracerebral_haemorrhage_history: bool | None = None
    raised_intracranial_pressure: bool | None = None
    raised_intraocular_pressure: bool | None = None
    severe_liver_disease: bool | None = None
    interstitial_cystitis: bool | None = None
    ketamine_hypersensitivity: bool | None = None
    pregnant: bool | None = None
    breastfeeding: bool | None = None
    active_psychosis: bool | None = None
    psychosis_history: bool | None = None
    current_mania: bool | None = None
    bipolar_disorder: bool | None = None
    active_substance_use_disorder: bool | None = None
    substance_use_disorder_history: bool | None = None
    ketamine_misuse_history: bool | None = None
    current_suicidal_intent: bool | None = None
    medications: str = ""
    # Failed adequate antidepressant trials in the current episode (treatment_resistance.summarise); None = the
    # treatment history is not part of this screen.
    failed_adequate_trials: int | None = None
    # What the chart's coded diagnoses imply (chart_codes.chart_findings).
    chart: tuple[ChartFinding, ...] = ()

    @classmethod
    def from_mapping(cls, data: dict) -> "ScreeningFacts":
        """Build from a dict (e.g. stored JSON), ignoring keys this version does not know."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        if "chart" in values:
            values["chart"] = tuple(
                c if isinstance(c, ChartFinding) else ChartFinding.from_mapping(c) for c in values["chart"]
            )
        return cls(**values)

    def as_dict(self) -> dict:
        """JSON-ready (for storing with the screening)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["chart"] = [c.as_dict() for c in self.chart]
        return data

    def answer(self, name: str) -> bool | None:
        return getattr(self, name)


# Items the screen requires an answer to. Sanacora et al. 2017 recommend a pre-treatment evaluation covering
# psychiatric history (psychosis, substance use), medical history and baseline vitals; an unanswered item is
# therefore a caution, never silently "absent".
REQUIRED_ITEMS: dict[str, str] = {
    "age_years": "Age",
    "systolic_bp_mmhg": "Baseline systolic blood pressure",
    "diastolic_bp_mmhg": "Baseline diastolic blood pressure",
    "hypertension": "Hypertension history",
    "unstable_cardiac_disease": "Unstable cardiac disease",
    "aneurysmal_vascular_disease": "Aneurysmal vascular disease",
    "arteriovenous_malformation": "Arteriovenous malformation",
    "intracerebral_haemorrhage_history": "History of intracerebral haemorrhage",
    "raised_intracranial_pressure": "Raised intracranial pressure",
    "raised_intraocular_pressure": "Raised intraocular pressure",
    "severe_liver_disease": "Severe liver disease",
    "interstitial_cystitis": "Interstitial / ulcerative cystitis",
    "ketamine_hypersensitivity": "Hypersensitivity to ketamine or esketamine",
    "pregnant": "Pregnancy",
    "breastfeeding": "Breastfeeding",
    "active_psychosis": "Current psychotic symptoms",
    "psychosis_history": "History of psychosis",
    "current_mania": "Current mania / hypomania",
    "bipolar_disorder": "Bipolar disorder",
    "active_substance_use_disorder": "Current substance use disorder",
    "substance_use_disorder_history": "Past substance use disorder",
    "ketamine_misuse_history": "History of ketamine (or other dissociative) misuse",
    "current_suicidal_intent": "Current suicidal intent",
}


@dataclass(frozen=True)
class Reason:
    """One finding of the screen, with where it comes from."""

    code: str
    severity: str  # ABSOLUTE | RELATIVE | INTERACTION
    title: str
    detail: str
    sources: tuple[Source, ...]
    basis: str

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "title": self.title,
            "detail": self.detail,
            "basis": self.basis,
            "sources": [str(s) for s in self.sources],
        }


@dataclass(frozen=True)
class EligibilityResult:
    status: str
    reasons: tuple[Reason, ...]

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def absolute(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.severity == ABSOLUTE)

    @property
    def cautions(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.severity != ABSOLUTE)

    @property
    def mismatches(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.severity == MISMATCH)

    @property
    def blocks_planning(self) -> bool:
        return self.status == NOT_ELIGIBLE

    def as_dict(self) -> dict:
        return {"status": self.status, "label": self.label, "reasons": [r.as_dict() for r in self.reasons]}


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    title: str
    detail: str
    source_keys: tuple[str, ...]
    basis: str
    applies: Callable[[ScreeningFacts], bool]

    def reason(self) -> Reason:
        return Reason(
            self.code,
            self.severity,
            self.title,
            self.detail,
            tuple(source(k) for k in self.source_keys),
            self.basis,
        )


LABEL = "label contraindication"
CLINIC = "clinic policy classification of a published warning"


def _bp_uncontrolled(f: ScreeningFacts) -> bool:
    measured = (f.systolic_bp_mmhg is not None and f.systolic_bp_mmhg > UNCONTROLLED_SYSTOLIC_MMHG) or (
        f.diastolic_bp_mmhg is not None and f.diastolic_bp_mmhg > UNCONTROLLED_DIASTOLIC_MMHG
    )
    return measured or (f.hypertension is True and f.hypertension_controlled is False)


def _bp_elevated(f: ScreeningFacts) -> bool:
    if _bp_uncontrolled(f):
        return False  # reported once, as the absolute finding
    return (f.systolic_bp_mmhg is not None and f.systolic_bp_mmhg > ELEVATED_SYSTOLIC_MMHG) or (
        f.diastolic_bp_mmhg is not None and f.diastolic_bp_mmhg > ELEVATED_DIASTOLIC_MMHG
    )


RULES: tuple[Rule, ...] = (
    # ---- absolute: planning is blocked -------------------------------------------------------------------
    Rule(
        "hypersensitivity",
        ABSOLUTE,
        "Hypersensitivity to ketamine or esketamine",
        "Known hypersensitivity to esketamine, ketamine or an excipient.",
        ("spravato_pi", "ketalar_pi"),
        LABEL,
        lambda f: f.ketamine_hypersensitivity is True,
    ),
    Rule(
        "aneurysmal_vascular_disease",
        ABSOLUTE,
        "Aneurysmal vascular disease",
        "Aneurysmal vascular disease (thoracic or abdominal aorta, intracranial or peripheral arterial vessels): "
        "a rise in blood pressure is a serious hazard.",
        ("spravato_pi", "ketalar_pi"),
        LABEL,
        lambda f: f.aneurysmal_vascular_disease is True,
    ),
    Rule(
        "arteriovenous_malformation",
        ABSOLUTE,
        "Arteriovenous malformation",
        "Arteriovenous malformation: a rise in blood pressure is a serious hazard.",
        ("spravato_pi", "ketalar_pi"),
        LABEL,
        lambda f: f.arteriovenous_malformation is True,
    ),
    Rule(
        "intracerebral_haemorrhage",
        ABSOLUTE,
        "History of intracerebral haemorrhage",
        "A history of intracerebral haemorrhage.",
        ("spravato_pi", "ketalar_smpc_uk"),
        LABEL,
        lambda f: f.intracerebral_haemorrhage_history is True,
    ),
    Rule(
        "uncontrolled_hypertension",
        ABSOLUTE,
        "Uncontrolled hypertension",
        f"Hypertension recorded as uncontrolled, or resting BP above {UNCONTROLLED_SYSTOLIC_MMHG}/"
        f"{UNCONTROLLED_DIASTOLIC_MMHG} mmHg: ketamine is contraindicated where a rise in blood pressure would be "
        "a serious hazard. Treat the blood pressure and re-screen.",
        ("ketalar_pi", "ketamine_ch_fi", "sanacora2017"),
        LABEL,
        _bp_uncontrolled,
    ),
    Rule(
        "unstable_cardiac_disease",
        ABSOLUTE,
        "Unstable or severe cardiac disease",
        "Unstable cardiac disease (e.g. recent myocardial infarction, unstable angina, decompensated heart "
        "failure, severe coronary or myocardial disease).",
        ("ketalar_smpc_uk", "ketalar_pi", "sanacora2017"),
        LABEL,
        lambda f: f.unstable_cardiac_disease is True,
    ),
    Rule(
        "raised_intracranial_pressure",
        ABSOLUTE,
        "Raised intracranial pressure",
        "Raised intracranial pressure or an intracranial mass: contraindicated where a rise in intracranial "
        "pressure is a serious risk.",
        ("ketanest_spc", "ketalar_smpc_uk"),
        LABEL,
        lambda f: f.raised_intracranial_pressure is True,
    ),
    Rule(
        "pregnancy",
        ABSOLUTE,
        "Pregnancy",
        "Pregnancy: esketamine is not recommended in pregnancy (may cause fetal harm); elective ketamine "
        "treatment is deferred.",
        ("spravato_pi", "clinic_policy"),
        CLINIC,
        lambda f: f.pregnant is True,
    ),
    Rule(
        "active_psychosis",
        ABSOLUTE,
        "Current psychotic symptoms",
        "Current psychotic symptoms: ketamine can provoke or worsen psychosis; the consensus statement asks for "
        "particular attention to psychosis when selecting patients.",
        ("sanacora2017", "spravato_pi"),
        CLINIC,
        lambda f: f.active_psychosis is True,
    ),
    Rule(
        "current_mania",
        ABSOLUTE,
        "Current mania or hypomania",
        "A current manic or hypomanic episode.",
        ("sanacora2017", "clinic_policy"),
        CLINIC,
        lambda f: f.current_mania is True,
    ),
    Rule(
        "active_substance_use_disorder",
        ABSOLUTE,
        "Current substance use disorder",
        "An active substance use disorder: ketamine has abuse potential; treat the substance use disorder first.",
        ("sanacora2017", "spravato_pi"),
        CLINIC,
        lambda f: f.active_substance_use_disorder is True,
    ),
    Rule(
        "ketamine_misuse_history",
        ABSOLUTE,
        "History of ketamine misuse",
        "A history of misuse of ketamine or another dissociative drug.",
        ("sanacora2017", "spravato_pi"),
        CLINIC,
        lambda f: f.ketamine_misuse_history is True,
    ),
    Rule(
        "under_18",
        ABSOLUTE,
        "Under 18 years",
        f"Under {ADULT_AGE_YEARS}: safety and effectiveness not established in paediatric patients; this clinic "
        "treats adults only.",
        ("spravato_pi", "clinic_policy"),
        CLINIC,
        lambda f: f.age_years is not None and f.age_years < ADULT_AGE_YEARS,
    ),
    # ---- relative: proceed only with a written, audited reason ------------------------------------------
    Rule(
        "elevated_baseline_bp",
        RELATIVE,
        "Elevated baseline blood pressure",
        f"Baseline BP above {ELEVATED_SYSTOLIC_MMHG}/{ELEVATED_DIASTOLIC_MMHG} mmHg: weigh the risk of "
        "short-term increases in blood pressure against the benefit; consider treating first.",
        ("spravato_pi", "sanacora2017"),
        "label warning",
        _bp_elevated,
    ),
    Rule(
        "controlled_hypertension",
        RELATIVE,
        "Hypertension (controlled)",
        "Treated, controlled hypertension: monitor blood pressure closely before and after each dose.",
        ("spravato_pi", "sanacora2017"),
        "label warning",
        lambda f: f.hypertension is True and f.hypertension_controlled is True and not _bp_uncontrolled(f),
    ),
    Rule(
        "psychosis_history",
        RELATIVE,
        "History of psychosis",
        "A past history of psychosis (none current): assess the benefit and risk before starting.",
        ("spravato_pi", "sanacora2017"),
        "label warning",
        lambda f: f.psychosis_history is True and f.active_psychosis is not True,
    ),
    Rule(
        "bipolar_disorder",
        RELATIVE,
        "Bipolar disorder",
        "Bipolar disorder (not currently manic): ketamine can switch bipolar depression into mania or hypomania "
        "(a mixed manic episode has been reported after oral ketamine); the evidence is far more limited than for "
        "unipolar depression. Confirm a mood stabiliser or antipsychotic is in place, screen for manic symptoms "
        "before each session, and record the prescriber's reasons for treating.",
        ("sanacora2017", "wilkowska2020_switch", "wilkowska2020_review"),
        CLINIC,
        lambda f: f.bipolar_disorder is True and f.current_mania is not True,
    ),
    Rule(
        "substance_use_disorder_history",
        RELATIVE,
        "Past substance use disorder",
        "A past substance use disorder (in remission): higher risk of abuse and misuse; monitor for signs.",
        ("spravato_pi", "sanacora2017"),
        "label warning",
        lambda f: f.substance_use_disorder_history is True and f.active_substance_use_disorder is not True,
    ),
    Rule(
        "breastfeeding",
        RELATIVE,
        "Breastfeeding",
        "Breastfeeding is not recommended during treatment with esketamine (present in breast milk).",
        ("spravato_pi",),
        "label warning",
        lambda f: f.breastfeeding is True,
    ),
    Rule(
        "raised_intraocular_pressure",
        RELATIVE,
        "Raised intraocular pressure",
        "Raised intraocular pressure (e.g. glaucoma, open eye injury): ketamine can raise intraocular pressure.",
        ("ketalar_pi", "ketanest_spc"),
        "label warning",
        lambda f: f.raised_intraocular_pressure is True,
    ),
    Rule(
        "severe_liver_disease",
        RELATIVE,
        "Severe liver disease",
        "Severe hepatic impairment: esketamine use is not recommended in Child-Pugh class C; ketamine has caused "
        "drug-induced liver injury with recurrent use. Check liver function before and during treatment.",
        ("spravato_pi", "ketalar_pi"),
        "label warning",
        lambda f: f.severe_liver_disease is True,
    ),
    Rule(
        "interstitial_cystitis",
        RELATIVE,
        "Interstitial or ulcerative cystitis",
        "Existing cystitis / lower urinary tract disease: ulcerative or interstitial cystitis has been reported "
        "with long-term ketamine use; monitor urinary symptoms.",
        ("spravato_pi", "ketalar_pi"),
        "label warning",
        lambda f: f.interstitial_cystitis is True,
    ),
    Rule(
        "current_suicidal_intent",
        RELATIVE,
        "Current suicidal intent",
        "Current suicidal intent: needs same-day risk assessment and a safety plan; closely monitor for "
        "clinical worsening and suicidal thoughts and behaviours.",
        ("spravato_pi", "sanacora2017"),
        "label warning",
        lambda f: f.current_suicidal_intent is True,
    ),
)

# Interaction warnings by drug class found in the medication list (classes from ``medications.DRUG_CLASSES``).
INTERACTIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "benzodiazepine": (
        "Benzodiazepine",
        "Benzodiazepines may blunt the antidepressant response to ketamine (especially higher doses) and add to "
        "sedation. Consider reducing or withholding the dose before sessions.",
        ("andrashko2020", "andrade2017_interactions", "spravato_pi"),
    ),
    "lamotrigine": (
        "Lamotrigine",
        "Lamotrigine (a glutamate-release inhibitor) reduced ketamine's dissociative and psychotomimetic effects "
        "in healthy volunteers; whether it blunts the antidepressant response is not established. Note it when "
        "judging dissociation and response.",
        ("anand2000", "andrade2017_interactions"),
    ),
    "maoi": (
        "Monoamine oxidase inhibitor",
        "MAOIs with ketamine/esketamine may increase blood pressure: monitor blood pressure closely.",
        ("spravato_pi",),
    ),
    "psychostimulant": (
        "Psychostimulant",
        "Psychostimulants (amphetamines, methylphenidate, modafinil, armodafinil) may increase blood pressure: "
        "monitor blood pressure closely.",
        ("spravato_pi",),
    ),
    "sedative_hypnotic": (
        "Non-benzodiazepine sedative hypnotic",
        "Sedative hypnotics (zolpidem, zaleplon, eszopiclone, zopiclone) are CNS depressants and may increase "
        "sedation: monitor closely for sedation.",
        ("spravato_pi",),
    ),
    "opioid": (
        "Opioid / CNS depressant",
        "Opioids and other CNS depressants may increase sedation: monitor closely for sedation.",
        ("spravato_pi",),
    ),
}


# The screening fact each rule reads, where a coded diagnosis can establish it (to name the code beside it).
_RULE_FACT = {
    "aneurysmal_vascular_disease": "aneurysmal_vascular_disease",
    "arteriovenous_malformation": "arteriovenous_malformation",
    "intracerebral_haemorrhage": "intracerebral_haemorrhage_history",
    "unstable_cardiac_disease": "unstable_cardiac_disease",
    "raised_intracranial_pressure": "raised_intracranial_pressure",
    "pregnancy": "pregnant",
    "current_mania": "current_mania",
    "active_substance_use_disorder": "active_substance_use_disorder",
    "controlled_hypertension": "hypertension",
    "psychosis_history": "psychosis_history",
    "bipolar_disorder": "bipolar_disorder",
    "substance_use_disorder_history": "substance_use_disorder_history",
    "breastfeeding": "breastfeeding",
    "raised_intraocular_pressure": "raised_intraocular_pressure",
    "severe_liver_disease": "severe_liver_disease",
    "interstitial_cystitis": "interstitial_cystitis",
}


def _codes_text(findings) -> str:
    return "; ".join(f"{c.code} {c.description}".strip() for c in findings)


def with_chart(facts: ScreeningFacts) -> ScreeningFacts:
    """``facts`` with every unanswered item the chart's coded diagnoses establish taken as "yes"."""
    filled = {c.fact: True for c in facts.chart if getattr(facts, c.fact) is None}
    return replace(facts, **filled) if filled else facts


def chart_mismatches(facts: ScreeningFacts) -> dict[str, tuple[ChartFinding, ...]]:
    """Facts answered "no" that the chart's coded diagnoses say are "yes": {fact: the findings}."""
    out: dict[str, list[ChartFinding]] = {}
    for c in facts.chart:
        if getattr(facts, c.fact) is False:
            out.setdefault(c.fact, []).append(c)
    return {k: tuple(v) for k, v in out.items()}


def _mismatch_reason(fact: str, findings: tuple[ChartFinding, ...]) -> Reason:
    label = REQUIRED_ITEMS.get(fact, fact.replace("_", " "))
    means = "; ".join(dict.fromkeys(c.means for c in findings))
    keys = tuple(dict.fromkeys(k for c in findings for k in c.sources))
    return Reason(
        f"chart_mismatch:{fact}",
        MISMATCH,
        f"The chart and the screening disagree: {label}",
        f"The screening answer is No, but the chart is coded {_codes_text(findings)} ({means}). A prescriber must "
        "resolve this before the patient can be cleared to proceed: correct the intake answer, or record why the "
        "coded diagnosis does not apply (and have the chart corrected).",
        tuple(source(k) for k in keys),
        "chart cross-check (clinic policy)",
    )


def screen(facts: ScreeningFacts) -> EligibilityResult:
    """Apply every rule to ``facts``; return the verdict and all reasons (absolute first, then cautions)."""
    mismatches = chart_mismatches(facts)
    facts = with_chart(facts)
    reasons = [
        *_rule_reasons(facts),
        *(_mismatch_reason(fact, found) for fact, found in mismatches.items()),
        *_treatment_resistance(facts),
        *_interactions(facts),
        *_unanswered(facts),
    ]
    order = {ABSOLUTE: 0, MISMATCH: 1, RELATIVE: 2, INTERACTION: 3}
    reasons.sort(key=lambda r: order[r.severity])
    return EligibilityResult(_verdict(reasons), tuple(reasons))


def _rule_reasons(facts: ScreeningFacts) -> list[Reason]:
    """Every rule that applies, with the chart codes behind its fact."""
    reasons: list[Reason] = []
    for rule in RULES:
        if not rule.applies(facts):
            continue
        reason = rule.reason()
        coded = [c for c in facts.chart if c.fact == _RULE_FACT.get(rule.code)]
        if coded:
            reason = replace(reason, detail=f"{reason.detail} Coded on the chart: {_codes_text(coded)}.")
        reasons.append(reason)
    return reasons


def _treatment_resistance(facts: ScreeningFacts) -> list[Reason]:
    if facts.failed_adequate_trials is None or facts.failed_adequate_trials >= TRD_MIN_FAILED_TRIALS:
        return []
    return [
        Reason(
            "not_treatment_resistant",
            RELATIVE,
            "Does not meet the treatment-resistance definition",
            f"{facts.failed_adequate_trials} failed adequate antidepressant trial(s) in the current episode; "
            f"the definition needs at least {TRD_MIN_FAILED_TRIALS}. The esketamine indication and most of "
            "the evidence for ketamine in depression are in treatment-resistant depression: record the "
            "earlier trials, or the reason for treating before two adequate trials have failed.",
            (source("mgh_atrq"), source("spravato_pi"), source("sanacora2017")),
            CLINIC,
        )
    ]


def _interactions(facts: ScreeningFacts) -> list[Reason]:
    reasons = []
    for cls, hits in drug_classes_in(facts.medications).items():
        title, detail, keys = INTERACTIONS[cls]
        reasons.append(
            Reason(
                f"interaction:{cls}",
                INTERACTION,
                f"{title}: {', '.join(hits)}",
                detail,
                tuple(source(k) for k in keys),
                "label / published interaction",
            )
        )
    return reasons


def _unanswered(facts: ScreeningFacts) -> list[Reason]:
    """Required screening items not recorded (and whether recorded hypertension is controlled)."""
    reasons = []
    for name, label in REQUIRED_ITEMS.items():
        if getattr(facts, name) is None:
            reasons.append(
                Reason(
                    f"unanswered:{name}",
                    RELATIVE,
                    f"Not recorded: {label}",
                    "This screening item was not answered; record it, or give a reason for proceeding without it.",
                    (source("sanacora2017"),),
                    "pre-treatment evaluation recommended",
                )
            )
    if facts.hypertension is True and facts.hypertension_controlled is None:
        reasons.append(
            Reason(
                "unanswered:hypertension_controlled",
                RELATIVE,
                "Not recorded: whether hypertension is controlled",
                "Hypertension is recorded but not whether it is controlled.",
                (source("spravato_pi"),),
                "pre-treatment evaluation recommended",
            )
        )
    return reasons


def _verdict(reasons: list[Reason]) -> str:
    if any(r.severity == ABSOLUTE for r in reasons):
        return NOT_ELIGIBLE
    if reasons:
        return ELIGIBLE_WITH_CAUTIONS
    return ELIGIBLE
