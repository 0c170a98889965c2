"""The pre-dose checklist word for word and level by level (mutation testing, docs/mutation.md).

The broader tests check that the gate blocks or passes; mutation testing showed a finding's level, code, words
or source could be changed without any test noticing (e.g. a positive pregnancy test's level "stop" -> "STOP",
which ``by_level("stop")`` no longer sees). These tests pin the whole checklist for five bedside situations.
"""

import datetime as dt

import pytest

from ketamine_clinic.core.administration.predose import (
    BloodPressureGate,
    PreDoseChecks,
    PreDoseRules,
    classify_bp,
    evaluate_pre_dose,
    pregnancy_test_applicable,
)
from ketamine_clinic.core.administration.vitals import VitalSigns

D = dt.date(2026, 3, 2)
PI = "SPRAVATO prescribing information (Janssen 2019, rev. 2023)"
ESCORT_SOURCE = f"{PI}, section 5.8"
PREGNANCY_SOURCE = f"{PI}, 8.1"
LABEL_2_1 = (
    "SPRAVATO (esketamine) nasal spray US Prescribing Information, Janssen 2019 (rev. 2023), section 2.1"
)
BP_STOP_SOURCE = (
    "clinic-defined hard stop at Williams et al., 2018 ESC/ESH hypertension guidelines, Eur Heart J 2018;39:3021 "
    "(grade 3)"
)
MEASURES_SOURCE = "clinic protocol (Kroenke et al. 2001; Posner et al. 2011)"
SUICIDE_SOURCE = "clinic protocol (C-SSRS screener, Posner et al. Am J Psychiatry 2011)"

SITUATIONS = {
    "nothing_recorded": PreDoseChecks(D, True, pregnancy_test_applicable=True),
    "all_clear_nasal_spray": PreDoseChecks(
        D,
        False,
        baseline=VitalSigns(140, 90, 70, 98, 14),
        fasting_confirmed=True,
        escort_confirmed=True,
        pregnancy_test_applicable=True,
        pregnancy_test="negative",
        measures_done=frozenset({"phq9", "cssrs"}),
        route="intranasal",
        consent_current=True,
        eligibility_current=True,
    ),
    "everything_wrong_iv": PreDoseChecks(
        D,
        True,
        weight_kg=80,
        weight_measured_on=D - dt.timedelta(days=1),
        baseline=VitalSigns(180, 100, 70, 98, 14),
        fasting_confirmed=False,
        escort_confirmed=False,
        pregnancy_test_applicable=True,
        pregnancy_test="positive",
        measures_done=frozenset({"phq9"}),
        suicide_risk_flagged=True,
        open_suicide_tasks=("C-SSRS item 4, 1 Mar",),
        suicide_items_noted=("item 1", "item 2"),
        route="iv",
        consent_current=False,
        consent_problem="Consent expired on 2026-02-01.",
        eligibility_current=False,
    ),
    "cautions_generic": PreDoseChecks(
        D,
        True,
        weight_kg=72.5,
        weight_measured_on=D,
        baseline=VitalSigns(141, 90, 70, 98, 14),
        fasting_confirmed=None,
        escort_confirmed=None,
        pregnancy_test_applicable=True,
        pregnancy_test="declined",
        suicide_risk_flagged=True,
        consent_current=None,
        eligibility_current=False,
        eligibility_problem="Eligibility needs review.",
    ),
    "vitals_incomplete": PreDoseChecks(
        D, False, baseline=VitalSigns(120, 80, 70, 98, None), fasting_confirmed=True, route="oral"
    ),
}

EXPECTED = {
    "nothing_recorded": [
        ("weight", "missing", "Record today's weight (the dose is weight-based).", ""),
        ("baseline_vitals", "missing", "Record baseline vitals (BP, heart rate, SpO2, resp. rate).", ""),
        ("fasting", "missing", "Confirm fasting.", ""),
        ("escort", "missing", "Confirm an escort or ride home.", ESCORT_SOURCE),
        ("pregnancy", "missing", "Record the pregnancy test result.", PREGNANCY_SOURCE),
        (
            "measures",
            "missing",
            "Pre-dose measures not taken: PHQ-9, C-SSRS screener (a scored questionnaire within 24 h before the dose).",
            MEASURES_SOURCE,
        ),
        ("consent", "missing", "Consent status unknown.", ""),
        ("eligibility", "missing", "Eligibility status unknown.", ""),
    ],
    "all_clear_nasal_spray": [
        ("weight", "ok", "Fixed dose: weight not needed for the dose.", ""),
        ("baseline_vitals", "ok", "Baseline vitals recorded.", ""),
        ("bp", "ok", "Baseline BP 140/90 mmHg.", LABEL_2_1),
        ("fasting", "ok", "Fasting confirmed (no food 2 h, no liquids 30 min).", LABEL_2_1),
        ("escort", "ok", "Escort / ride home confirmed.", ESCORT_SOURCE),
        ("pregnancy", "ok", "Pregnancy test negative.", PREGNANCY_SOURCE),
        ("measures", "ok", "Pre-dose measures taken and scored.", ""),
        ("consent", "ok", "Consent current.", ""),
        ("eligibility", "ok", "Eligibility current.", ""),
    ],
    "everything_wrong_iv": [
        ("weight", "missing", "Weight was measured on 2026-03-01; weigh the patient today.", ""),
        ("baseline_vitals", "ok", "Baseline vitals recorded.", ""),
        (
            "bp",
            "stop",
            "Baseline BP 180/100 mmHg is at or above the hard stop 180/110; re-check after rest.",
            BP_STOP_SOURCE,
        ),
        (
            "fasting",
            "stop",
            "Patient has not fasted (no food 4 h, no clear fluids 2 h before dosing).",
            "clinic-defined",
        ),
        (
            "escort",
            "stop",
            "No escort or ride home: the patient must not drive until the next day.",
            ESCORT_SOURCE,
        ),
        ("pregnancy", "stop", "Pregnancy test positive.", PREGNANCY_SOURCE),
        (
            "measures",
            "missing",
            "Pre-dose measures not taken: C-SSRS screener (a scored questionnaire within 24 h before the dose).",
            MEASURES_SOURCE,
        ),
        (
            "suicide_risk",
            "hold",
            "Open urgent suicide-risk task (C-SSRS item 4, 1 Mar): the prescriber must record a disposition before dosing.",
            SUICIDE_SOURCE,
        ),
        (
            "suicide_items",
            "caution",
            "Suicide item answered below the escalation level (item 1; item 2): the prescriber reviews it before dosing.",
            SUICIDE_SOURCE,
        ),
        ("consent", "stop", "Consent expired on 2026-02-01.", ""),
        ("eligibility", "stop", "Eligibility decision is not current.", ""),
    ],
    "cautions_generic": [
        ("weight", "ok", "Weight 72.5 kg measured today.", ""),
        ("baseline_vitals", "ok", "Baseline vitals recorded.", ""),
        (
            "bp",
            "caution",
            "Baseline BP 141/90 mmHg is above 140/90: weigh the risk of a short-term rise before dosing.",
            LABEL_2_1,
        ),
        ("fasting", "missing", "Confirm fasting.", ""),
        ("escort", "missing", "Confirm an escort or ride home.", ESCORT_SOURCE),
        ("pregnancy", "caution", "Pregnancy test declined: prescriber to review.", PREGNANCY_SOURCE),
        (
            "measures",
            "missing",
            "Pre-dose measures not taken: PHQ-9, C-SSRS screener (a scored questionnaire within 24 h before the dose).",
            MEASURES_SOURCE,
        ),
        (
            "suicide_risk",
            "stop",
            "Today's measures flag suicide risk: the prescriber must assess before dosing and record the disposition as the override reason.",
            SUICIDE_SOURCE,
        ),
        ("consent", "missing", "Consent status unknown.", ""),
        ("eligibility", "stop", "Eligibility needs review.", ""),
    ],
    "vitals_incomplete": [
        ("weight", "ok", "Fixed dose: weight not needed for the dose.", ""),
        ("baseline_vitals", "missing", "Record baseline vitals (BP, heart rate, SpO2, resp. rate).", ""),
        ("fasting", "ok", "Fasting confirmed (no food 4 h, no clear fluids 2 h).", "clinic-defined"),
        ("escort", "missing", "Confirm an escort or ride home.", ESCORT_SOURCE),
        (
            "measures",
            "missing",
            "Pre-dose measures not taken: PHQ-9, C-SSRS screener (a scored questionnaire within 24 h before the dose).",
            MEASURES_SOURCE,
        ),
        ("consent", "missing", "Consent status unknown.", ""),
        ("eligibility", "missing", "Eligibility status unknown.", ""),
    ],
}


@pytest.mark.parametrize("situation", list(SITUATIONS))
def test_the_checklist_word_for_word(situation):
    result = evaluate_pre_dose(SITUATIONS[situation])
    assert [(f.code, f.level, f.message, f.source) for f in result.findings] == EXPECTED[situation]


def test_the_gate_lists_holds_then_stops_then_missing_and_only_holds_cannot_be_overridden():
    result = evaluate_pre_dose(SITUATIONS["everything_wrong_iv"])
    gate = result.gate()
    assert gate.name == "Pre-dose checks"
    messages = {f.code: f.message for f in result.findings}
    assert gate.blocking[0] == messages["suicide_risk"]
    assert gate.blocking[1] == messages["bp"]
    assert gate.blocking[-1] == messages["measures"]
    assert (
        len(gate.blocking) == 1 + 6 + 2
    )  # 1 hold, 6 stops, 2 missing (weight, measures); the caution is not
    assert gate.not_overridable == (messages["suicide_risk"],)
    assert not result.may_proceed
    assert evaluate_pre_dose(SITUATIONS["all_clear_nasal_spray"]).may_proceed


def test_weight_age_is_configurable():
    checks = PreDoseChecks(D, True, weight_kg=80, weight_measured_on=D - dt.timedelta(days=1))
    assert evaluate_pre_dose(checks, PreDoseRules(weight_max_age_days=1)).findings[0].level == "ok"
    assert evaluate_pre_dose(checks).findings[0].level == "missing"


def test_a_configured_bp_gate_replaces_the_route_limits():
    checks = PreDoseChecks(D, False, baseline=VitalSigns(150, 80, 70, 98, 14), route="iv")
    assert evaluate_pre_dose(checks).findings[2].level == "caution"
    gate = BloodPressureGate(caution_sbp=160, stop_sbp=200)
    assert evaluate_pre_dose(checks, PreDoseRules(bp_gate=gate)).findings[2].level == "ok"


@pytest.mark.parametrize(
    ("sbp", "dbp", "level"),
    [
        (140, 90, "ok"),
        (141, 90, "caution"),
        (140, 91, "caution"),
        (179, 109, "caution"),
        (180, 60, "stop"),
        (120, 110, "stop"),
    ],
)
def test_bp_boundaries(sbp, dbp, level):
    assert classify_bp(sbp, dbp, BloodPressureGate()).level == level


@pytest.mark.parametrize(
    ("sex", "age", "applies"),
    [
        ("F", 12, True),
        ("female", 55, True),
        ("f", 30, True),
        ("F", 11, False),
        ("F", 56, False),
        ("M", 30, False),
    ],
)
def test_pregnancy_test_applies_to_women_12_to_55_inclusive(sex, age, applies):
    assert pregnancy_test_applicable(sex, age) is applies
    assert pregnancy_test_applicable(sex, age, PreDoseRules(pregnancy_test_ages=(10, 60))) is (sex != "M")


def test_generic_prompts_and_partial_entries():
    ok = PreDoseChecks(D, False, fasting_confirmed=True, consent_current=False)
    found = {f.code: f for f in evaluate_pre_dose(ok).findings}
    assert found["fasting"].message == "Fasting confirmed."
    assert found["consent"].message == "Consent is not current for this route."
    no = PreDoseChecks(D, False, fasting_confirmed=False)
    assert {f.code: f for f in evaluate_pre_dose(no).findings}["fasting"].message == "Patient has not fasted."
    # a weight without the day it was measured (or the reverse) is not today's weight
    assert evaluate_pre_dose(PreDoseChecks(D, True, weight_kg=80)).findings[0].level == "missing"
    assert evaluate_pre_dose(PreDoseChecks(D, True, weight_measured_on=D)).findings[0].level == "missing"
    # an instrument the clinic adds to the required measures is named by its key
    rules = PreDoseRules(required_measures=("phq9", "gad7"))
    measures = {f.code: f for f in evaluate_pre_dose(PreDoseChecks(D, False), rules).findings}["measures"]
    assert measures.message.startswith("Pre-dose measures not taken: PHQ-9, gad7 (")
    # without a route, the generic BP limits apply
    plain = PreDoseChecks(D, False, baseline=VitalSigns(150, 80, 70, 98, 14))
    assert evaluate_pre_dose(plain).findings[2].level == "caution"
