"""Eligibility screening: each contraindication, combinations, interactions, and that every reason has a source."""

from dataclasses import fields, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketamine_clinic.core.safety.eligibility import (
    ABSOLUTE,
    ELIGIBLE,
    ELIGIBLE_WITH_CAUTIONS,
    INTERACTION,
    NOT_ELIGIBLE,
    RELATIVE,
    REQUIRED_ITEMS,
    RULES,
    ScreeningFacts,
    screen,
)
from ketamine_clinic.core.safety.sources import SOURCES

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


def codes(result):
    return {r.code for r in result.reasons}


def test_clear_screen_is_eligible_with_no_reasons():
    result = screen(CLEAR)
    assert result.status == ELIGIBLE
    assert result.reasons == ()
    assert not result.blocks_planning


@pytest.mark.parametrize(
    "field,code",
    [
        ("ketamine_hypersensitivity", "hypersensitivity"),
        ("aneurysmal_vascular_disease", "aneurysmal_vascular_disease"),
        ("arteriovenous_malformation", "arteriovenous_malformation"),
        ("intracerebral_haemorrhage_history", "intracerebral_haemorrhage"),
        ("unstable_cardiac_disease", "unstable_cardiac_disease"),
        ("raised_intracranial_pressure", "raised_intracranial_pressure"),
        ("pregnant", "pregnancy"),
        ("active_psychosis", "active_psychosis"),
        ("current_mania", "current_mania"),
        ("active_substance_use_disorder", "active_substance_use_disorder"),
        ("ketamine_misuse_history", "ketamine_misuse_history"),
    ],
)
def test_each_absolute_contraindication_makes_patient_not_eligible(field, code):
    result = screen(replace(CLEAR, **{field: True}))
    assert result.status == NOT_ELIGIBLE
    assert result.blocks_planning
    assert codes(result) == {code}
    assert result.reasons[0].severity == ABSOLUTE


@pytest.mark.parametrize(
    "field,code",
    [
        ("psychosis_history", "psychosis_history"),
        ("bipolar_disorder", "bipolar_disorder"),
        ("substance_use_disorder_history", "substance_use_disorder_history"),
        ("breastfeeding", "breastfeeding"),
        ("raised_intraocular_pressure", "raised_intraocular_pressure"),
        ("severe_liver_disease", "severe_liver_disease"),
        ("interstitial_cystitis", "interstitial_cystitis"),
        ("current_suicidal_intent", "current_suicidal_intent"),
    ],
)
def test_each_relative_contraindication_gives_cautions(field, code):
    result = screen(replace(CLEAR, **{field: True}))
    assert result.status == ELIGIBLE_WITH_CAUTIONS
    assert not result.blocks_planning
    assert codes(result) == {code}
    assert result.reasons[0].severity == RELATIVE


def test_under_18_is_not_eligible_and_18_is():
    assert screen(replace(CLEAR, age_years=17)).status == NOT_ELIGIBLE
    assert screen(replace(CLEAR, age_years=18)).status == ELIGIBLE


def test_blood_pressure_thresholds():
    # At the label's example threshold (140/90) nothing is flagged; above it is a caution.
    assert screen(replace(CLEAR, systolic_bp_mmhg=140, diastolic_bp_mmhg=90)).status == ELIGIBLE
    assert codes(screen(replace(CLEAR, systolic_bp_mmhg=141))) == {"elevated_baseline_bp"}
    assert codes(screen(replace(CLEAR, diastolic_bp_mmhg=91))) == {"elevated_baseline_bp"}
    # Above 180/100 it is uncontrolled hypertension: absolute, and not double-reported as "elevated".
    result = screen(replace(CLEAR, systolic_bp_mmhg=185, diastolic_bp_mmhg=95))
    assert result.status == NOT_ELIGIBLE
    assert codes(result) == {"uncontrolled_hypertension"}
    assert codes(screen(replace(CLEAR, diastolic_bp_mmhg=101))) == {"uncontrolled_hypertension"}


def test_hypertension_recorded_uncontrolled_blocks_even_with_normal_reading():
    result = screen(replace(CLEAR, hypertension=True, hypertension_controlled=False))
    assert result.status == NOT_ELIGIBLE
    assert codes(result) == {"uncontrolled_hypertension"}


def test_controlled_hypertension_is_a_caution():
    result = screen(replace(CLEAR, hypertension=True, hypertension_controlled=True))
    assert result.status == ELIGIBLE_WITH_CAUTIONS
    assert codes(result) == {"controlled_hypertension"}


def test_hypertension_without_control_status_asks_for_it():
    result = screen(replace(CLEAR, hypertension=True))
    assert codes(result) == {"unanswered:hypertension_controlled"}


def test_current_psychosis_is_not_also_reported_as_history():
    result = screen(replace(CLEAR, active_psychosis=True, psychosis_history=True))
    assert codes(result) == {"active_psychosis"}


def test_combination_absolute_wins_and_every_reason_is_listed_absolute_first():
    facts = replace(
        CLEAR,
        pregnant=True,
        severe_liver_disease=True,
        bipolar_disorder=True,
        medications="sertraline 100 mg; clonazepam 0.5 mg bd",
    )
    result = screen(facts)
    assert result.status == NOT_ELIGIBLE
    assert codes(result) == {
        "pregnancy",
        "severe_liver_disease",
        "bipolar_disorder",
        "interaction:benzodiazepine",
    }
    severities = [r.severity for r in result.reasons]
    assert severities == sorted(severities, key={ABSOLUTE: 0, RELATIVE: 1, INTERACTION: 2}.get)
    assert len(result.absolute) == 1 and len(result.cautions) == 3


def test_several_cautions_without_absolute_stay_eligible_with_cautions():
    result = screen(replace(CLEAR, breastfeeding=True, interstitial_cystitis=True, medications="Adderall XR"))
    assert result.status == ELIGIBLE_WITH_CAUTIONS
    assert codes(result) == {"breastfeeding", "interstitial_cystitis", "interaction:psychostimulant"}


@pytest.mark.parametrize(
    "text,code",
    [
        ("Lorazepam 1 mg prn", "interaction:benzodiazepine"),
        ("lamotrigine 200mg", "interaction:lamotrigine"),
        ("Phenelzine 15 mg tds", "interaction:maoi"),
        ("methylphenidate; modafinil", "interaction:psychostimulant"),
        ("tramadol 50 mg", "interaction:opioid"),
    ],
)
def test_interaction_warnings_from_free_text_medication_list(text, code):
    result = screen(replace(CLEAR, medications=text))
    assert result.status == ELIGIBLE_WITH_CAUTIONS
    assert codes(result) == {code}
    assert result.reasons[0].severity == INTERACTION


def test_medication_matching_is_by_whole_word():
    # "valiumish" is not valium; sertraline alone interacts with nothing in the list.
    assert screen(replace(CLEAR, medications="valiumish tea; sertraline")).status == ELIGIBLE


def test_unanswered_items_are_cautions_never_silently_absent():
    result = screen(ScreeningFacts())
    assert result.status == ELIGIBLE_WITH_CAUTIONS
    assert {f"unanswered:{name}" for name in REQUIRED_ITEMS} == codes(result)


def test_every_rule_and_every_reason_carries_a_known_source():
    known = set(SOURCES.values())
    for rule in RULES:
        reason = rule.reason()
        assert reason.sources, rule.code
        assert set(reason.sources) <= known
        assert reason.basis
    # Every boolean item set to True at once: all reasons produced must have sources too.
    everything = ScreeningFacts(
        age_years=16,
        systolic_bp_mmhg=200,
        diastolic_bp_mmhg=120,
        medications="diazepam lamotrigine phenelzine dexamfetamine adderall oxycodone",
        **{f.name: True for f in fields(ScreeningFacts) if f.type == "bool | None" or f.type == bool | None},
    )
    result = screen(everything)
    assert result.status == NOT_ELIGIBLE
    assert len(result.reasons) >= 15
    for reason in result.reasons:
        assert reason.sources and all(str(s) for s in reason.sources)
        assert reason.as_dict()["sources"]


def test_result_serialises_for_storage():
    data = screen(replace(CLEAR, breastfeeding=True)).as_dict()
    assert data["status"] == ELIGIBLE_WITH_CAUTIONS
    assert data["label"] == "Eligible with cautions"
    assert data["reasons"][0]["code"] == "breastfeeding"
    assert "SPRAVATO" in data["reasons"][0]["sources"][0]


def test_facts_from_mapping_ignores_unknown_keys():
    facts = ScreeningFacts.from_mapping({"pregnant": True, "shoe_size": 42})
    assert facts.pregnant is True


_BOOL_FIELDS = [f.name for f in fields(ScreeningFacts) if f.type == bool | None]


@given(
    answers=st.fixed_dictionaries({name: st.sampled_from([True, False, None]) for name in _BOOL_FIELDS}),
    age=st.one_of(st.none(), st.integers(min_value=10, max_value=95)),
    sbp=st.one_of(st.none(), st.integers(min_value=80, max_value=220)),
    dbp=st.one_of(st.none(), st.integers(min_value=40, max_value=130)),
)
@settings(max_examples=200, deadline=None)
def test_verdict_always_follows_from_the_reasons(answers, age, sbp, dbp):
    result = screen(ScreeningFacts(age_years=age, systolic_bp_mmhg=sbp, diastolic_bp_mmhg=dbp, **answers))
    has_absolute = any(r.severity == ABSOLUTE for r in result.reasons)
    assert (result.status == NOT_ELIGIBLE) == has_absolute
    assert (result.status == ELIGIBLE) == (not result.reasons)
    assert all(r.sources for r in result.reasons)
    assert len({r.code for r in result.reasons}) == len(result.reasons)  # no reason reported twice
    # Any single "yes" to an absolute item can never end up eligible.
    for rule in RULES:
        if rule.severity == ABSOLUTE and rule.applies(
            ScreeningFacts(age_years=age, systolic_bp_mmhg=sbp, diastolic_bp_mmhg=dbp, **answers)
        ):
            assert result.status == NOT_ELIGIBLE
