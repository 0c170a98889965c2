"""Issue 12 item 1: one source of truth per clinical rule.

For every route, the numbers in the route table (core.protocols.routes.ROUTE_RULES) are the numbers each surface
of the pure core uses or shows: the discharge gate's earliest time, the protocol templates' monitoring, the
pre-dose gate's fasting finding, the portal instructions, the consent paragraph, the appointment reminder and the
maintenance-interval suggestion. The texts are read back with a parser (digits and units in the sentence), not
compared with the table's own formatting, so a surface that writes "two hours" or "2 hours" by hand for a route
whose rule is 60 minutes fails here.
"""

import datetime as dt
import re

import pytest

from ketamine_clinic.core.administration.discharge import DischargeInputs, evaluate_discharge
from ketamine_clinic.core.administration.predose import PreDoseChecks, evaluate_pre_dose
from ketamine_clinic.core.followup.instructions import instructions_for
from ketamine_clinic.core.followup.maintenance import SuggestionKind, rules_for_route, suggest_maintenance
from ketamine_clinic.core.instruments.outcomes import Trajectory
from ketamine_clinic.core.protocols.route_texts import consent_expectations, maintenance_text, reminder_text
from ketamine_clinic.core.protocols.routes import ROUTE_RULES
from ketamine_clinic.core.protocols.templates import templates_for_route

ROUTES = sorted(ROUTE_RULES)
UNIT_MIN = {"h": 60, "hour": 60, "hours": 60, "min": 1, "minute": 1, "minutes": 1}
NUMBER = r"(\d+(?:\.\d+)?)\s*(hours?|minutes?|h|min)\b"


def minutes(number: str, unit: str) -> float:
    return float(number) * UNIT_MIN[unit]


def stated_stay_min(text: str) -> set[float]:
    """Every minimum stay a patient-facing text states ("stay ... for at least 1 hour", "watched for at least
    2 hours", "rest in the clinic for at least 60 minutes")."""
    found = re.findall(rf"(?:stay|watched|rest)\b[^.]*?\bfor at least {NUMBER}", text)
    return {minutes(n, u) for n, u in found}


def stated_fasting(text: str) -> tuple[set[float], set[float]]:
    """(food minutes, liquids minutes) every fasting sentence in ``text`` states."""
    food = re.findall(rf"[Dd]o not eat for at least {NUMBER}", text)
    drink = re.findall(rf"do not drink [a-z ]+? for at least {NUMBER}", text)
    return {minutes(n, u) for n, u in food}, {minutes(n, u) for n, u in drink}


def stated_short_fasting(text: str) -> tuple[float, float]:
    """The nurse's checklist form: "no food 4 h, no clear fluids 2 h"."""
    m = re.search(rf"no food {NUMBER}, no [a-z ]+? {NUMBER}", text)
    assert m, f"no fasting rule in {text!r}"
    return minutes(m[1], m[2]), minutes(m[3], m[4])


def table_fasting(route):
    f = ROUTE_RULES[route].fasting
    return f.food_hours * 60, f.liquids_min


# --- the parsers themselves: they read what a sentence says, whatever the table says --------------------------


def test_parsers_read_numbers_and_miss_words():
    assert stated_stay_min("You will stay in the clinic for at least 1 hour after each dose.") == {60}
    assert stated_stay_min("you stay for at least two hours") == set()  # written out: not the table's number
    assert stated_fasting("Do not eat for at least 4 hours, and do not drink clear fluids for at least 2 hours.") == (
        {240},
        {120},
    )
    assert stated_short_fasting("Fasting (no food 2 h, no liquids 30 min)") == (120, 30)


# --- each surface, each route ---------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
def test_discharge_gate_earliest_time_is_the_table_minimum(route):
    ended = dt.datetime(2025, 3, 4, 10, 0, tzinfo=dt.UTC)
    result = evaluate_discharge(
        DischargeInputs(route=route, now=ended, dosing_ended_at=ended, baseline=None, latest=None, latest_at=None)
    )
    assert result.earliest_discharge_at - ended == dt.timedelta(minutes=ROUTE_RULES[route].min_observation_min)


@pytest.mark.parametrize("route", ROUTES)
def test_every_protocol_template_monitors_by_the_table(route):
    rules = ROUTE_RULES[route]
    templates = templates_for_route(route)
    assert templates, f"no protocol template for {route}"
    for template in templates:
        assert template.monitoring.min_observation_min == rules.min_observation_min, template.key
        assert template.monitoring.vitals_interval_min == rules.vitals.during_min, template.key
        assert tuple(template.monitoring.vitals_at_min) == rules.vitals.checkpoints_min, template.key


@pytest.mark.parametrize("route", ROUTES)
def test_pre_dose_gate_fasting_finding_states_the_table_rule(route):
    day = dt.date(2025, 3, 4)
    for confirmed in (None, False, True):
        result = evaluate_pre_dose(
            PreDoseChecks(session_date=day, weight_based_dose=False, route=route, fasting_confirmed=confirmed)
        )
        (finding,) = [f for f in result.findings if f.code == "fasting"]
        assert stated_short_fasting(finding.message) == table_fasting(route), finding.message
        assert finding.source == ROUTE_RULES[route].fasting.source


@pytest.mark.parametrize("route", ROUTES)
def test_portal_instructions_state_the_table_rules(route):
    ins = instructions_for(route)
    before = " ".join(i.text for i in ins.before)
    after = " ".join(i.text for i in ins.after)
    food, drink = stated_fasting(before)
    assert (food, drink) == ({table_fasting(route)[0]}, {table_fasting(route)[1]})
    assert stated_stay_min(after) == {ROUTE_RULES[route].min_observation_min}


@pytest.mark.parametrize("route", ROUTES)
def test_consent_paragraph_states_the_table_rules(route):
    text = consent_expectations(route)
    assert stated_fasting(text) == ({table_fasting(route)[0]}, {table_fasting(route)[1]})
    assert stated_stay_min(text) == {ROUTE_RULES[route].min_observation_min}


@pytest.mark.parametrize("route", ROUTES)
def test_reminder_states_the_table_rules(route):
    text = reminder_text(route)
    assert stated_fasting(text) == ({table_fasting(route)[0]}, {table_fasting(route)[1]})
    assert stated_stay_min(text) == {ROUTE_RULES[route].min_observation_min}
    assert "drive" in text


def test_iv_is_one_hour_not_two_everywhere():
    """The bug the issue reports: the IV consent said "at least two hours" while the IV minimum is 60 min."""
    assert ROUTE_RULES["iv"].min_observation_min == 60
    for text in (consent_expectations("iv"), reminder_text("iv"), " ".join(i.text for i in instructions_for("iv").after)):
        assert stated_stay_min(text) == {60}


# --- maintenance intervals --------------------------------------------------------------------------------------

INDUCTION = [dt.datetime(2025, 1, 1, 9) + dt.timedelta(days=d) for d in (0, 2, 4, 7, 9, 11)]


def stable_patient_on(interval_days: int):
    """A responder (PHQ-9 20 -> 5) holding response over three boosters ``interval_days`` apart."""
    boosters = [INDUCTION[-1] + dt.timedelta(days=7 + interval_days * k) for k in range(3)]
    points = [(INDUCTION[0] - dt.timedelta(days=1), 20)]
    points += [(when + dt.timedelta(days=1), 5) for when in INDUCTION[-1:] + boosters]
    return Trajectory.from_points("phq9", points), INDUCTION + boosters


@pytest.mark.parametrize("route", ROUTES)
def test_maintenance_suggestion_only_offers_the_table_intervals(route):
    allowed = ROUTE_RULES[route].maintenance_intervals_days
    assert rules_for_route(route).allowed_intervals_days == tuple(sorted(allowed))
    if not allowed:
        assert maintenance_text(route) is None
        return
    # The consent's words name each allowed interval, and nothing else.
    words = maintenance_text(route)
    assert words == " or ".join("every week" if d == 7 else f"every {d // 7} weeks" for d in sorted(allowed))
    trajectory, doses = stable_patient_on(min(allowed))
    s = suggest_maintenance(trajectory, doses, rules_for_route(route))
    assert s.kind == SuggestionKind.STRETCH
    assert s.suggested_interval_days in allowed and s.suggested_interval_days > min(allowed)
    assert f"{s.suggested_interval_days} days" in s.reason
