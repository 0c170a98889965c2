"""Discharge criteria: minimum observation per route, vitals back near baseline, oriented, gait, escort."""

import datetime as dt

from ketamine_clinic.core.administration.discharge import DischargeInputs, DischargeRules, evaluate_discharge
from ketamine_clinic.core.administration.vitals import VitalSigns

T0 = dt.datetime(2026, 3, 2, 9, 0)
BASE = VitalSigns(sbp=124, dbp=80, hr=72, spo2=98, rr=14)


def at(minutes):
    return T0 + dt.timedelta(minutes=minutes)


def inputs(**changes):
    fields = dict(
        route="iv",
        now=at(105),  # 65 min after the end of a 40-min infusion: past the IV minimum of 60 min
        dosing_ended_at=at(40),
        baseline=BASE,
        latest=VitalSigns(sbp=130, dbp=84, hr=76, spo2=98, rr=14),
        latest_at=at(100),
        alert_and_oriented=True,
        steady_gait=True,
        escort_present=True,
        nausea_controlled=True,
    )
    fields.update(changes)
    return DischargeInputs(**fields)


def unmet(result):
    return [c.code for c in result.unmet]


def test_all_met():
    result = evaluate_discharge(inputs())
    assert result.met and result.gate().passed
    assert result.earliest_discharge_at == at(100)


def test_esketamine_needs_two_hours_after_dosing():
    early = evaluate_discharge(
        inputs(route="intranasal", dosing_ended_at=at(10), now=at(100), latest_at=at(95))
    )
    assert unmet(early) == ["observation"]
    assert early.earliest_discharge_at == at(130)
    late = evaluate_discharge(
        inputs(route="intranasal", dosing_ended_at=at(10), now=at(130), latest_at=at(125))
    )
    assert late.met


def test_vitals_off_baseline_or_alerting_or_stale_block():
    high = evaluate_discharge(inputs(latest=VitalSigns(sbp=160, dbp=84, hr=76, spo2=98, rr=14)))
    assert unmet(high) == ["vitals"] and "SBP 160" in high.unmet[0].detail
    alerting = evaluate_discharge(inputs(latest=VitalSigns(sbp=130, dbp=84, hr=76, spo2=90, rr=14)))
    assert unmet(alerting) == ["vitals"] and "SpO2" in alerting.unmet[0].detail
    stale = evaluate_discharge(inputs(latest_at=at(40)))
    assert unmet(stale) == ["vitals"] and "old" in stale.unmet[0].detail


def test_each_confirmation_is_required_and_listed_in_gate():
    result = evaluate_discharge(inputs(escort_present=False, steady_gait=False))
    assert unmet(result) == ["gait", "escort"]
    assert len(result.gate().blocking) == 2


def test_not_dosed_yet_is_unmet_and_rules_are_configurable():
    assert "observation" in unmet(evaluate_discharge(inputs(dosing_ended_at=None)))
    strict = DischargeRules(min_observation_min={"iv": 90})
    assert unmet(evaluate_discharge(inputs(), strict)) == ["observation"]
