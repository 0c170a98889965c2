"""The chart's coded diagnoses pinned at their edges: pregnancy and acute-MI time limits, substance-use codes,
de-duplication, storage, and the lookups the screen rests on (medication names, sources).

Written against surviving mutants (docs/mutation.md).
"""

import datetime as dt

import pytest

from ketamine_clinic.core.safety.chart_codes import (
    ChartDiagnosis,
    ChartFinding,
    chart_findings,
    implied_answers,
)
from ketamine_clinic.core.safety.medications import drug_classes_in
from ketamine_clinic.core.safety.sources import SOURCES, source

TODAY = dt.date(2026, 12, 1)


def findings(*diagnoses):
    return chart_findings([d if isinstance(d, ChartDiagnosis) else ChartDiagnosis(d) for d in diagnoses], TODAY)


def facts_of(*codes):
    return set(implied_answers(findings(*codes)))


@pytest.mark.parametrize(
    "code,days_ago,current",
    [
        ("O09.90", 42 * 7, True),  # 42 weeks to the day: still this pregnancy
        ("O09.90", 42 * 7 + 1, False),
        ("Z34.00", 42 * 7, True),
        ("Z33.1", 42 * 7 + 1, False),
        ("I21.4", 28, True),  # acute MI codes are used for 4 weeks (28 days) from onset
        ("I21.4", 29, False),
    ],
)
def test_codes_that_describe_a_state_that_ends_count_to_the_day(code, days_ago, current):
    diagnosis = ChartDiagnosis(code, noted_on=TODAY - dt.timedelta(days=days_ago))
    assert bool(findings(diagnosis)) is current


@pytest.mark.parametrize(
    "code,facts",
    [
        ("F10.1", {"active_substance_use_disorder"}),  # abuse (category written without its 5th character)
        ("F10.2", {"active_substance_use_disorder"}),
        ("F10.11", {"substance_use_disorder_history"}),
        ("F10.21", {"substance_use_disorder_history"}),
        ("F10", set()),  # category only: abuse, dependence or use is not said
        ("F10.9", set()),  # use, unspecified: not a use disorder
        ("F10.X1", set()),  # a fourth character that is neither 1 (abuse) nor 2 (dependence)
    ],
)
def test_substance_use_codes_by_their_fourth_and_fifth_characters(code, facts):
    assert facts_of(code) == facts


def test_every_diagnosis_is_checked_against_every_mapping_once_per_code():
    # A code that maps to nothing before one that does is skipped, not the end of the list.
    assert facts_of("F43.10", "F31.32") == {"bipolar_disorder"}
    # The same code written twice (or with other case and spacing) is one finding.
    assert [f.code for f in findings("F31.32", " f31.32", "F3132")] == ["F31.32"]
    assert [(f.fact, f.code) for f in findings("F31.32", "F31.81")] == [
        ("bipolar_disorder", "F31.32"),
        ("bipolar_disorder", "F31.81"),
    ]


def test_a_finding_keeps_the_charts_code_and_title():
    [finding] = findings(ChartDiagnosis("f31.32", "Bipolar disorder, current episode depressed, moderate"))
    assert finding == ChartFinding(
        "bipolar_disorder", "f31.32", "Bipolar disorder, current episode depressed, moderate", "bipolar disorder",
        ("icd10cm",),
    )


def test_implied_answers_are_yes():
    assert implied_answers(findings("F31.11", "I10")) == {
        "bipolar_disorder": True,
        "current_mania": True,
        "hypertension": True,
    }
    assert implied_answers(()) == {}


def test_a_stored_finding_without_its_optional_fields_reads_back_empty():
    assert ChartFinding.from_mapping({"fact": "pregnant", "code": "Z34.00"}) == ChartFinding(
        "pregnant", "Z34.00", "", "", ()
    )
    stored = ChartFinding("pregnant", "Z34.00", "Supervision", "a pregnancy", ("icd10cm", "acog579"))
    assert ChartFinding.from_mapping(stored.as_dict()) == stored


# ---- medication names in a list of entries ------------------------------------------------------------------


def test_a_medication_list_of_entries_is_read_entry_by_entry():
    assert drug_classes_in(["Xanax 0.5 mg", "valium", "tramadol"]) == {
        "benzodiazepine": ("valium", "xanax"),
        "opioid": ("tramadol",),
    }
    assert drug_classes_in(("sertraline",)) == {}
    assert drug_classes_in([]) == {}


# ---- sources -----------------------------------------------------------------------------------------------


def test_an_unknown_source_key_is_a_loud_programming_error():
    with pytest.raises(KeyError) as err:
        source("spravato")
    assert err.value.args == ("Unknown source key 'spravato'; add it to core.safety.sources.SOURCES.",)
    assert source("spravato_pi") is SOURCES["spravato_pi"]
