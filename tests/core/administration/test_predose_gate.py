"""Pre-dose checks and the blood-pressure gate (SPRAVATO caution >140/90; clinic hard stop >=180/110)."""

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

TODAY = dt.date(2026, 3, 2)
GOOD_BASELINE = VitalSigns(sbp=128, dbp=82, hr=72, spo2=98, rr=14)


def complete(**changes):
    fields = dict(
        session_date=TODAY,
        weight_based_dose=True,
        weight_kg=70.0,
        weight_measured_on=TODAY,
        baseline=GOOD_BASELINE,
        fasting_confirmed=True,
        escort_confirmed=True,
        measures_done=frozenset({"phq9", "cssrs"}),
        consent_current=True,
        eligibility_current=True,
    )
    fields.update(changes)
    return PreDoseChecks(**fields)


def levels(result):
    return {f.code: f.level for f in result.findings}


def test_complete_checks_may_proceed():
    result = evaluate_pre_dose(complete())
    assert result.may_proceed and result.gate().passed
    assert set(levels(result).values()) == {"ok"}


@pytest.mark.parametrize(
    "sbp,dbp,level",
    [
        (140, 90, "ok"),  # the label's caution is strictly above 140/90
        (141, 80, "caution"),
        (130, 91, "caution"),
        (179, 109, "caution"),
        (180, 100, "stop"),  # hard stop at or above 180/110
        (150, 110, "stop"),
    ],
)
def test_bp_gate_boundaries(sbp, dbp, level):
    finding = classify_bp(sbp, dbp, BloodPressureGate())
    assert finding.level == level
    assert finding.source  # every gate decision carries its source


def test_bp_gate_is_configurable_and_validated():
    strict = BloodPressureGate(stop_sbp=170, stop_dbp=105)
    assert classify_bp(172, 90, strict).level == "stop"
    with pytest.raises(ValueError):
        BloodPressureGate(caution_sbp=190)


def test_caution_does_not_block_but_stop_does():
    caution = evaluate_pre_dose(complete(baseline=VitalSigns(sbp=150, dbp=95, hr=80, spo2=97, rr=14)))
    assert caution.may_proceed and [f.code for f in caution.cautions] == ["bp"]
    stop = evaluate_pre_dose(complete(baseline=VitalSigns(sbp=185, dbp=95, hr=80, spo2=97, rr=14)))
    assert not stop.may_proceed
    assert "hard stop" in stop.gate().blocking[0]


def test_old_weight_is_missing_for_weight_based_dose_but_not_for_fixed():
    stale = complete(weight_measured_on=TODAY - dt.timedelta(days=3))
    assert levels(evaluate_pre_dose(stale))["weight"] == "missing"
    fixed = complete(weight_based_dose=False, weight_kg=None, weight_measured_on=None)
    assert levels(evaluate_pre_dose(fixed))["weight"] == "ok"


def test_unrecorded_items_are_missing_and_refusals_are_stops():
    result = evaluate_pre_dose(complete(fasting_confirmed=None, escort_confirmed=False, baseline=None))
    lv = levels(result)
    assert lv["fasting"] == "missing" and lv["escort"] == "stop" and lv["baseline_vitals"] == "missing"
    assert "bp" not in lv  # no BP classification without a baseline
    assert len(result.gate().blocking) == 3


def test_incomplete_baseline_is_missing():
    partial = complete(baseline=VitalSigns(sbp=120, dbp=80, hr=70))
    assert levels(evaluate_pre_dose(partial))["baseline_vitals"] == "missing"


def test_pregnancy_test_only_where_applicable():
    assert pregnancy_test_applicable("F", 30) and not pregnancy_test_applicable("M", 30)
    assert not pregnancy_test_applicable("F", 60)
    assert "pregnancy" not in levels(evaluate_pre_dose(complete()))
    assert levels(evaluate_pre_dose(complete(pregnancy_test_applicable=True)))["pregnancy"] == "missing"
    positive = evaluate_pre_dose(complete(pregnancy_test_applicable=True, pregnancy_test="positive"))
    assert levels(positive)["pregnancy"] == "stop"


def test_measures_consent_eligibility_and_risk_flag():
    result = evaluate_pre_dose(
        complete(measures_done=frozenset({"phq9"}), consent_current=False, suicide_risk_flagged=True)
    )
    lv = levels(result)
    assert lv["measures"] == "missing" and "C-SSRS screener" in result.missing[0].message
    assert "cssrs" not in result.missing[0].message  # the clinic's words, not an internal key
    assert lv["consent"] == "stop" and lv["suicide_risk"] == "stop"


def test_open_suicide_task_holds_the_dose_and_no_gate_override_passes_it():
    from ketamine_clinic.core.administration.states import IllegalTransition, plan_transition

    result = evaluate_pre_dose(complete(open_suicide_tasks=("PHQ-9 item 9 on 2026-03-01",)))
    assert levels(result)["suicide_risk"] == "hold" and not result.may_proceed
    assert "2026-03-01" in result.gate().not_overridable[0]
    with pytest.raises(IllegalTransition, match="cannot be overridden"):
        plan_transition("pre_dose_checks", "dosing", pre_dose=result.gate(), override_reason="Seen, safe to dose")
    assert plan_transition("pre_dose_checks", "dosing", pre_dose=evaluate_pre_dose(complete()).gate())
    custom = PreDoseRules(required_measures=("phq9",))
    assert levels(evaluate_pre_dose(complete(measures_done=frozenset({"phq9"})), custom))["measures"] == "ok"
