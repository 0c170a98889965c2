"""Discharge criteria word for word, at their boundaries (mutation testing, docs/mutation.md).

Vitals exactly 20% from baseline pass (PADSS, Chung et al. 1995), a reading exactly 20 minutes old is recent
enough, and exactly the route's minimum observation is enough; one minute or one unit past fails.
"""

import datetime as dt

import pytest

from ketamine_clinic.core.administration.discharge import (
    PADSS,
    DischargeInputs,
    DischargeRules,
    evaluate_discharge,
)
from ketamine_clinic.core.administration.vitals import VitalSigns

NOW = dt.datetime(2026, 3, 2, 13, 0)
BASE = VitalSigns(120, 80, 70, 98, 14)
ESCORT_SOURCE = "SPRAVATO PI, section 5.8"

SITUATIONS = {
    "nothing_yet": DischargeInputs("iv", NOW, None, None, None, None),
    "all_met_at_the_minimum": DischargeInputs(
        "intranasal",
        NOW,
        NOW - dt.timedelta(minutes=120),
        BASE,
        VitalSigns(144, 64, 84, 97, 16),
        NOW - dt.timedelta(minutes=20),
        True,
        True,
        True,
        True,
    ),
    "early_and_off_baseline": DischargeInputs(
        "iv",
        NOW,
        NOW - dt.timedelta(minutes=30),
        BASE,
        VitalSigns(145, 80, 100, 88, 14),
        NOW - dt.timedelta(minutes=21),
        True,
        False,
        False,
        True,
    ),
    "reading_without_bp_or_pulse": DischargeInputs(
        "im",
        NOW,
        NOW - dt.timedelta(minutes=200),
        BASE,
        VitalSigns(None, None, None, 98, 14),
        NOW,
        False,
        True,
        True,
        False,
    ),
}

EXPECTED = {
    "nothing_yet": [
        ("observation", "Observed at least 60 min", False, "Dosing has not ended.", "clinic-defined"),
        (
            "vitals",
            "Vitals within 20% of baseline, no alerts",
            False,
            "Baseline and a recent reading are both needed.",
            PADSS,
        ),
        ("oriented", "Alert and oriented", False, "Not confirmed.", PADSS),
        ("gait", "Ambulating steadily", False, "Not confirmed.", PADSS),
        ("nausea", "Nausea/vomiting minimal", False, "Not confirmed.", PADSS),
        ("escort", "Escort present (no driving until next day)", False, "Not confirmed.", ESCORT_SOURCE),
    ],
    "all_met_at_the_minimum": [
        (
            "observation",
            "Observed at least 120 min",
            True,
            "120 min since dosing ended",
            "SPRAVATO (esketamine) nasal spray US Prescribing Information, Janssen 2019 (rev. 2023), boxed warning and section 2.1",
        ),
        ("vitals", "Vitals within 20% of baseline, no alerts", True, "Within range of baseline.", PADSS),
        ("oriented", "Alert and oriented", True, "Confirmed.", PADSS),
        ("gait", "Ambulating steadily", True, "Confirmed.", PADSS),
        ("nausea", "Nausea/vomiting minimal", True, "Confirmed.", PADSS),
        ("escort", "Escort present (no driving until next day)", True, "Confirmed.", ESCORT_SOURCE),
    ],
    "early_and_off_baseline": [
        (
            "observation",
            "Observed at least 60 min",
            False,
            "30 min since dosing ended; not before 13:30",
            "clinic-defined",
        ),
        (
            "vitals",
            "Vitals within 20% of baseline, no alerts",
            False,
            "latest reading is 21 min old; take a new set; SBP 145 vs baseline 120; HR 100 vs baseline 70; SpO2 88 % (alert: < 92)",
            PADSS,
        ),
        ("oriented", "Alert and oriented", True, "Confirmed.", PADSS),
        ("gait", "Ambulating steadily", False, "Not confirmed.", PADSS),
        ("nausea", "Nausea/vomiting minimal", True, "Confirmed.", PADSS),
        ("escort", "Escort present (no driving until next day)", False, "Not confirmed.", ESCORT_SOURCE),
    ],
    "reading_without_bp_or_pulse": [
        ("observation", "Observed at least 120 min", True, "200 min since dosing ended", "clinic-defined"),
        (
            "vitals",
            "Vitals within 20% of baseline, no alerts",
            False,
            "latest reading lacks BP/heart rate to compare",
            PADSS,
        ),
        ("oriented", "Alert and oriented", False, "Not confirmed.", PADSS),
        ("gait", "Ambulating steadily", True, "Confirmed.", PADSS),
        ("nausea", "Nausea/vomiting minimal", False, "Not confirmed.", PADSS),
        ("escort", "Escort present (no driving until next day)", True, "Confirmed.", ESCORT_SOURCE),
    ],
}


@pytest.mark.parametrize("situation", list(SITUATIONS))
def test_the_criteria_word_for_word(situation):
    result = evaluate_discharge(SITUATIONS[situation])
    assert [(c.code, c.label, c.met, c.detail, c.source) for c in result.criteria] == EXPECTED[situation]
    assert result.met is all(c[2] for c in EXPECTED[situation])


def test_earliest_discharge_is_the_end_of_dosing_plus_the_route_minimum():
    assert evaluate_discharge(SITUATIONS["nothing_yet"]).earliest_discharge_at is None
    assert evaluate_discharge(
        SITUATIONS["early_and_off_baseline"]
    ).earliest_discharge_at == NOW + dt.timedelta(minutes=30)
    assert evaluate_discharge(SITUATIONS["all_met_at_the_minimum"]).met


def test_one_step_past_each_boundary_fails():
    base = SITUATIONS["all_met_at_the_minimum"]
    from dataclasses import replace

    assert not evaluate_discharge(replace(base, dosing_ended_at=NOW - dt.timedelta(minutes=119))).met
    assert not evaluate_discharge(replace(base, latest_at=NOW - dt.timedelta(minutes=20, seconds=30))).met
    assert not evaluate_discharge(replace(base, latest=VitalSigns(145, 64, 84, 97, 16))).met
    assert evaluate_discharge(replace(base, route="iv", dosing_ended_at=NOW - dt.timedelta(minutes=60))).met


def test_gates_name_the_unmet_criteria():
    result = evaluate_discharge(SITUATIONS["early_and_off_baseline"])
    gate = result.gate()
    assert gate.name == "Discharge criteria"
    assert gate.blocking[0] == "Observed at least 60 min: 30 min since dosing ended; not before 13:30"
    assert gate.blocking[-1] == "Escort present (no driving until next day): Not confirmed."
    assert len(gate.blocking) == 4
    observation = result.observation_gate()
    assert observation.name == "Minimum observation"
    assert observation.blocking == ("Observed at least 60 min: 30 min since dosing ended; not before 13:30",)
    assert evaluate_discharge(SITUATIONS["reading_without_bp_or_pulse"]).observation_gate().blocking == ()


def test_rules_are_configurable_and_an_unknown_route_is_refused():
    base = SITUATIONS["all_met_at_the_minimum"]
    rules = DischargeRules(
        min_observation_min={"intranasal": 150}, vitals_within_pct=10, latest_vitals_max_age_min=5
    )
    result = evaluate_discharge(base, rules)
    assert [c.code for c in result.unmet] == ["observation", "vitals"]
    assert result.criteria[1].label == "Vitals within 10% of baseline, no alerts"
    with pytest.raises(ValueError, match=r"^No minimum observation time configured for route 'rectal'\.$"):
        evaluate_discharge(DischargeInputs("rectal", NOW, None, None, None, None))


def test_partial_inputs_and_custom_rules():
    from dataclasses import replace

    base = SITUATIONS["all_met_at_the_minimum"]
    for missing in ("baseline", "latest", "latest_at"):
        vitals = evaluate_discharge(replace(base, **{missing: None})).criteria[1]
        assert (vitals.met, vitals.detail) == (False, "Baseline and a recent reading are both needed.")
    # a reading 20 min 10 s old is too old (minutes are 60 seconds)
    assert not evaluate_discharge(replace(base, latest_at=NOW - dt.timedelta(minutes=20, seconds=10))).met
    # a route the clinic adds in its own rules has a clinic-defined observation source
    own = evaluate_discharge(replace(base, route="rectal"), DischargeRules(min_observation_min={"rectal": 30}))
    assert own.criteria[0].source == "clinic-defined"
    # the configured alert thresholds are the ones applied
    low_spo2 = replace(base, latest=VitalSigns(120, 80, 70, 88, 14))
    assert not evaluate_discharge(low_spo2).met
    assert evaluate_discharge(low_spo2, DischargeRules(thresholds=())).met
