"""Property tests of the generic engine over every summed instrument."""

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ketamine_clinic.core.instruments import INSTRUMENTS, ScoringError, score

SUMMED = [i for i in INSTRUMENTS.values() if i.scoring == "sum"]


def full_answers(inst):
    return st.tuples(*[st.sampled_from(it.values) for it in inst.items]).map(list)


@st.composite
def instrument_and_answers(draw):
    inst = draw(st.sampled_from(SUMMED))
    return inst, draw(full_answers(inst))


@settings(max_examples=300, deadline=None)
@given(instrument_and_answers())
def test_total_is_within_range_and_its_band_matches(case):
    inst, answers = case
    r = score(inst, answers)
    assert inst.min_total <= r.total <= inst.max_total
    if inst.severity_bands:
        band = next(b for b in inst.severity_bands if b.low <= r.total <= b.high)
        assert r.severity == band.label
    assert not r.prorated and r.missing_items == ()


@settings(max_examples=300, deadline=None)
@given(instrument_and_answers(), st.data())
def test_raising_one_answer_never_lowers_the_total_unless_reverse_scored(case, data):
    inst, answers = case
    i = data.draw(st.integers(0, inst.n_items - 1))
    item = inst.items[i]
    assume(answers[i] != item.max_value)
    higher = list(answers)
    higher[i] = data.draw(st.sampled_from([v for v in item.values if v > answers[i]]))
    before, after = score(inst, answers).total, score(inst, higher).total
    if item.reverse_scored:
        assert after <= before
    else:
        assert after >= before


@settings(max_examples=300, deadline=None)
@given(instrument_and_answers(), st.data())
def test_an_out_of_range_answer_is_rejected_naming_that_item(case, data):
    inst, answers = case
    i = data.draw(st.integers(0, inst.n_items - 1))
    item = inst.items[i]
    bad = data.draw(st.integers(-5, 20).filter(lambda v: v not in item.values))
    answers[i] = bad
    with pytest.raises(ScoringError) as exc:
        score(inst, answers)
    assert exc.value.item == item.number
    assert f"item {item.number}" in str(exc.value)


@settings(max_examples=300, deadline=None)
@given(instrument_and_answers(), st.data())
def test_prorated_total_stays_in_range_and_equals_full_score_when_answers_are_uniform(case, data):
    inst, answers = case
    assume(inst.max_missing > 0 and not inst.max_groups)
    blankable = [k for k, it in enumerate(inst.items) if not it.is_critical]
    k = data.draw(st.integers(1, inst.max_missing))
    blanks = data.draw(st.lists(st.sampled_from(blankable), min_size=k, max_size=k, unique=True))
    partial = [None if idx in blanks else a for idx, a in enumerate(answers)]
    r = score(inst, partial)
    assert r.prorated and inst.min_total <= r.total <= inst.max_total
    v = data.draw(st.sampled_from(inst.items[0].values))
    uniform = [v] * inst.n_items
    uniform_blank = [None if idx in blanks else v for idx in range(inst.n_items)]
    assert score(inst, uniform_blank).total == score(inst, uniform).total


@settings(max_examples=200, deadline=None)
@given(instrument_and_answers())
def test_one_blank_more_than_allowed_is_always_rejected(case):
    inst, answers = case
    blankable = [k for k, it in enumerate(inst.items) if not it.is_critical]
    assume(not inst.max_groups and len(blankable) > inst.max_missing)
    for idx in blankable[: inst.max_missing + 1]:
        answers[idx] = None
    with pytest.raises(ScoringError, match="too many unanswered"):
        score(inst, answers)


@st.composite
def cssrs_answers(draw):
    """Any consistent C-SSRS screener answer set (skipped branches blank)."""
    yn = st.sampled_from([0, 1])
    q1, q2, q6 = draw(yn), draw(yn), draw(yn)
    q3_5 = [draw(yn) for _ in range(3)] if q2 else [None, None, None]
    q6b = draw(yn) if q6 else None
    return [q1, q2, *q3_5, q6, q6b]


@settings(max_examples=300, deadline=None)
@given(cssrs_answers(), st.data())
def test_cssrs_saying_yes_to_one_more_question_never_lowers_the_risk_level(answers, data):
    from ketamine_clinic.core.instruments import get

    inst = get("cssrs")
    levels = inst.risk_levels
    before = score(inst, answers).severity
    assume(0 in answers[:6])
    i = data.draw(st.sampled_from([k for k, v in enumerate(answers) if v == 0 and k != 6]))
    more = list(answers)
    more[i] = 1
    if i == 1:  # Q2 yes opens Q3-5
        more[2:5] = [0, 0, 0]
    if i == 5:  # Q6 yes asks about recency
        more[6] = data.draw(st.sampled_from([0, 1]))
    after = score(inst, more).severity
    assert levels.index(after) >= levels.index(before)
    assert ("cssrs_positive" in score(inst, more).flags) == (after != "none")
