"""Checks made while verifying the library against the published scoring rules (one test per fix/check).

Each test names the source it encodes; where the source could not be checked the library says so in the
instrument's citation note ("not verified against the primary source").
"""

import pytest

from ketamine_clinic.core.instruments import INSTRUMENTS, ScoringError, get, score
from ketamine_clinic.core.instruments.outcomes import outcome_status


# ------------------------------------------------------------------------------------------------ MADRS
def test_madrs_remission_cut_off_is_10_and_cites_the_study_that_derived_it():
    # Zimmerman, Posternak & Chelminski, J Psychiatr Res 2004;38(6):577-582: MADRS <= 10 corresponds to the
    # HAM-D17 remission cut-off <= 7 (the previous citation, Hawley 2002 / Zimmerman J Clin Psychiatry 2004,
    # supports <= 9, not <= 10).
    madrs = get("madrs")
    assert madrs.remission_max == 10
    assert "J Psychiatr Res 2004" in madrs.remission_source
    assert "PMID 12200208" in madrs.remission_source  # Hawley et al. 2002, the stricter alternative
    assert outcome_status([0, 7], [34, 10], remission_max=madrs.remission_max).label == "remission"
    # 11 is a 68% reduction: response, but not remission
    assert outcome_status([0, 7], [34, 11], remission_max=madrs.remission_max).label == "response"


def test_madrs_snaith_bands():
    # Snaith et al. 1986: 0-6 normal, 7-19 mild, 20-34 moderate, 35-60 severe.
    madrs = get("madrs")
    assert [(b.low, b.high) for b in madrs.severity_bands] == [(0, 6), (7, 19), (20, 34), (35, 60)]


# ------------------------------------------------------------------------------------------------ AUDIT-C
@pytest.mark.parametrize(
    "answers,sex,positive",
    [
        ([1, 1, 1], "M", False),  # 3 points: below the men's cut point
        ([2, 1, 1], "M", True),  # 4 points: positive for men
        ([1, 1, 1], "F", True),  # 3 points: positive for women
        ([1, 1, 0], "F", False),  # 2 points
        ([1, 1, 1], None, True),  # sex unknown: the more sensitive >= 3 (clinic-defined)
        ([2, 1, 1], "male", True),
        ([1, 1, 1], "female", True),
    ],
)
def test_audit_c_sex_specific_cut_points(answers, sex, positive):
    # >= 4 men, >= 3 women (US validation studies; restated by Frank et al. 2008, PMID 18421511).
    r = score(get("audit_c"), answers, sex=sex)
    assert ("audit_c_positive" in r.flags) is positive
    assert r.severity == ("positive screen" if positive else "negative screen")


def test_audit_c_citation_names_the_source_of_the_men_cut_point_honestly():
    source = get("audit_c").positive_screen.source
    assert "PMID 18421511" in source and "PMID 9738608" in source
    assert "not verified against the primary source" in source


def test_audit_c_item_values_follow_the_who_audit():
    # WHO AUDIT questions 1-3, each 0-4; Q2 "1 or 2" = 0 ... "10 or more" = 4; total 0-12.
    a = get("audit_c")
    assert [it.values for it in a.items] == [(0, 1, 2, 3, 4)] * 3
    assert a.item(2).options[0].label == "1 or 2" and a.item(2).options[4].label == "10 or more"
    assert (a.min_total, a.max_total) == (0, 12)


# ------------------------------------------------------------------------------------------------ CADSS
def test_cadss_is_the_1998_19_subjective_item_version_0_to_76_and_says_so():
    # Bremner et al. 1998, Table 1: subjective items 1-19 (observer items follow from item 20), rated 0-4.
    c = get("cadss")
    assert c.n_items == 19
    assert all(it.values == (0, 1, 2, 3, 4) for it in c.items)
    assert (c.min_total, c.max_total) == (0, 76)
    # the name is what the administer page, the API and `ketamine-clinic score --help` show
    assert "1998" in c.name and "19 subjective items" in c.name and "0-76" in c.name
    assert "not verified against the primary source" in c.scoring_source  # anchor labels
    assert score(c, [4] * 19).total == 76


def test_cadss_first_and_last_subjective_items_in_published_order():
    c = get("cadss")
    assert "slow motion" in c.item(1).text
    assert "unreal" in c.item(2).text
    assert "fog" in c.item(18).text
    assert "brighter" in c.item(19).text


# ------------------------------------------------------------------------------------------------ PCL-5
def test_pcl5_cluster_subscales_worked_example():
    # NCPTSD PCL-5 scoring: B = items 1-5, C = 6-7, D = 8-14, E = 15-20; total = sum of all 20.
    answers = [2, 2, 1, 3, 2] + [4, 3] + [0, 1, 2, 3, 4, 1, 2] + [1, 0, 3, 3, 2, 4]
    r = score(get("pcl5"), answers)
    assert dict(r.subscale_scores) == {"B": 10, "C": 7, "D": 13, "E": 13}
    assert r.total == 43 == sum(dict(r.subscale_scores).values())
    assert r.severity == "probable PTSD" and r.flags == ("pcl5_probable_ptsd",)


def test_pcl5_clusters_partition_the_20_items():
    items = [n for sub in get("pcl5").subscales for n in sub.items]
    assert sorted(items) == list(range(1, 21))


def test_pcl5_cluster_with_a_blank_item_is_not_reported_but_the_total_is_prorated():
    answers = [2] * 20
    answers[6] = None  # item 7, cluster C
    r = score(get("pcl5"), answers)
    assert dict(r.subscale_scores)["C"] is None
    assert dict(r.subscale_scores)["B"] == 10
    assert r.total == 40 and r.prorated


@pytest.mark.parametrize("total,positive", [(30, False), (31, True), (33, True)])
def test_pcl5_provisional_cut_point_lower_end_of_31_to_33(total, positive):
    answers = [0] * 20
    for i in range(total):
        answers[i % 20] += 1
    r = score(get("pcl5"), answers)
    assert r.total == total and ("pcl5_probable_ptsd" in r.flags) is positive


def test_instruments_without_subscales_report_none():
    assert score(get("phq9"), [0] * 9).subscale_scores == ()


# ------------------------------------------------------------------------------------------------ QIDS-SR16
def test_qids_worked_example_with_max_of_groups():
    # Rush et al. 2003 scoring: sleep = max(1-4), 5, appetite/weight = max(6-9), 10-14, psychomotor = max(15,16).
    answers = [1, 3, 0, 0, 2, 2, None, 1, None, 1, 1, 0, 2, 2, 0, 1]
    r = score(get("qids"), answers)
    assert r.total == 3 + 2 + 2 + 1 + 1 + 0 + 2 + 2 + 1 == 14
    assert r.severity == "moderate"  # ids-qids.org: 11-15 moderate


def test_qids_missing_rule_is_labelled_clinic_defined():
    q = get("qids")
    assert q.missing_rule_source.startswith("clinic-defined")
    answers = [1, 1, 1, 1, 1, None, None, None, None, 1, 1, 0, 1, 1, 1, 1]
    with pytest.raises(ScoringError, match="symptom domain"):
        score(q, answers)


# ------------------------------------------------------------------------------------------------ C-SSRS
@pytest.mark.parametrize(
    "answers,level",
    [
        ([0, 0, None, None, None, 0, None], "none"),
        ([1, 0, None, None, None, 0, None], "low"),  # wish to be dead
        ([0, 1, 0, 0, 0, 0, None], "low"),  # non-specific active thoughts
        ([1, 1, 1, 0, 0, 0, None], "moderate"),  # method, no intent
        ([0, 0, None, None, None, 1, 0], "moderate"),  # behaviour more than 3 months ago
        ([1, 1, 0, 1, 0, 0, None], "high"),  # some intent, no plan
        ([1, 1, 1, 1, 1, 0, None], "high"),  # plan and intent
        ([0, 0, None, None, None, 1, 1], "high"),  # behaviour within the past 3 months
        ([1, 0, None, None, None, 1, 1], "high"),
    ],
)
def test_cssrs_screener_triage_points(answers, level):
    # Columbia "C-SSRS Screener - recent, with triage points": yes to 1/2 low; 3 or behaviour > 3 months
    # moderate; 4, 5 or behaviour <= 3 months high. Any yes is a positive screen (clinic-defined escalation).
    r = score(get("cssrs"), answers)
    assert r.severity == level
    assert ("cssrs_positive" in r.flags) is (level != "none")


def test_cssrs_questions_3_to_5_are_only_asked_after_yes_to_2():
    with pytest.raises(ScoringError, match="only asked when item 2"):
        score(get("cssrs"), [1, 0, 1, None, None, 0, None])


# ------------------------------------------------------------------------------------------------ DAST-10
def test_dast10_published_bands():
    # NIDA CDE for the DAST-10: 0 none, 1-2 low, 3-5 moderate, 6-8 substantial, 9-10 severe.
    d = get("dast10")
    assert [(b.low, b.high) for b in d.severity_bands] == [(0, 0), (1, 2), (3, 5), (6, 8), (9, 10)]


# ------------------------------------------------------------------------------------------------ all
def test_remission_cut_offs_carry_a_source():
    for inst in INSTRUMENTS.values():
        if inst.remission_max is not None:
            assert inst.remission_source, inst.key
    assert get("phq9").remission_max == 4  # PHQ-9 < 5 (NCQA/HEDIS; Psychiatr Serv 2020 doi ...201900295)
    assert get("qids").remission_max == 5  # QIDS-SR16 <= 5 (STAR*D)
