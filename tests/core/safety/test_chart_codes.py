"""The chart's coded diagnoses (ICD-10-CM) in the screen: the code map, pre-fill, cross-check, TRD caution."""

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketamine_clinic.core.safety.chart_codes import (
    CODE_MAP,
    ChartDiagnosis,
    chart_findings,
    implied_answers,
)
from ketamine_clinic.core.safety.eligibility import (
    ELIGIBLE,
    ELIGIBLE_WITH_CAUTIONS,
    MISMATCH,
    NOT_ELIGIBLE,
    REQUIRED_ITEMS,
    ScreeningFacts,
    screen,
)
from ketamine_clinic.core.safety.event_time import FUTURE_TOLERANCE, future_date_problem, future_problem
from ketamine_clinic.core.safety.sources import SOURCES

TODAY = dt.date(2026, 12, 1)
CLEAR = ScreeningFacts(
    age_years=45,
    systolic_bp_mmhg=122,
    diastolic_bp_mmhg=78,
    **{n: False for n in REQUIRED_ITEMS if n not in ("age_years", "systolic_bp_mmhg", "diastolic_bp_mmhg")},
)


def facts_of(*codes, noted_on=None):
    return set(implied_answers(chart_findings([ChartDiagnosis(c, noted_on=noted_on) for c in codes], TODAY)))


@pytest.mark.parametrize(
    "code,facts",
    [
        ("F31.32", {"bipolar_disorder"}),  # bipolar, current episode depressed, moderate
        ("F31.81", {"bipolar_disorder"}),  # bipolar II
        ("F31.11", {"bipolar_disorder", "current_mania"}),  # current episode manic
        ("F31.0", {"bipolar_disorder", "current_mania"}),  # current episode hypomanic
        ("F31.62", {"bipolar_disorder", "current_mania"}),  # current episode mixed
        ("F31.5", {"bipolar_disorder", "psychosis_history"}),  # depressed, severe, with psychotic features
        ("F30.10", {"current_mania"}),
        ("F30.4", set()),  # manic episode in full remission
        ("F20.9", {"psychosis_history"}),
        ("F25.0", {"psychosis_history"}),
        ("F33.3", {"psychosis_history"}),
        ("F33.2", set()),  # MDD recurrent severe without psychotic features: nothing the screen asks
        ("F43.10", set()),
        ("F10.20", {"active_substance_use_disorder"}),  # alcohol dependence, uncomplicated
        ("F10.21", {"substance_use_disorder_history"}),  # alcohol dependence, in remission
        ("F11.11", {"substance_use_disorder_history"}),  # opioid abuse, in remission
        ("F12.10", {"active_substance_use_disorder"}),  # cannabis abuse, uncomplicated
        ("F14.20", {"active_substance_use_disorder"}),
        ("F12.90", set()),  # cannabis use, unspecified: not a use disorder
        ("F17.210", set()),  # nicotine dependence: excluded (clinic-defined)
        ("O26.891", {"pregnant"}),
        ("O9A.111", {"pregnant"}),
        ("O90.89", set()),  # complication of the puerperium: after the birth
        ("Z33.1", {"pregnant"}),
        ("Z34.01", {"pregnant"}),
        ("Z39.1", {"breastfeeding"}),
        ("I61.9", {"intracerebral_haemorrhage_history"}),
        ("I69.154", {"intracerebral_haemorrhage_history"}),
        ("I63.9", set()),  # cerebral infarction: no screening question about it
        ("I67.1", {"aneurysmal_vascular_disease"}),
        ("I71.4", {"aneurysmal_vascular_disease"}),
        ("I72.3", {"aneurysmal_vascular_disease"}),
        ("Q28.2", {"arteriovenous_malformation"}),
        ("I10", {"hypertension"}),
        ("I16.0", {"hypertension"}),
        ("I20.0", {"unstable_cardiac_disease"}),
        ("I50.23", {"unstable_cardiac_disease"}),
        ("I50.22", set()),  # chronic systolic heart failure: not decompensated
        ("G93.2", {"raised_intracranial_pressure"}),
        ("C71.9", {"raised_intracranial_pressure"}),
        ("H40.11X1", {"raised_intraocular_pressure"}),
        ("H40.05", {"raised_intraocular_pressure"}),
        ("H40.001", set()),  # glaucoma suspect, not raised pressure
        ("K72.10", {"severe_liver_disease"}),
        ("K74.60", set()),  # cirrhosis: severity not coded
        ("N30.10", {"interstitial_cystitis"}),
        ("f3132", {"bipolar_disorder"}),  # without the dot, lower case
    ],
)
def test_code_map(code, facts):
    assert facts_of(code) == facts


def test_pregnancy_and_acute_mi_codes_lapse_with_time():
    recent, old = TODAY - dt.timedelta(days=30), TODAY - dt.timedelta(days=400)
    assert facts_of("O09.90", noted_on=recent) == {"pregnant"}
    assert facts_of("O09.90", noted_on=old) == set()  # more than 42 weeks ago: not this pregnancy
    assert facts_of("I21.4", noted_on=TODAY - dt.timedelta(days=10)) == {"unstable_cardiac_disease"}
    assert facts_of("I21.4", noted_on=TODAY - dt.timedelta(days=60)) == set()  # coded I25.2 after 4 weeks
    # A bipolar diagnosis does not lapse.
    assert facts_of("F31.32", noted_on=old) == {"bipolar_disorder"}


def test_every_mapping_cites_a_known_source_and_asks_a_real_question():
    for m in CODE_MAP:
        assert m.source_keys and set(m.source_keys) <= set(SOURCES), m
        assert m.fact in REQUIRED_ITEMS, m
        assert m.means


def _with_chart(facts, *codes):
    return replace(facts, chart=chart_findings([ChartDiagnosis(c, "coded") for c in codes], TODAY))


def test_bipolar_answered_no_with_f31_on_the_chart_is_a_mismatch_not_nothing_found():
    result = screen(_with_chart(CLEAR, "F31.32"))
    assert result.status == ELIGIBLE_WITH_CAUTIONS
    assert [r.code for r in result.mismatches] == ["chart_mismatch:bipolar_disorder"]
    mismatch = result.mismatches[0]
    assert mismatch.severity == MISMATCH and "F31.32" in mismatch.detail and "prescriber" in mismatch.detail
    assert mismatch in result.cautions  # the page, the API and the decision read the same cautions


def test_bipolar_unanswered_with_f31_is_taken_from_the_chart_as_a_cited_caution():
    result = screen(_with_chart(replace(CLEAR, bipolar_disorder=None), "F31.32"))
    assert {r.code for r in result.reasons} == {"bipolar_disorder"}  # not "Not recorded", no mismatch
    reason = result.reasons[0]
    assert "mania" in reason.detail and "Coded on the chart: F31.32" in reason.detail
    assert any("Sanacora" in str(s) for s in reason.sources)
    assert any("10.3389/fpsyt.2020.00516" in str(s) for s in reason.sources)


def test_bipolar_answered_yes_agrees_with_the_chart():
    result = screen(_with_chart(replace(CLEAR, bipolar_disorder=True), "F31.32"))
    assert {r.code for r in result.reasons} == {"bipolar_disorder"}
    assert result.mismatches == ()


def test_chart_implied_absolute_contraindication_left_unanswered_blocks():
    result = screen(_with_chart(replace(CLEAR, aneurysmal_vascular_disease=None), "I71.4"))
    assert result.status == NOT_ELIGIBLE
    assert [r.code for r in result.absolute] == ["aneurysmal_vascular_disease"]


def test_short_of_the_treatment_resistance_definition_is_a_caution():
    assert screen(replace(CLEAR, failed_adequate_trials=2)).status == ELIGIBLE
    result = screen(replace(CLEAR, failed_adequate_trials=1))
    assert result.status == ELIGIBLE_WITH_CAUTIONS
    assert [r.code for r in result.cautions] == ["not_treatment_resistant"]
    assert "does not meet" in result.reasons[0].title.lower() and "1 failed" in result.reasons[0].detail
    assert screen(CLEAR).status == ELIGIBLE  # treatment history not part of this screen


def test_facts_with_chart_round_trip_through_storage():
    facts = replace(_with_chart(CLEAR, "F31.32", "I10"), failed_adequate_trials=1)
    assert ScreeningFacts.from_mapping(facts.as_dict()) == facts


_FACTS = sorted({m.fact for m in CODE_MAP})
_CODES = ["F31.32", "F31.11", "F20.9", "F10.20", "F10.21", "O26.891", "I61.9", "I71.4", "I10", "H40.11X1",
          "K72.10", "N30.10", "Z39.1", "Q28.2", "I20.0", "G93.2", "F33.2", "F43.10"]


@given(
    answers=st.fixed_dictionaries({name: st.sampled_from([True, False, None]) for name in _FACTS}),
    codes=st.lists(st.sampled_from(_CODES), max_size=4),
)
@settings(max_examples=150, deadline=None)
def test_a_mismatch_is_reported_exactly_when_a_no_contradicts_the_chart(answers, codes):
    facts = _with_chart(replace(CLEAR, **answers), *codes)
    implied = implied_answers(facts.chart)
    expected = {f"chart_mismatch:{f}" for f in implied if answers.get(f) is False}
    result = screen(facts)
    assert {r.code for r in result.mismatches} == expected
    if expected:
        assert result.status != ELIGIBLE
    # No implied fact is ever reported as "not recorded".
    assert not any(r.code == f"unanswered:{f}" for f in implied for r in result.reasons)


def test_future_times_beyond_the_tolerance_are_refused():
    now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    assert future_problem(now + FUTURE_TOLERANCE, now, "Vitals") is None
    assert future_problem(now - dt.timedelta(days=3), now, "Vitals") is None
    assert "cannot be in the future" in future_problem(now + dt.timedelta(days=30), now, "Vitals")
    assert future_date_problem(TODAY, TODAY, "Date") is None
    assert "cannot be in the future" in future_date_problem(TODAY + dt.timedelta(days=1), TODAY, "Date")
