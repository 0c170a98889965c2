"""The eligibility screen pinned word for word: every rule's finding, boundary and stored value.

A screening is stored (``as_dict``) and shown to the prescriber, so the exact code, severity, title, detail,
sources and basis of each finding are part of the rule. Written against surviving mutants (docs/mutation.md):
before, a rule's wording, a stored severity or a boundary could change with no test failing.
"""

from dataclasses import replace

import pytest

from ketamine_clinic.core.safety.chart_codes import ChartFinding
from ketamine_clinic.core.safety.eligibility import (
    REQUIRED_ITEMS,
    EligibilityResult,
    ScreeningFacts,
    screen,
)

# A fully answered screen with nothing found.
CLEAR = ScreeningFacts(
    age_years=45,
    systolic_bp_mmhg=122,
    diastolic_bp_mmhg=78,
    **{
        name: False
        for name in REQUIRED_ITEMS
        if name not in ("age_years", "systolic_bp_mmhg", "diastolic_bp_mmhg")
    },
)

LABEL = "label contraindication"
CLINIC = "clinic policy classification of a published warning"
WARNING = "label warning"


def pinned(reason):
    return (reason.code, reason.severity, reason.title, reason.detail, tuple(s.key for s in reason.sources),
            reason.basis)


def codes(result):
    return [r.code for r in result.reasons]


RULE_FINDINGS = [
    (
        {"ketamine_hypersensitivity": True},
        ("hypersensitivity", "absolute", "Hypersensitivity to ketamine or esketamine",
         "Known hypersensitivity to esketamine, ketamine or an excipient.", ("spravato_pi", "ketalar_pi"), LABEL),
    ),
    (
        {"aneurysmal_vascular_disease": True},
        ("aneurysmal_vascular_disease", "absolute", "Aneurysmal vascular disease",
         "Aneurysmal vascular disease (thoracic or abdominal aorta, intracranial or peripheral arterial vessels): "
         "a rise in blood pressure is a serious hazard.", ("spravato_pi", "ketalar_pi"), LABEL),
    ),
    (
        {"arteriovenous_malformation": True},
        ("arteriovenous_malformation", "absolute", "Arteriovenous malformation",
         "Arteriovenous malformation: a rise in blood pressure is a serious hazard.", ("spravato_pi", "ketalar_pi"),
         LABEL),
    ),
    (
        {"intracerebral_haemorrhage_history": True},
        ("intracerebral_haemorrhage", "absolute", "History of intracerebral haemorrhage",
         "A history of intracerebral haemorrhage.", ("spravato_pi", "ketalar_smpc_uk"), LABEL),
    ),
    (
        {"hypertension": True, "hypertension_controlled": False},
        ("uncontrolled_hypertension", "absolute", "Uncontrolled hypertension",
         "Hypertension recorded as uncontrolled, or resting BP above 180/100 mmHg: ketamine is contraindicated "
         "where a rise in blood pressure would be a serious hazard. Treat the blood pressure and re-screen.",
         ("ketalar_pi", "ketamine_ch_fi", "sanacora2017"), LABEL),
    ),
    (
        {"unstable_cardiac_disease": True},
        ("unstable_cardiac_disease", "absolute", "Unstable or severe cardiac disease",
         "Unstable cardiac disease (e.g. recent myocardial infarction, unstable angina, decompensated heart "
         "failure, severe coronary or myocardial disease).", ("ketalar_smpc_uk", "ketalar_pi", "sanacora2017"),
         LABEL),
    ),
    (
        {"raised_intracranial_pressure": True},
        ("raised_intracranial_pressure", "absolute", "Raised intracranial pressure",
         "Raised intracranial pressure or an intracranial mass: contraindicated where a rise in intracranial "
         "pressure is a serious risk.", ("ketanest_spc", "ketalar_smpc_uk"), LABEL),
    ),
    (
        {"pregnant": True},
        ("pregnancy", "absolute", "Pregnancy",
         "Pregnancy: esketamine is not recommended in pregnancy (may cause fetal harm); elective ketamine "
         "treatment is deferred.", ("spravato_pi", "clinic_policy"), CLINIC),
    ),
    (
        {"active_psychosis": True},
        ("active_psychosis", "absolute", "Current psychotic symptoms",
         "Current psychotic symptoms: ketamine can provoke or worsen psychosis; the consensus statement asks for "
         "particular attention to psychosis when selecting patients.", ("sanacora2017", "spravato_pi"), CLINIC),
    ),
    (
        {"current_mania": True},
        ("current_mania", "absolute", "Current mania or hypomania", "A current manic or hypomanic episode.",
         ("sanacora2017", "clinic_policy"), CLINIC),
    ),
    (
        {"active_substance_use_disorder": True},
        ("active_substance_use_disorder", "absolute", "Current substance use disorder",
         "An active substance use disorder: ketamine has abuse potential; treat the substance use disorder first.",
         ("sanacora2017", "spravato_pi"), CLINIC),
    ),
    (
        {"ketamine_misuse_history": True},
        ("ketamine_misuse_history", "absolute", "History of ketamine misuse",
         "A history of misuse of ketamine or another dissociative drug.", ("sanacora2017", "spravato_pi"), CLINIC),
    ),
    (
        {"age_years": 17},
        ("under_18", "absolute", "Under 18 years",
         "Under 18: safety and effectiveness not established in paediatric patients; this clinic treats adults "
         "only.", ("spravato_pi", "clinic_policy"), CLINIC),
    ),
    (
        {"systolic_bp_mmhg": 141},
        ("elevated_baseline_bp", "relative", "Elevated baseline blood pressure",
         "Baseline BP above 140/90 mmHg: weigh the risk of short-term increases in blood pressure against the "
         "benefit; consider treating first.", ("spravato_pi", "sanacora2017"), WARNING),
    ),
    (
        {"hypertension": True, "hypertension_controlled": True},
        ("controlled_hypertension", "relative", "Hypertension (controlled)",
         "Treated, controlled hypertension: monitor blood pressure closely before and after each dose.",
         ("spravato_pi", "sanacora2017"), WARNING),
    ),
    (
        {"psychosis_history": True},
        ("psychosis_history", "relative", "History of psychosis",
         "A past history of psychosis (none current): assess the benefit and risk before starting.",
         ("spravato_pi", "sanacora2017"), WARNING),
    ),
    (
        {"bipolar_disorder": True},
        ("bipolar_disorder", "relative", "Bipolar disorder",
         "Bipolar disorder (not currently manic): ketamine can switch bipolar depression into mania or hypomania "
         "(a mixed manic episode has been reported after oral ketamine); the evidence is far more limited than "
         "for unipolar depression. Confirm a mood stabiliser or antipsychotic is in place, screen for manic "
         "symptoms before each session, and record the prescriber's reasons for treating.",
         ("sanacora2017", "wilkowska2020_switch", "wilkowska2020_review"), CLINIC),
    ),
    (
        {"substance_use_disorder_history": True},
        ("substance_use_disorder_history", "relative", "Past substance use disorder",
         "A past substance use disorder (in remission): higher risk of abuse and misuse; monitor for signs.",
         ("spravato_pi", "sanacora2017"), WARNING),
    ),
    (
        {"breastfeeding": True},
        ("breastfeeding", "relative", "Breastfeeding",
         "Breastfeeding is not recommended during treatment with esketamine (present in breast milk).",
         ("spravato_pi",), WARNING),
    ),
    (
        {"raised_intraocular_pressure": True},
        ("raised_intraocular_pressure", "relative", "Raised intraocular pressure",
         "Raised intraocular pressure (e.g. glaucoma, open eye injury): ketamine can raise intraocular pressure.",
         ("ketalar_pi", "ketanest_spc"), WARNING),
    ),
    (
        {"severe_liver_disease": True},
        ("severe_liver_disease", "relative", "Severe liver disease",
         "Severe hepatic impairment: esketamine use is not recommended in Child-Pugh class C; ketamine has caused "
         "drug-induced liver injury with recurrent use. Check liver function before and during treatment.",
         ("spravato_pi", "ketalar_pi"), WARNING),
    ),
    (
        {"interstitial_cystitis": True},
        ("interstitial_cystitis", "relative", "Interstitial or ulcerative cystitis",
         "Existing cystitis / lower urinary tract disease: ulcerative or interstitial cystitis has been reported "
         "with long-term ketamine use; monitor urinary symptoms.", ("spravato_pi", "ketalar_pi"), WARNING),
    ),
    (
        {"current_suicidal_intent": True},
        ("current_suicidal_intent", "relative", "Current suicidal intent",
         "Current suicidal intent: needs same-day risk assessment and a safety plan; closely monitor for "
         "clinical worsening and suicidal thoughts and behaviours.", ("spravato_pi", "sanacora2017"), WARNING),
    ),
]


@pytest.mark.parametrize("answers,finding", RULE_FINDINGS, ids=[f[0] for _, f in RULE_FINDINGS])
def test_each_rule_reports_its_finding_word_for_word(answers, finding):
    result = screen(replace(CLEAR, **answers))
    assert [pinned(r) for r in result.reasons] == [finding]
    absolute = finding[1] == "absolute"
    assert result.status == ("not_eligible" if absolute else "eligible_with_cautions")
    assert result.label == ("Not eligible" if absolute else "Eligible with cautions")
    assert result.blocks_planning is absolute
    assert len(result.absolute) == int(absolute) and len(result.cautions) == int(not absolute)


def test_a_clear_screen_is_stored_as_eligible_with_nothing_found():
    assert screen(CLEAR).as_dict() == {"status": "eligible", "label": "Eligible", "reasons": []}


def test_a_finding_is_stored_with_every_field_and_its_citations():
    data = screen(replace(CLEAR, breastfeeding=True)).as_dict()
    assert data["status"] == "eligible_with_cautions" and data["label"] == "Eligible with cautions"
    [reason] = data["reasons"]
    assert reason == {
        "code": "breastfeeding",
        "severity": "relative",
        "title": "Breastfeeding",
        "detail": "Breastfeeding is not recommended during treatment with esketamine (present in breast milk).",
        "basis": "label warning",
        "sources": [
            "SPRAVATO (esketamine) nasal spray, US Prescribing Information, Janssen Pharmaceuticals "
            "(Contraindications; Warnings and Precautions; Drug Interactions; Use in Specific Populations)."
        ],
    }


# ---- blood pressure: both limits are "above", so the limit itself is the lower finding ------------------------


@pytest.mark.parametrize(
    "sbp,dbp,expected",
    [
        (140, 90, []),
        (141, 90, ["elevated_baseline_bp"]),
        (140, 91, ["elevated_baseline_bp"]),
        (180, 90, ["elevated_baseline_bp"]),
        (181, 90, ["uncontrolled_hypertension"]),
        (140, 100, ["elevated_baseline_bp"]),
        (140, 101, ["uncontrolled_hypertension"]),
        (180, 100, ["elevated_baseline_bp"]),
    ],
)
def test_blood_pressure_limits_are_exclusive(sbp, dbp, expected):
    assert codes(screen(replace(CLEAR, systolic_bp_mmhg=sbp, diastolic_bp_mmhg=dbp))) == expected


@pytest.mark.parametrize(
    "sbp,dbp,expected",
    [
        (181, None, ["uncontrolled_hypertension", "unanswered:diastolic_bp_mmhg"]),
        (None, 101, ["uncontrolled_hypertension", "unanswered:systolic_bp_mmhg"]),
        (141, None, ["elevated_baseline_bp", "unanswered:diastolic_bp_mmhg"]),
        (None, 91, ["elevated_baseline_bp", "unanswered:systolic_bp_mmhg"]),
        (None, None, ["unanswered:systolic_bp_mmhg", "unanswered:diastolic_bp_mmhg"]),
    ],
)
def test_one_blood_pressure_reading_missing_still_judges_the_other(sbp, dbp, expected):
    assert codes(screen(replace(CLEAR, systolic_bp_mmhg=sbp, diastolic_bp_mmhg=dbp))) == expected


@pytest.mark.parametrize(
    "hypertension,controlled,expected",
    [
        (False, False, []),
        (False, True, []),
        (None, False, ["unanswered:hypertension"]),
        (True, None, ["unanswered:hypertension_controlled"]),
    ],
)
def test_control_of_hypertension_counts_only_when_hypertension_is_recorded(hypertension, controlled, expected):
    result = screen(replace(CLEAR, hypertension=hypertension, hypertension_controlled=controlled))
    assert codes(result) == expected


def test_a_high_reading_with_controlled_hypertension_is_uncontrolled_only():
    result = screen(replace(CLEAR, hypertension=True, hypertension_controlled=True, systolic_bp_mmhg=185))
    assert codes(result) == ["uncontrolled_hypertension"]
    result = screen(replace(CLEAR, hypertension=True, hypertension_controlled=True, systolic_bp_mmhg=150))
    assert codes(result) == ["elevated_baseline_bp", "controlled_hypertension"]


def test_hypertension_with_control_unanswered_asks_for_it_word_for_word():
    [reason] = screen(replace(CLEAR, hypertension=True)).reasons
    assert pinned(reason) == (
        "unanswered:hypertension_controlled", "relative", "Not recorded: whether hypertension is controlled",
        "Hypertension is recorded but not whether it is controlled.", ("spravato_pi",),
        "pre-treatment evaluation recommended",
    )


# ---- the current condition is reported, not its history as well ---------------------------------------------


@pytest.mark.parametrize(
    "answers,expected",
    [
        ({"bipolar_disorder": True, "current_mania": True}, ["current_mania"]),
        ({"substance_use_disorder_history": True, "active_substance_use_disorder": True},
         ["active_substance_use_disorder"]),
        ({"psychosis_history": True, "active_psychosis": True}, ["active_psychosis"]),
    ],
)
def test_the_current_condition_replaces_the_history(answers, expected):
    assert codes(screen(replace(CLEAR, **answers))) == expected


@pytest.mark.parametrize("age,expected", [(17, ["under_18"]), (18, []), (None, ["unanswered:age_years"])])
def test_age_limit(age, expected):
    assert codes(screen(replace(CLEAR, age_years=age))) == expected


# ---- unanswered items: each named in the clinic's words -----------------------------------------------------

UNANSWERED_TITLES = {
    "age_years": "Not recorded: Age",
    "systolic_bp_mmhg": "Not recorded: Baseline systolic blood pressure",
    "diastolic_bp_mmhg": "Not recorded: Baseline diastolic blood pressure",
    "hypertension": "Not recorded: Hypertension history",
    "unstable_cardiac_disease": "Not recorded: Unstable cardiac disease",
    "aneurysmal_vascular_disease": "Not recorded: Aneurysmal vascular disease",
    "arteriovenous_malformation": "Not recorded: Arteriovenous malformation",
    "intracerebral_haemorrhage_history": "Not recorded: History of intracerebral haemorrhage",
    "raised_intracranial_pressure": "Not recorded: Raised intracranial pressure",
    "raised_intraocular_pressure": "Not recorded: Raised intraocular pressure",
    "severe_liver_disease": "Not recorded: Severe liver disease",
    "interstitial_cystitis": "Not recorded: Interstitial / ulcerative cystitis",
    "ketamine_hypersensitivity": "Not recorded: Hypersensitivity to ketamine or esketamine",
    "pregnant": "Not recorded: Pregnancy",
    "breastfeeding": "Not recorded: Breastfeeding",
    "active_psychosis": "Not recorded: Current psychotic symptoms",
    "psychosis_history": "Not recorded: History of psychosis",
    "current_mania": "Not recorded: Current mania / hypomania",
    "bipolar_disorder": "Not recorded: Bipolar disorder",
    "active_substance_use_disorder": "Not recorded: Current substance use disorder",
    "substance_use_disorder_history": "Not recorded: Past substance use disorder",
    "ketamine_misuse_history": "Not recorded: History of ketamine (or other dissociative) misuse",
    "current_suicidal_intent": "Not recorded: Current suicidal intent",
}


def test_every_unanswered_item_is_named_word_for_word_in_the_form_order():
    result = screen(ScreeningFacts())
    assert result.status == "eligible_with_cautions"
    assert [(r.code, r.title) for r in result.reasons] == [
        (f"unanswered:{name}", title) for name, title in UNANSWERED_TITLES.items()
    ]
    for reason in result.reasons:
        assert reason.severity == "relative"
        assert reason.detail == (
            "This screening item was not answered; record it, or give a reason for proceeding without it."
        )
        assert tuple(s.key for s in reason.sources) == ("sanacora2017",)
        assert reason.basis == "pre-treatment evaluation recommended"


# ---- treatment history short of the treatment-resistance definition ------------------------------------------


@pytest.mark.parametrize("failed", [0, 1])
def test_fewer_than_two_failed_trials_is_a_caution_word_for_word(failed):
    [reason] = screen(replace(CLEAR, failed_adequate_trials=failed)).reasons
    assert pinned(reason) == (
        "not_treatment_resistant", "relative", "Does not meet the treatment-resistance definition",
        f"{failed} failed adequate antidepressant trial(s) in the current episode; the definition needs at least "
        "2. The esketamine indication and most of the evidence for ketamine in depression are in "
        "treatment-resistant depression: record the earlier trials, or the reason for treating before two "
        "adequate trials have failed.",
        ("mgh_atrq", "spravato_pi", "sanacora2017"), CLINIC,
    )


@pytest.mark.parametrize("failed", [2, 3, None])
def test_two_failed_trials_or_no_history_in_the_screen_is_no_caution(failed):
    assert screen(replace(CLEAR, failed_adequate_trials=failed)).reasons == ()


# ---- interactions ------------------------------------------------------------------------------------------

INTERACTION_FINDINGS = [
    (
        "diazepam 5 mg; Xanax",
        ("interaction:benzodiazepine", "interaction", "Benzodiazepine: diazepam, xanax",
         "Benzodiazepines may blunt the antidepressant response to ketamine (especially higher doses) and add to "
         "sedation. Consider reducing or withholding the dose before sessions.",
         ("andrashko2020", "andrade2017_interactions", "spravato_pi"), "label / published interaction"),
    ),
    (
        "Lamictal 100 mg",
        ("interaction:lamotrigine", "interaction", "Lamotrigine: lamictal",
         "Lamotrigine (a glutamate-release inhibitor) reduced ketamine's dissociative and psychotomimetic effects "
         "in healthy volunteers; whether it blunts the antidepressant response is not established. Note it when "
         "judging dissociation and response.", ("anand2000", "andrade2017_interactions"),
         "label / published interaction"),
    ),
    (
        "phenelzine",
        ("interaction:maoi", "interaction", "Monoamine oxidase inhibitor: phenelzine",
         "MAOIs with ketamine/esketamine may increase blood pressure: monitor blood pressure closely.",
         ("spravato_pi",), "label / published interaction"),
    ),
    (
        "modafinil",
        ("interaction:psychostimulant", "interaction", "Psychostimulant: modafinil",
         "Psychostimulants (amphetamines, methylphenidate, modafinil, armodafinil) may increase blood pressure: "
         "monitor blood pressure closely.", ("spravato_pi",), "label / published interaction"),
    ),
    (
        "tramadol",
        ("interaction:opioid", "interaction", "Opioid / CNS depressant: tramadol",
         "Opioids and other CNS depressants may increase sedation: monitor closely for sedation.",
         ("spravato_pi",), "label / published interaction"),
    ),
]


@pytest.mark.parametrize("medications,finding", INTERACTION_FINDINGS, ids=[f[0] for _, f in INTERACTION_FINDINGS])
def test_each_interaction_word_for_word(medications, finding):
    result = screen(replace(CLEAR, medications=medications))
    assert [pinned(r) for r in result.reasons] == [finding]
    assert result.status == "eligible_with_cautions"


# ---- the chart's coded diagnoses ------------------------------------------------------------------------------


def finding(fact, code, description="", means="what the code says", sources=("icd10cm",)):
    return ChartFinding(fact, code, description, means, sources)


# Rule code -> the screening fact a coded diagnosis establishes for it (and the answers that make it apply).
CODED_RULES = [
    ("aneurysmal_vascular_disease", "aneurysmal_vascular_disease", {}),
    ("arteriovenous_malformation", "arteriovenous_malformation", {}),
    ("intracerebral_haemorrhage", "intracerebral_haemorrhage_history", {}),
    ("unstable_cardiac_disease", "unstable_cardiac_disease", {}),
    ("raised_intracranial_pressure", "raised_intracranial_pressure", {}),
    ("pregnancy", "pregnant", {}),
    ("current_mania", "current_mania", {}),
    ("active_substance_use_disorder", "active_substance_use_disorder", {}),
    ("controlled_hypertension", "hypertension", {"hypertension_controlled": True}),
    ("psychosis_history", "psychosis_history", {}),
    ("bipolar_disorder", "bipolar_disorder", {}),
    ("substance_use_disorder_history", "substance_use_disorder_history", {}),
    ("breastfeeding", "breastfeeding", {}),
    ("raised_intraocular_pressure", "raised_intraocular_pressure", {}),
    ("severe_liver_disease", "severe_liver_disease", {}),
    ("interstitial_cystitis", "interstitial_cystitis", {}),
]


@pytest.mark.parametrize("rule_code,fact,answers", CODED_RULES, ids=[c[0] for c in CODED_RULES])
def test_a_finding_the_chart_establishes_names_the_code(rule_code, fact, answers):
    facts = replace(CLEAR, **{fact: None, **answers}, chart=(finding(fact, "X1.2", "Coded title"),))
    [reason] = screen(facts).reasons
    assert reason.code == rule_code
    assert reason.detail.endswith(" Coded on the chart: X1.2 Coded title.")
    # The same answer given at intake (not from the chart) names no code.
    [plain] = screen(replace(CLEAR, **{fact: True, **answers})).reasons
    assert reason.detail == f"{plain.detail} Coded on the chart: X1.2 Coded title."


def test_a_code_without_a_description_is_named_alone_and_several_codes_are_listed():
    facts = replace(
        CLEAR,
        bipolar_disorder=None,
        chart=(finding("bipolar_disorder", "F31.32"), finding("bipolar_disorder", "F31.81", "Bipolar II")),
    )
    [reason] = screen(facts).reasons
    assert reason.detail.endswith(" Coded on the chart: F31.32; F31.81 Bipolar II.")


def test_a_no_the_chart_contradicts_is_a_mismatch_word_for_word():
    facts = replace(
        CLEAR,
        chart=(
            finding("bipolar_disorder", "F31.32", "Bipolar disorder, current episode depressed, moderate",
                    "bipolar disorder", ("icd10cm",)),
            finding("bipolar_disorder", "F31.81", "", "bipolar disorder", ("icd10cm", "icd10cm_guidelines")),
            finding("bipolar_disorder", "F31.9", "", "another meaning", ("icd10cm_guidelines",)),
        ),
    )
    result = screen(facts)
    [reason] = result.reasons
    assert pinned(reason) == (
        "chart_mismatch:bipolar_disorder", "mismatch", "The chart and the screening disagree: Bipolar disorder",
        "The screening answer is No, but the chart is coded F31.32 Bipolar disorder, current episode depressed, "
        "moderate; F31.81; F31.9 (bipolar disorder; another meaning). A prescriber must resolve this before the "
        "patient can be cleared to proceed: correct the intake answer, or record why the coded diagnosis does not "
        "apply (and have the chart corrected).",
        ("icd10cm", "icd10cm_guidelines"),
        "chart cross-check (clinic policy)",
    )
    assert result.status == "eligible_with_cautions"
    assert result.mismatches == (reason,) and result.cautions == (reason,) and result.absolute == ()


def test_a_mismatch_on_an_item_with_no_form_label_is_named_in_words():
    facts = replace(CLEAR, hypertension_controlled=False, chart=(finding("hypertension_controlled", "Z00"),))
    [reason] = screen(facts).reasons
    assert reason.title == "The chart and the screening disagree: hypertension controlled"


def test_a_chart_finding_for_an_item_answered_yes_is_neither_filled_nor_a_mismatch():
    facts = replace(CLEAR, breastfeeding=True, chart=(finding("breastfeeding", "Z39.1"),))
    assert codes(screen(facts)) == ["breastfeeding"]


def test_findings_are_listed_absolute_then_mismatch_then_relative_then_interaction():
    facts = replace(
        CLEAR,
        medications="tramadol",
        breastfeeding=True,
        age_years=None,
        failed_adequate_trials=1,
        pregnant=True,
        chart=(finding("bipolar_disorder", "F31.32"),),
    )
    result = screen(facts)
    assert codes(result) == [
        "pregnancy",
        "chart_mismatch:bipolar_disorder",
        "breastfeeding",
        "not_treatment_resistant",
        "unanswered:age_years",
        "interaction:opioid",
    ]
    assert result.status == "not_eligible" and result.blocks_planning
    assert [r.code for r in result.absolute] == ["pregnancy"]
    assert [r.code for r in result.mismatches] == ["chart_mismatch:bipolar_disorder"]
    assert len(result.cautions) == 5


def test_status_labels():
    assert EligibilityResult("eligible", ()).label == "Eligible"
    assert EligibilityResult("eligible_with_cautions", ()).label == "Eligible with cautions"
    assert EligibilityResult("not_eligible", ()).label == "Not eligible"
    assert not EligibilityResult("eligible_with_cautions", ()).blocks_planning


# ---- storage ----------------------------------------------------------------------------------------------


def test_facts_are_stored_and_read_back_with_the_chart():
    facts = replace(
        CLEAR,
        medications="lamotrigine",
        failed_adequate_trials=3,
        chart=(finding("bipolar_disorder", "F31.32", "Bipolar", "bipolar disorder", ("icd10cm",)),),
    )
    data = facts.as_dict()
    assert data["chart"] == [
        {"fact": "bipolar_disorder", "code": "F31.32", "description": "Bipolar", "means": "bipolar disorder",
         "sources": ["icd10cm"]}
    ]
    assert data["medications"] == "lamotrigine" and data["failed_adequate_trials"] == 3
    assert data["pregnant"] is False and data["hypertension_controlled"] is None
    assert ScreeningFacts.from_mapping(data) == facts
    # Findings already built are kept as they are; keys this version does not know are ignored.
    assert ScreeningFacts.from_mapping({"chart": list(facts.chart), "shoe_size": 42}).chart == facts.chart
    assert ScreeningFacts.from_mapping({"pregnant": True}) == ScreeningFacts(pregnant=True)


def test_answer_reads_one_item():
    assert CLEAR.answer("pregnant") is False
    assert CLEAR.answer("age_years") == 45
    assert ScreeningFacts().answer("pregnant") is None
