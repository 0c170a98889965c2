"""Billing lines from a session's facts: the CPT time rules, the esketamine G codes and drug codes, no drug no code."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketamine_clinic.core.administration import billing
from ketamine_clinic.core.administration.billing import SessionFacts, billing_lines, infusion_units

DAY = dt.date(2026, 12, 1)
START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def iv(minutes, outcome="completed", mg=35, seconds=0):
    return SessionFacts(
        route="iv", outcome=outcome, date_of_service=DAY, delivered_mg=mg, infusion_started_at=START,
        infusion_ended_at=START + dt.timedelta(minutes=minutes, seconds=seconds),
    )


def nasal(mg, observed=125, day=DAY, outcome="completed"):
    ended = START + dt.timedelta(minutes=5)
    return SessionFacts(
        route="intranasal", outcome=outcome, date_of_service=day, delivered_mg=mg, infusion_started_at=START,
        infusion_ended_at=ended, observation_started_at=ended,
        observation_ended_at=None if observed is None else ended + dt.timedelta(minutes=observed),
    )


def codes(suggestion):
    return {line.code: line.units for line in suggestion.lines}


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (15, {"96374": 1, "J3490": 1}),
        (16, {"96365": 1, "J3490": 1}),
        (40, {"96365": 1, "J3490": 1}),
        (90, {"96365": 1, "J3490": 1}),
        (91, {"96365": 1, "96366": 1, "J3490": 1}),
        (150, {"96365": 1, "96366": 1, "J3490": 1}),
        (151, {"96365": 1, "96366": 2, "J3490": 1}),
        (210, {"96365": 1, "96366": 2, "J3490": 1}),
        (211, {"96365": 1, "96366": 3, "J3490": 1}),
    ],
)
def test_iv_infusion_time_boundaries(minutes, expected):
    assert codes(billing_lines(iv(minutes))) == expected


def test_a_part_minute_does_not_count():
    """15 min 59 s is still 15 whole minutes: a push, not an infusion."""
    suggestion = billing_lines(iv(15, seconds=59))
    assert "96365" not in codes(suggestion) and suggestion.infusion_minutes == 15


def test_charted_total_minutes_win_over_the_clock_times():
    facts = SessionFacts(route="iv", outcome="completed", date_of_service=DAY, delivered_mg=35,
                         infusion_started_at=START, infusion_ended_at=START + dt.timedelta(minutes=10),
                         infusion_minutes=95)
    assert codes(billing_lines(facts)) == {"96365": 1, "96366": 1, "J3490": 1}


def test_iv_lines_are_cited_and_say_why():
    suggestion = billing_lines(iv(40))
    first = suggestion.lines[0]
    assert first.system == "CPT" and first.source == "cpt_infusion" and "40 min" in first.why
    assert "15 minutes" in first.citation
    drug = suggestion.lines[-1]
    assert drug.system == "HCPCS" and "35 mg" in drug.why and "NDC" in drug.why


def test_iv_without_stop_time_has_only_the_drug_and_says_why():
    facts = SessionFacts(route="iv", outcome="completed", date_of_service=DAY, delivered_mg=35,
                         infusion_started_at=START)
    suggestion = billing_lines(facts)
    assert codes(suggestion) == {"J3490": 1} and "start or stop time" in suggestion.notes[0]


@pytest.mark.parametrize(("mg", "code"), [(28, "G2082"), (56, "G2082"), (84, "G2083")])
def test_esketamine_dose_divides_g2082_from_g2083(mg, code):
    suggestion = billing_lines(nasal(mg))
    assert codes(suggestion) == {code: 1, "J0013": mg}
    g = suggestion.lines[0]
    assert g.payer == billing.MEDICARE and "established patient" in g.why
    assert suggestion.lines[1].payer == billing.DRUG_BILLED_SEPARATELY


def test_before_2026_the_esketamine_drug_code_was_s0013():
    assert codes(billing_lines(nasal(56, day=dt.date(2025, 12, 31)))) == {"G2082": 1, "S0013": 56}
    assert codes(billing_lines(nasal(56, day=dt.date(2026, 1, 1)))) == {"G2082": 1, "J0013": 56}


@pytest.mark.parametrize(("observed", "has_g"), [(119, False), (120, True), (None, False)])
def test_g_codes_need_the_two_hours_observation(observed, has_g):
    suggestion = billing_lines(nasal(56, observed=observed))
    assert ("G2082" in codes(suggestion)) is has_g
    assert "J0013" in codes(suggestion)
    if not has_g:
        assert "2 hours" in suggestion.notes[-1]


@pytest.mark.parametrize("route", ["iv", "intranasal", "im", "oral"])
def test_aborted_or_no_dose_gives_no_lines(route):
    for facts in (
        SessionFacts(route=route, outcome="aborted", date_of_service=DAY),
        SessionFacts(route=route, outcome="stopped_early", date_of_service=DAY, delivered_mg=0),
        SessionFacts(route=route, outcome="completed", date_of_service=DAY, delivered_mg=None),
    ):
        suggestion = billing_lines(facts)
        assert suggestion.lines == () and "No drug was given" in suggestion.notes[0]


def test_stopped_early_codes_what_ran():
    suggestion = billing_lines(iv(20, outcome="stopped_early", mg=17.5))
    assert codes(suggestion) == {"96365": 1, "J3490": 1}
    assert "17.5 mg" in suggestion.lines[-1].why and "stopped early" in suggestion.notes[0]


def test_session_under_way_has_no_lines_yet():
    suggestion = billing_lines(iv(40, outcome="under_way"))
    assert suggestion.lines == () and "not finished" in suggestion.notes[0]


def test_im_is_an_injection_and_the_unclassified_drug():
    facts = SessionFacts(route="im", outcome="completed", date_of_service=DAY, delivered_mg=50)
    assert codes(billing_lines(facts)) == {"96372": 1, "J3490": 1}


@pytest.mark.parametrize("route", ["oral", "sublingual"])
def test_by_mouth_no_codes_and_says_so(route):
    facts = SessionFacts(route=route, outcome="completed", date_of_service=DAY, delivered_mg=100)
    suggestion = billing_lines(facts)
    assert suggestion.lines == () and "E/M" in suggestion.notes[0]


def test_unknown_route_or_outcome_is_refused():
    with pytest.raises(ValueError, match="route"):
        billing_lines(SessionFacts(route="rectal", outcome="completed", date_of_service=DAY, delivered_mg=5))
    with pytest.raises(ValueError, match="outcome"):
        billing_lines(SessionFacts(route="iv", outcome="done", date_of_service=DAY, delivered_mg=5))


def test_every_code_has_a_source_and_description():
    for code, key in billing.CODE_SOURCES.items():
        assert key in billing.SOURCES and billing.DESCRIPTIONS[code]


@given(st.integers(min_value=0, max_value=24 * 60))
def test_infusion_units_cover_the_time_by_the_30_minute_rule(minutes):
    first, more = infusion_units(minutes)
    if minutes <= 15:
        assert (first, more) == (0, 0)
        return
    assert first == 1
    # Each billed hour beyond the first is more than 30 min of infusion; an unbilled remainder is at most 30 min.
    beyond = max(minutes - 60, 0)
    if more:
        assert beyond >= (more - 1) * 60 + 31
    assert beyond - more * 60 <= 30


@given(st.integers(min_value=0, max_value=24 * 60))
def test_infusion_units_never_fall_as_time_grows(minutes):
    a, b = infusion_units(minutes), infusion_units(minutes + 1)
    assert a[0] <= b[0] and a[1] <= b[1]


def test_pauses_do_not_count_as_infusion_time():
    """100 min on the clock with a 12-minute pause is 88 min of infusion: the first hour only, no 96366."""
    paused = (START + dt.timedelta(minutes=30), START + dt.timedelta(minutes=42))
    facts = SessionFacts(route="iv", outcome="completed", date_of_service=DAY, delivered_mg=35,
                         infusion_started_at=START, infusion_ended_at=START + dt.timedelta(minutes=100),
                         infusion_pauses=(paused,))
    suggestion = billing_lines(facts)
    assert suggestion.infusion_minutes == 88 and codes(suggestion) == {"96365": 1, "J3490": 1}
    assert "pauses not counted" in suggestion.lines[0].why


def test_pause_never_resumed_runs_to_the_end_and_overlaps_count_once():
    end = START + dt.timedelta(minutes=60)
    assert billing.running_minutes(START, end, [(START + dt.timedelta(minutes=40), None)]) == 40
    overlapping = [(START + dt.timedelta(minutes=10), START + dt.timedelta(minutes=20)),
                   (START + dt.timedelta(minutes=15), START + dt.timedelta(minutes=25))]
    assert billing.running_minutes(START, end, overlapping) == 45
    before_start = [(START - dt.timedelta(minutes=10), START + dt.timedelta(minutes=5))]
    assert billing.running_minutes(START, end, before_start) == 55
    assert billing.running_minutes(START, None, overlapping) is None


@given(st.lists(st.tuples(st.integers(0, 120), st.integers(0, 60)), max_size=5))
def test_running_time_is_between_zero_and_the_clock_time(pauses):
    end = START + dt.timedelta(minutes=100)
    spans = [(START + dt.timedelta(minutes=a), START + dt.timedelta(minutes=a + b)) for a, b in pauses]
    minutes = billing.running_minutes(START, end, spans)
    assert 0 <= minutes <= 100
    if not any(b for _, b in pauses):
        assert minutes == 100
