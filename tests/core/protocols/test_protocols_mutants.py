"""Edges and exact words of the protocol rules that mutation testing (docs/mutation.md) found untested.

Each test pins a boundary (``<`` against ``<=``), a refusal's exact words, or a field of a generated slot that
the broader tests did not look at, so that changing it makes a test fail.
"""

import re
from datetime import date, time, timedelta

import pytest

from ketamine_clinic.core.instruments.library import INSTRUMENTS
from ketamine_clinic.core.protocols.dose_rule import DoseRule
from ketamine_clinic.core.protocols.route_texts import consent_expectations, reminder_text, stay_text
from ketamine_clinic.core.protocols.routes import (
    ROUTE_RULES,
    BloodPressureLimits,
    UnknownRoute,
    dose_rule_problem,
    duration_text,
    hours_text,
    maintenance_interval_problem,
    rules_for,
)
from ketamine_clinic.core.protocols.schedule import (
    ASSESSMENT,
    DOSING,
    INTEGRATION,
    Booking,
    ClinicCalendar,
    ScheduleError,
    chair_type_problem,
    generate,
    interval_violations,
    overlapping_pairs,
    route_word,
    staff_role_problem,
)
from ketamine_clinic.core.protocols.templates import (
    ESKETAMINE_LABEL,
    IV_RACEMIC,
    PER_WEEK,
    SERIES,
    Phase,
    default_measurement_schedule,
    get_template,
    monitoring_for,
)

MONDAY = date(2026, 11, 30)


def exactly(message):
    return "^" + re.escape(message) + "$"


# ------------------------------------------------------------------------------------------------ dose rule
def test_dose_rule_accepts_its_limits_inclusive_and_refuses_zero_or_negative():
    assert DoseRule("mg_per_kg", 0.5, 0.5, 0.5).amount == 0.5  # min == amount == max is allowed
    assert DoseRule("fixed_mg", 56, 56, 84).unit == "mg"
    with pytest.raises(ValueError, match=exactly("Dose 0.5 must lie within its limits 0-1, all positive.")):
        DoseRule("mg_per_kg", 0.5, 0, 1)
    with pytest.raises(ValueError, match=exactly("Dose kind must be 'mg_per_kg' or 'fixed_mg', not 'mg'.")):
        DoseRule("mg", 1, 1, 1)


@pytest.mark.parametrize("field", ["infusion_duration_min", "concentration_mg_per_ml"])
def test_infusion_duration_and_concentration_must_be_positive_but_may_be_below_one(field):
    assert getattr(DoseRule("mg_per_kg", 0.5, 0.25, 0.75, **{field: 0.5}), field) == 0.5
    message = "Infusion duration must be positive." if field.startswith("infusion") else "Concentration must be positive."
    with pytest.raises(ValueError, match=exactly(message)):
        DoseRule("mg_per_kg", 0.5, 0.25, 0.75, **{field: 0})


def test_dose_mg_needs_a_weight_above_zero_and_reads_a_light_weight():
    rule = DoseRule("mg_per_kg", 0.5, 0.25, 0.75)
    assert rule.dose_mg(0.5) == 0.25
    with pytest.raises(
        ValueError, match=exactly("A weight in kg (greater than zero) is needed to turn a mg/kg dose into mg.")
    ):
        rule.dose_mg(0)


def test_limits_are_the_weight_based_minimum_and_maximum_and_inclusive():
    rule = DoseRule("mg_per_kg", 0.5, 0.25, 0.75)
    assert rule.limits_mg(80) == (20.0, 60.0)
    assert rule.within_limits(20.0, 80) and rule.within_limits(60.0, 80)
    assert not rule.within_limits(20.0 - 1e-6, 80)
    assert not rule.within_limits(60.0 + 1e-6, 80)


# ------------------------------------------------------------------------------------------------ route table
def test_unknown_route_names_the_known_ones():
    with pytest.raises(UnknownRoute) as refused:
        rules_for("rectal")
    assert str(refused.value) == (
        "No rules for route 'rectal'; known routes: " + ", ".join(ROUTE_RULES) + "."
    )
    assert str(refused.value) == "No rules for route 'rectal'; known routes: intranasal, iv, im, oral, sublingual."


def test_blood_pressure_caution_must_be_positive_and_strictly_below_the_stop():
    assert BloodPressureLimits(caution_sbp=0.5, caution_dbp=0.5).caution_sbp == 0.5
    message = exactly("BP caution limits must be positive and below the hard-stop limits.")
    for bad in ({"caution_sbp": 0}, {"caution_dbp": 0}, {"caution_sbp": 180}, {"caution_dbp": 110}):
        with pytest.raises(ValueError, match=message):
            BloodPressureLimits(**bad)


def test_durations_in_words():
    assert hours_text(1) == "1 hour"
    assert hours_text(2) == "2 hours"
    assert duration_text(60) == "1 hour"
    assert duration_text(120) == "2 hours"
    assert duration_text(120, short=True) == "2 h"
    assert duration_text(90) == "90 minutes"
    assert duration_text(90, short=True) == "90 min"
    assert duration_text(61) == "61 minutes"
    assert duration_text(30) == "30 minutes"


def test_dose_rule_problem_and_maintenance_interval_problem_in_words():
    assert dose_rule_problem("iv", "mg_per_kg") is None
    assert dose_rule_problem("iv", "fixed_mg") == (
        "A racemic ketamine infusion dose is written in mg/kg (weight-based (mg/kg) per the protocol template)."
    )
    assert dose_rule_problem("sublingual", "mg_per_kg") == (
        "A racemic ketamine (sublingual) dose is written in fixed mg (fixed mg per the protocol template)."
    )
    assert dose_rule_problem("intranasal", "fixed_mg", 56) is None
    assert dose_rule_problem("intranasal", "fixed_mg") is None
    assert dose_rule_problem("sublingual", "fixed_mg", 30) is None  # no device size: any mg
    source = ROUTE_RULES["intranasal"].dose_source
    assert dose_rule_problem("intranasal", "fixed_mg", 50) == (
        f"50 mg is not a whole number of 28 mg devices ({source})."
    )
    assert maintenance_interval_problem("intranasal", 14) is None
    assert maintenance_interval_problem("intranasal", 7.2) is None  # rounded to whole days
    assert maintenance_interval_problem("iv", 10) is None  # no label interval: the clinic tunes it
    assert maintenance_interval_problem("intranasal", 10) == (
        "Esketamine nasal spray maintenance is every 7 days or every 14 days "
        f"({ROUTE_RULES['intranasal'].maintenance_source})."
    )


def test_patient_sentences_are_whole():
    assert stay_text("iv") == (
        "You will stay in the clinic for at least 1 hour after each dose, until a nurse checks that you are "
        "ready to leave."
    )
    assert reminder_text(None) == "Arrange for someone to drive you home; do not drive until the next day."
    assert reminder_text("iv").endswith(" Arrange for someone to drive you home; do not drive until the next day.")
    text = consent_expectations("intranasal")
    assert text.endswith(
        "While you stay we watch for sleepiness, dissociation and raised blood pressure. In the maintenance "
        "phase, treatment is given every week or every 2 weeks."
    )
    assert consent_expectations("iv").endswith("sleepiness, dissociation and raised blood pressure.")


# ------------------------------------------------------------------------------------------------ templates
def test_default_measurements_name_real_instruments_and_screen_suicide_risk_before_every_dose():
    schedule = default_measurement_schedule()
    assert schedule == {
        "baseline": ["phq9", "gad7", "madrs", "cssrs_screener"],
        "before_each_dose": ["cssrs_screener"],
        "after_each_dose": ["cadss"],
        "weekly": ["phq9"],
        "end_of_phase": ["phq9", "gad7", "madrs"],
        "source": "clinic-defined",
    }
    for moment, keys in schedule.items():
        if moment != "source":
            assert set(keys) <= set(INSTRUMENTS), moment


def test_monitoring_reads_the_route_table():
    rules = ROUTE_RULES["intranasal"]
    m = monitoring_for("intranasal", source="S", notes="N")
    assert m.vitals_before_dose is True
    assert m.min_observation_min == 120
    assert m.source == f"S; observation: {rules.observation_source}; vitals: {rules.vitals.source}"
    assert m.vitals_interval_min == 10
    assert m.vitals_at_min == (40,)
    assert m.notes == "N"
    assert monitoring_for("iv", source="S").notes == ""


def test_phase_refusals_name_the_phase():
    assert Phase("p", "P", PER_WEEK, "s", weeks=1, doses_per_week=1, every_n_weeks=1).dose_count == 1
    assert Phase("p", "P", SERIES, "s", count=1, interval_days=0.5).dose_count == 1
    per_week = exactly("Phase p: weeks, doses per week and week step must be at least 1.")
    for bad in ({"weeks": 0}, {"doses_per_week": 0}, {"every_n_weeks": 0}):
        kw = {"weeks": 1, "doses_per_week": 1, "every_n_weeks": 1} | bad
        with pytest.raises(ValueError, match=per_week):
            Phase("p", "P", PER_WEEK, "s", **kw)
    series = exactly("Phase p: a series needs a dose count and a positive interval.")
    for bad in ({"count": 0, "interval_days": 1}, {"count": 1, "interval_days": 0}):
        with pytest.raises(ValueError, match=series):
            Phase("p", "P", SERIES, "s", **bad)
    with pytest.raises(ValueError, match=exactly("Phase p: cadence must be 'per_week' or 'series'.")):
        Phase("p", "P", "daily", "s")


def test_unknown_template_and_phase_are_named():
    with pytest.raises(KeyError) as refused:
        get_template("nope")
    assert "Unknown protocol template 'nope'; known: " in str(refused.value)
    with pytest.raises(KeyError) as refused:
        IV_RACEMIC.phase("nope")
    assert "Protocol iv_racemic_standard has no phase 'nope'." in str(refused.value)


# ------------------------------------------------------------------------------------------------ booking rules
def test_chair_type_problem_in_words():
    assert chair_type_problem("infusion", "iv") is None
    assert chair_type_problem("recliner", "intranasal") is None
    assert chair_type_problem("recliner", "iv", chair_name="Chair 3") == (
        "Chair 3 is a recliner chair; an IV infusion dose needs an infusion chair."
    )
    assert chair_type_problem("infusion", "oral") == (
        "This chair is an infusion chair; an oral dose needs a recliner chair."
    )
    assert chair_type_problem("stool", "im") == "This chair is a stool; an intramuscular dose needs an infusion chair."
    assert chair_type_problem("infusion", "rectal") == (
        "No chair type is set for the rectal route in the clinic's chair table."
    )


def test_staff_role_problem_in_words():
    assert staff_role_problem("nurse", DOSING) is None
    assert staff_role_problem("front_desk", "unknown kind") is None
    assert staff_role_problem("therapist", DOSING, staff_name="Dr T") == (
        "Dr T cannot be the staff member of this appointment: it needs an infusion nurse."
    )
    assert staff_role_problem("nurse", "consult") == (
        "This staff member cannot be the staff member of this appointment: it needs a prescriber or the "
        "medical director."
    )
    assert staff_role_problem("front_desk", ASSESSMENT) == (
        "This staff member cannot be the staff member of this appointment: it needs an infusion nurse or a "
        "therapist or a prescriber or the medical director."
    )


def test_route_words():
    assert [route_word(r) for r in ("iv", "im", "intranasal", "oral", "sublingual", "rectal")] == [
        "IV infusion", "intramuscular", "nasal spray", "oral", "sublingual", "rectal",
    ]


def test_overlapping_pairs_touching_is_not_an_overlap():
    t0 = MONDAY
    from datetime import datetime

    def at(h):
        return datetime.combine(t0, time(h))

    a, b, c, d = (
        Booking("a", at(9), at(11)),
        Booking("b", at(10), at(12)),
        Booking("c", at(12), at(13)),
        Booking("d", at(9), at(10)),
    )
    assert overlapping_pairs([c, b, a, d]) == [(d, a), (a, b)]  # d ends as b starts: no overlap
    assert overlapping_pairs([b, c]) == []
    # three at once: each later one overlaps every one still running
    e = Booking("e", at(9), at(14))
    assert overlapping_pairs([a, b, e]) == [(a, e), (a, b), (e, b)]


def test_interval_violations_pairs_consecutive_doses():
    from datetime import datetime

    t = [datetime(2026, 12, 1, 9), datetime(2026, 12, 2, 8), datetime(2026, 12, 4, 9)]
    assert interval_violations(t, 24) == [(t[0], t[1])]
    assert interval_violations(t[:1], 24) == []


# ------------------------------------------------------------------------------------------------ schedules
def test_calendar_refusals():
    with pytest.raises(
        ValueError, match=exactly("Open weekdays must be a non-empty set of numbers 0 (Monday) to 6 (Sunday).")
    ):
        ClinicCalendar(open_weekdays=frozenset({7}))
    with pytest.raises(ValueError, match=exactly("The clinic must open before it closes.")):
        ClinicCalendar(opens=time(9), closes=time(9))
    assert ClinicCalendar(open_weekdays=frozenset({6})).is_open(date(2026, 12, 6))  # a Sunday


def test_dosing_time_may_start_at_opening_and_end_at_closing():
    assert IV_RACEMIC.chair_minutes == 120
    calendar = ClinicCalendar(opens=time(8), closes=time(10))  # exactly one 120-minute chair
    slots = generate(IV_RACEMIC, MONDAY, calendar=calendar, time_of_day=time(8))
    assert slots[0].starts_at.time() == time(8)
    with pytest.raises(ScheduleError, match=exactly(
        "A 120-minute dosing session starting at 08:01 does not fit the clinic's hours (08:00-10:00)."
    )):
        generate(IV_RACEMIC, MONDAY, calendar=calendar, time_of_day=time(8, 1))
    with pytest.raises(ScheduleError, match="does not fit the clinic's hours"):
        generate(IV_RACEMIC, MONDAY, time_of_day=time(7, 59))
    with pytest.raises(ScheduleError, match="does not fit the clinic's hours"):  # 9:00 + 120 min > 10:59
        generate(IV_RACEMIC, MONDAY, calendar=ClinicCalendar(opens=time(8), closes=time(10, 59)),
                 time_of_day=time(9))


def test_generated_slots_carry_their_labels_durations_phases_and_weeks():
    slots = generate(IV_RACEMIC, MONDAY)
    doses = [s for s in slots if s.kind == DOSING]
    assert doses[0].label.endswith(" - dose 1") and doses[0].dose_number == 1
    assert doses[0].duration_min == IV_RACEMIC.chair_minutes
    integ = [s for s in slots if s.kind == INTEGRATION]
    assert integ, "the IV template has integration sessions"
    first = integ[0]
    assert first.label == "Integration session after dose 2"
    assert first.duration_min == 50
    assert first.phase_key == "induction"
    assert first.week == 1
    assert first.starts_at.date() == doses[1].starts_at.date() + timedelta(days=1)
    days = [s.starts_at.date() for s in slots]
    assert len(days) == len(set(days)), "integration and assessments never share a day with a dose or each other"
    assessments = [s for s in slots if s.kind == ASSESSMENT]
    assert assessments[0].label == "End-of-induction review (response decision)"
    assert assessments[0].duration_min == 45
    assert assessments[0].phase_key == "induction"
    assert assessments[0].week == (assessments[0].starts_at.date() - MONDAY).days // 7 + 1
    assert assessments[0].starts_at.date() >= doses[5].starts_at.date() + timedelta(days=2)


def test_no_integration_when_excluded():
    slots = generate(IV_RACEMIC, MONDAY, include_integration=False)
    assert not [s for s in slots if s.kind == INTEGRATION]


def test_label_cadence_exact_days():
    doses = [s.starts_at.date() for s in generate(ESKETAMINE_LABEL, MONDAY) if s.kind == DOSING]
    # Twice weekly for 4 weeks: Monday and Thursday ((i * 7) // 2 = 3 days after the week start).
    assert doses[:8] == [MONDAY + timedelta(days=d) for d in (0, 3, 7, 10, 14, 17, 21, 24)]
    # Then weekly from week 5 (the phase starts 4 weeks after the first).
    assert doses[8] == MONDAY + timedelta(days=28)
    assert doses[9] == MONDAY + timedelta(days=35)


def test_series_doses_follow_their_interval_from_the_phase_start():
    doses = [s.starts_at.date() for s in generate(IV_RACEMIC, MONDAY) if s.kind == DOSING]
    # six infusions Mon/Wed/Fri over two weeks
    assert doses[:6] == [MONDAY + timedelta(days=d) for d in (0, 2, 4, 7, 9, 11)]


def test_a_per_week_dose_that_cannot_fit_its_week_is_refused():
    calendar = ClinicCalendar(open_weekdays=frozenset({0}))  # Mondays only
    with pytest.raises(ScheduleError, match=r"cannot fit 2 dose\(s\) in the week starting 2026-11-30"):
        generate(ESKETAMINE_LABEL, MONDAY, calendar=calendar)


def test_a_series_dose_outside_its_window_names_the_dose():
    calendar = ClinicCalendar(open_weekdays=frozenset({0}))  # one dose a week: six take six weeks
    with pytest.raises(ScheduleError, match=r": dose 4 of 6 would fall on 2026-12-21, outside the 21-day window"):
        generate(IV_RACEMIC, MONDAY, calendar=calendar)


def test_each_booster_phase_starts_one_interval_after_the_last_dose_of_the_phase_before():
    doses = [s for s in generate(IV_RACEMIC, MONDAY) if s.kind == DOSING]
    by_phase = {}
    for s in doses:
        by_phase.setdefault(s.phase_key, []).append(s.starts_at.date())
    assert by_phase["booster_weekly"][0] == IV_RACEMIC_NEXT_OPEN(by_phase["induction"][-1] + timedelta(days=7))
    assert by_phase["booster_fortnightly"][0] == IV_RACEMIC_NEXT_OPEN(
        by_phase["booster_weekly"][-1] + timedelta(days=14)
    )


def IV_RACEMIC_NEXT_OPEN(day):  # noqa: N802 - reads as the rule
    return ClinicCalendar().next_open_day(day)


def test_no_open_day_is_named():
    calendar = ClinicCalendar(closed_dates=frozenset(MONDAY + timedelta(days=i) for i in range(60)))
    with pytest.raises(ScheduleError, match=exactly("The clinic calendar has no open day within 60 days of 2026-11-30.")):
        calendar.next_open_day(MONDAY)
