"""Worked examples from the published scoring instructions, plus edge cases, for every instrument."""

import pytest

from ketamine_clinic.core.instruments import INSTRUMENTS, ScoringError, get, score


# ------------------------------------------------------------------------------------------------ PHQ-9
def test_phq9_published_example_scores_16_moderately_severe():
    # Kroenke & Spitzer (Psychiatr Ann 2002) worked example: 3 items scored 1, 2 items scored 2, 3 items
    # scored 3 -> 16. Cut-points 5/10/15/20 put 16 in "moderately severe" (Kroenke et al. 2001).
    r = score(get("phq9"), [1, 1, 1, 2, 2, 3, 3, 3, 0])
    assert (r.total, r.severity, r.flags) == (16, "moderately severe", ())


@pytest.mark.parametrize(
    "total,band",
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_band_edges(total, band):
    answers = [0] * 9
    remaining = total
    for i in range(8):  # keep item 9 at 0 unless needed
        answers[i] = min(3, remaining)
        remaining -= answers[i]
    answers[8] = remaining
    r = score(get("phq9"), answers)
    assert r.total == total and r.severity == band


def test_phq9_item9_positive_is_flagged_even_when_total_is_low():
    r = score(get("phq9"), [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert r.total == 1 and r.severity == "minimal" and r.flags == ("phq9_item9",)


def test_phq9_all_max_and_all_zero():
    assert score(get("phq9"), [3] * 9).total == 27
    assert score(get("phq9"), [0] * 9).total == 0


def test_phq9_two_missing_items_are_prorated():
    # 7 answered items sum to 14: 14 * 9 / 7 = 18
    r = score(get("phq9"), [2, 2, None, 2, 2, None, 2, 2, 2])
    assert r.total == 18 and r.prorated and r.missing_items == (3, 6)


def test_phq9_three_missing_items_are_rejected_naming_them():
    with pytest.raises(ScoringError, match=r"too many unanswered items \(1, 2, 3\)") as exc:
        score(get("phq9"), [None, None, None, 1, 1, 1, 1, 1, 0])
    assert exc.value.item == 1


def test_phq9_missing_item9_is_rejected_because_it_is_critical():
    with pytest.raises(ScoringError, match="item 9") as exc:
        score(get("phq9"), [1, 1, 1, 1, 1, 1, 1, 1, None])
    assert exc.value.item == 9


def test_phq9_out_of_range_names_the_item():
    with pytest.raises(ScoringError, match=r"PHQ-9 item 4: 5 is out of range \(allowed: 0, 1, 2, 3\)") as exc:
        score(get("phq9"), [0, 0, 0, 5, 0, 0, 0, 0, 0])
    assert exc.value.item == 4


def test_phq9_wrong_number_of_answers():
    with pytest.raises(ScoringError, match="has 9 items; got 8"):
        score(get("phq9"), [0] * 8)


def test_answers_as_mapping_and_unknown_item():
    assert score(get("gad7"), {n: 1 for n in range(1, 8)}).total == 7
    with pytest.raises(ScoringError, match="no item 8"):
        score(get("gad7"), {n: 1 for n in range(1, 9)})


def test_non_integer_answer_is_rejected():
    with pytest.raises(ScoringError, match="item 2"):
        score(get("gad7"), [1, 1.5, 1, 1, 1, 1, 1])


# ------------------------------------------------------------------------------------------------ GAD-7
@pytest.mark.parametrize(
    "answers,total,band",
    [
        ([0] * 7, 0, "minimal"),
        ([1, 1, 1, 1, 1, 0, 0], 5, "mild"),
        ([2, 2, 2, 2, 1, 1, 0], 10, "moderate"),
        ([3, 3, 3, 2, 2, 1, 1], 15, "severe"),
        ([3] * 7, 21, "severe"),
    ],
)
def test_gad7_cut_points_5_10_15(answers, total, band):
    r = score(get("gad7"), answers)
    assert (r.total, r.severity) == (total, band)


def test_gad7_allows_one_missing_item_only():
    assert score(get("gad7"), [3, 3, 3, 3, 3, 3, None]).total == 21
    with pytest.raises(ScoringError, match="at most 1 item may be left blank"):
        score(get("gad7"), [3, 3, 3, 3, 3, None, None])


# ------------------------------------------------------------------------------------------------ PCL-5
def test_pcl5_total_and_provisional_cut_point_31():
    below = [2] * 15 + [0] * 5  # 30
    at = [2] * 15 + [1] + [0] * 4  # 31
    r1, r2 = score(get("pcl5"), below), score(get("pcl5"), at)
    assert (r1.total, r1.severity, r1.flags) == (30, "below provisional PTSD cut-off", ())
    assert (r2.total, r2.severity, r2.flags) == (31, "probable PTSD", ("pcl5_probable_ptsd",))


def test_pcl5_range_0_to_80_and_value_5_rejected():
    assert score(get("pcl5"), [4] * 20).total == 80
    with pytest.raises(ScoringError, match="item 20: 5 is out of range"):
        score(get("pcl5"), [0] * 19 + [5])


# ------------------------------------------------------------------------------------------------ QIDS-SR16
def test_qids_max_of_groups_worked_example():
    # Rush et al. 2003 scoring: sleep = highest of items 1-4; appetite/weight = highest of 6-9;
    # psychomotor = highest of 15-16; the other six items count as they are.
    answers = [
        1,
        3,
        0,
        2,  # sleep -> 3
        2,  # sad mood
        0,
        2,
        1,
        0,  # appetite/weight -> 2
        1,
        2,
        1,
        2,
        3,  # concentration, self-view, suicide, interest, energy
        1,
        2,
    ]  # psychomotor -> 2
    r = score(get("qids"), answers)
    assert r.total == 3 + 2 + 2 + 1 + 2 + 1 + 2 + 3 + 2 == 18
    assert r.severity == "severe"
    assert r.flags == ("qids_item12",)


def test_qids_is_not_the_plain_sum_of_16_items():
    r = score(get("qids_sr16"), [3] * 16)
    assert r.total == 27  # 9 domains x 3, not 48


def test_qids_blank_items_inside_a_group_are_allowed_but_not_a_whole_domain():
    ok = [None, None, 2, None, 1, 1, None, None, None, 0, 0, 0, 0, 0, None, 1]
    assert score(get("qids"), ok).total == 2 + 1 + 1 + 1
    missing_sleep = [None, None, None, None, 1, 1, None, None, None, 0, 0, 0, 0, 0, None, 1]
    with pytest.raises(ScoringError, match=r"\(1, 2, 3, 4\).*symptom domain") as exc:
        score(get("qids"), missing_sleep)
    assert exc.value.item == 1


@pytest.mark.parametrize(
    "total,band", [(5, "none"), (6, "mild"), (11, "moderate"), (16, "severe"), (21, "very severe")]
)
def test_qids_severity_bands(total, band):
    assert get("qids").severity_for(total) == band


# ------------------------------------------------------------------------------------------------ MADRS
def test_madrs_sum_and_snaith_bands():
    assert score(get("madrs"), [3] * 10).severity == "moderate"  # 30
    r = score(get("madrs"), [4, 4, 4, 4, 4, 3, 3, 3, 3, 3])  # 35
    assert (r.total, r.severity) == (35, "severe")
    assert r.flags == ("madrs_item10",)
    assert score(get("madrs"), [0] * 10).severity == "normal"
    assert score(get("madrs"), [6] * 10).total == 60


def test_madrs_is_clinician_rated_and_allows_no_missing():
    assert get("madrs").respondent == "clinician"
    with pytest.raises(ScoringError, match="at most 0"):
        score(get("madrs"), [None] + [3] * 9)
    with pytest.raises(ScoringError, match="item 1: 7 is out of range"):
        score(get("madrs"), [7] + [0] * 9)


# ------------------------------------------------------------------------------------------------ C-SSRS
@pytest.mark.parametrize(
    "answers,level,positive",
    [
        ([0, 0, None, None, None, 0, None], "none", False),
        ([1, 0, None, None, None, 0, None], "low", True),
        ([0, 1, 0, 0, 0, 0, None], "low", True),
        ([1, 1, 1, 0, 0, 0, None], "moderate", True),
        ([0, 0, None, None, None, 1, 0], "moderate", True),  # behaviour, but more than 3 months ago
        ([1, 1, 1, 1, 0, 0, None], "high", True),
        ([1, 1, 1, 0, 1, 0, None], "high", True),
        ([0, 0, None, None, None, 1, 1], "high", True),  # behaviour within the past 3 months
    ],
)
def test_cssrs_screener_triage(answers, level, positive):
    r = score(get("cssrs"), answers)
    assert r.total is None
    assert r.severity == level
    assert ("cssrs_positive" in r.flags) == (level != "none")


def test_cssrs_branching_rejects_answers_to_skipped_questions():
    # Q3-5 are only asked when Q2 is yes; a "yes" there with Q2 = no is contradictory.
    with pytest.raises(ScoringError, match="item 4 is only asked when item 2") as exc:
        score(get("cssrs"), [1, 0, None, 1, None, 0, None])
    assert exc.value.item == 4
    # Skipped questions may be blank or "no".
    assert score(get("cssrs"), [1, 0, 0, 0, 0, 0, 0]).severity == "low"


def test_cssrs_asked_questions_must_be_answered():
    with pytest.raises(ScoringError, match="item 3 was asked"):
        score(get("cssrs"), [1, 1, None, 0, 0, 0, None])
    with pytest.raises(ScoringError, match="item 7 was asked"):
        score(get("cssrs"), [0, 0, None, None, None, 1, None])
    with pytest.raises(ScoringError, match="item 2: 2 is out of range"):
        score(get("cssrs"), [0, 2, None, None, None, 0, None])


# ------------------------------------------------------------------------------------------------ CADSS
def test_cadss_sum_range_and_no_bands():
    assert score(get("cadss"), [4] * 19).total == 76
    r = score(get("cadss"), [1] * 5 + [0] * 14)
    assert (r.total, r.severity) == (5, "")


# ------------------------------------------------------------------------------------------------ pain NRS
@pytest.mark.parametrize(
    "value,band",
    [
        (0, "no pain"),
        (3, "mild"),
        (4, "mild"),
        (5, "moderate"),
        (6, "moderate"),
        (7, "severe"),
        (10, "severe"),
    ],
)
def test_pain_nrs_serlin_cut_points(value, band):
    r = score(get("pain"), [value])
    assert (r.total, r.severity) == (value, band)


def test_pain_nrs_rejects_11_and_blank():
    with pytest.raises(ScoringError, match="item 1: 11"):
        score(get("pain"), [11])
    with pytest.raises(ScoringError):
        score(get("pain"), [None])


# ------------------------------------------------------------------------------------------------ AUDIT-C
def test_audit_c_sex_specific_cut_points():
    # Bush et al. 1998: >= 4 positive in men; Bradley et al. 2003: >= 3 positive in women.
    three = [1, 1, 1]
    assert score(get("audit-c"), three, sex="male").severity == "negative screen"
    assert score(get("audit-c"), three, sex="F").flags == ("audit_c_positive",)
    assert score(get("audit-c"), [2, 1, 1], sex="M").severity == "positive screen"
    assert score(get("audit-c"), [4, 4, 4]).total == 12


# ------------------------------------------------------------------------------------------------ DAST-10
def test_dast10_item3_is_reverse_scored():
    # "No" to "always able to stop?" scores 1 (Skinner 1982): only that answer -> total 1 ("low").
    no_to_item3 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    r = score(get("dast10"), no_to_item3)
    assert (r.total, r.severity) == (1, "low")
    assert r.item_scores[2] == 1
    yes_to_item3 = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    assert score(get("dast10"), yes_to_item3).total == 0
    worst = [1, 1, 0, 1, 1, 1, 1, 1, 1, 1]
    assert score(get("dast10"), worst).total == 10


# ------------------------------------------------------------------------------------------------ library
def test_every_instrument_cites_its_source_and_states_its_wording():
    for inst in INSTRUMENTS.values():
        assert inst.citation and inst.scoring_source and inst.wording_note, inst.key
        assert inst.severity_source, inst.key


def test_lookup_by_alias_and_unknown_name():
    assert get("PHQ-9").key == "phq9"
    assert get("QIDS-SR16").key == "qids_sr16"
    assert get("C-SSRS").key == "cssrs_screener"
    with pytest.raises(KeyError, match="unknown instrument"):
        get("beck")


def test_required_instrument_set_is_present():
    assert {"phq9", "gad7", "pcl5", "qids_sr16", "madrs", "cssrs_screener", "cadss", "pain_nrs"} <= set(
        INSTRUMENTS
    )
    assert {"audit_c", "dast10"} & set(INSTRUMENTS)


@pytest.mark.parametrize("key", [k for k, i in INSTRUMENTS.items() if i.scoring == "sum"])
def test_all_lowest_and_all_highest_answers_give_the_published_range(key):
    inst = INSTRUMENTS[key]
    lowest = score(inst, [it.min_value for it in inst.items])
    highest = score(inst, [it.max_value for it in inst.items])
    expected_max = {
        "phq9": 27,
        "gad7": 21,
        "pcl5": 80,
        "qids_sr16": 27,
        "madrs": 60,
        "cadss": 76,
        "pain_nrs": 10,
        "audit_c": 12,
        "dast10": 9,
    }[key]  # DAST-10: item 3 is reverse-scored, so all-"yes" is 9
    assert lowest.total == (1 if key == "dast10" else 0)  # all-"no" scores 1 on DAST-10 item 3
    assert highest.total == expected_max
    if inst.severity_bands:
        assert lowest.severity == inst.severity_bands[0].label or key == "dast10"
        assert highest.severity == inst.severity_bands[-1].label or key == "dast10"
