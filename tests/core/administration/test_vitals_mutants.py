"""Vital signs pinned at their limits and word for word: plausibility refusals, alerts, baseline, due times.

Written against surviving mutants (docs/mutation.md): before, a plausibility limit, an alert's comparator or
message, the baseline percentage or the due-time rules could change with no test failing.
"""

import datetime as dt

import pytest

from ketamine_clinic.core.administration.vitals import (
    DEFAULT_THRESHOLDS,
    ImplausibleVitals,
    Threshold,
    VitalsAlert,
    VitalSigns,
    VitalsSchedule,
    is_overdue,
    next_vitals_due,
    validate_vitals,
    vitals_alerts,
    within_pct_of_baseline,
)

T0 = dt.datetime(2026, 12, 1, 10, 0)


def at(minutes):
    return T0 + dt.timedelta(minutes=minutes)


def refused(vitals, **kwargs):
    with pytest.raises(ImplausibleVitals) as err:
        validate_vitals(vitals, **kwargs)
    return err.value.errors, str(err.value)


# ---- plausibility: the limits are accepted, one past them is refused ------------------------------------------

LIMITS = [("sbp", 50, 280, "mmHg"), ("dbp", 20, 180, "mmHg"), ("hr", 20, 250, "/min"), ("spo2", 50, 100, "%"),
          ("rr", 2, 60, "/min")]


def reading(name, value):
    # A systolic pressure needs a diastolic one (and the other way round) that is lower.
    if name == "sbp":
        return VitalSigns(sbp=value, dbp=min(40, value - 1))
    if name == "dbp":
        return VitalSigns(sbp=max(value + 1, 200), dbp=value)
    return VitalSigns(**{name: value})


@pytest.mark.parametrize("name,low,high,unit", LIMITS)
def test_plausible_range_limits_are_inclusive(name, low, high, unit):
    for value in (low, high):
        assert validate_vitals(reading(name, value)) == reading(name, value)
    for value, shown in ((low - 1, f"{low - 1}"), (high + 0.5, f"{high + 0.5:g}")):
        errors, _ = refused(reading(name, value))
        assert errors == {name: f"{shown} {unit} is outside the plausible range {low}-{high}."}


def test_every_bad_field_is_named_in_the_message():
    errors, message = refused(VitalSigns(sbp=1200, dbp=80, hr=72, spo2=101))
    assert errors == {
        "sbp": "1200 mmHg is outside the plausible range 50-280.",
        "spo2": "101 % is outside the plausible range 50-100.",
    }
    assert message == (
        "Systolic BP: 1200 mmHg is outside the plausible range 50-280.; "
        "SpO2: 101 % is outside the plausible range 50-100."
    )


def test_blood_pressure_needs_both_numbers_and_diastolic_below_systolic():
    assert refused(VitalSigns(sbp=120))[0] == {"dbp": "Enter both systolic and diastolic pressure."}
    assert refused(VitalSigns(dbp=80))[0] == {"sbp": "Enter both systolic and diastolic pressure."}
    assert refused(VitalSigns(sbp=120, dbp=120))[0] == {"dbp": "Diastolic pressure must be lower than systolic."}
    assert validate_vitals(VitalSigns(sbp=120, dbp=119)).dbp == 119


def test_an_empty_reading_is_refused_unless_allowed():
    errors, message = refused(VitalSigns())
    assert errors == {"sbp": "Enter at least one vital sign."}
    assert message == "Systolic BP: Enter at least one vital sign."
    assert validate_vitals(VitalSigns(), require_any=False) == VitalSigns()
    assert validate_vitals(VitalSigns(hr=72)) == VitalSigns(hr=72)


def test_an_unknown_field_name_is_shown_as_it_is():
    assert str(ImplausibleVitals({"temp": "too hot"})) == "temp: too hot"
    assert ImplausibleVitals({"hr": "x"}).errors == {"hr": "x"}


def test_reading_helpers():
    assert VitalSigns(sbp=120, dbp=80, hr=0).values() == {"sbp": 120, "dbp": 80, "hr": 0}
    assert VitalSigns(sbp=120.5, dbp=80).bp_text == "120.5/80"
    assert VitalSigns(sbp=120).bp_text == "-" and VitalSigns(dbp=80).bp_text == "-"


# ---- alerts ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reading,messages",
    [
        (dict(sbp=181, dbp=100), ["Systolic BP 181 mmHg (alert: > 180)"]),
        (dict(sbp=170, dbp=111), ["Diastolic BP 111 mmHg (alert: > 110)"]),
        (dict(sbp=89, dbp=50), ["Systolic BP 89 mmHg (alert: < 90)"]),
        (dict(sbp=90, dbp=50), []),
        (dict(hr=111), ["Heart rate 111 /min (alert: > 110)"]),
        (dict(hr=49), ["Heart rate 49 /min (alert: < 50)"]),
        (dict(hr=50), []),
        (dict(spo2=91.5), ["SpO2 91.5 % (alert: < 92)"]),
        (dict(rr=9), ["Respiratory rate 9 /min (alert: < 10)"]),
        (dict(rr=10), []),
        (dict(rr=24), []),
        (dict(rr=25), ["Respiratory rate 25 /min (alert: > 24)"]),
        (dict(sbp=200, dbp=120, hr=130, spo2=85, rr=30),
         ["Systolic BP 200 mmHg (alert: > 180)", "Diastolic BP 120 mmHg (alert: > 110)",
          "Heart rate 130 /min (alert: > 110)", "SpO2 85 % (alert: < 92)", "Respiratory rate 30 /min (alert: > 24)"]),
    ],
)
def test_alerts_word_for_word_at_their_limits(reading, messages):
    assert [a.message for a in vitals_alerts(VitalSigns(**reading))] == messages


def test_an_alert_keeps_the_vital_the_value_and_its_threshold():
    [alert] = vitals_alerts(VitalSigns(hr=120))
    assert alert == VitalsAlert("hr", 120, DEFAULT_THRESHOLDS[3])
    assert DEFAULT_THRESHOLDS[3] == Threshold("hr", ">", 110, "clinic-defined (protocol value; review locally)")


def test_default_thresholds_and_their_sources():
    esc = ("clinic alert at Williams et al., 2018 ESC/ESH hypertension guidelines, Eur Heart J 2018;39:3021 "
           "(grade 3: >=180/110)")
    clinic = "clinic-defined (protocol value; review locally)"
    assert [(t.vital, t.comparator, t.value, t.source, t.level) for t in DEFAULT_THRESHOLDS] == [
        ("sbp", ">", 180, esc, "alert"),
        ("dbp", ">", 110, esc, "alert"),
        ("sbp", "<", 90, clinic, "alert"),
        ("hr", ">", 110, clinic, "alert"),
        ("hr", "<", 50, clinic, "alert"),
        ("spo2", "<", 92, f"{clinic}; pulse oximetry monitoring per SPRAVATO PI 2023", "alert"),
        ("rr", "<", 10, clinic, "alert"),
        ("rr", ">", 24, clinic, "alert"),
    ]


@pytest.mark.parametrize(
    "comparator,below,at_limit,above",
    [(">", False, False, True), ("<", True, False, False), (">=", False, True, True), ("<=", True, True, False)],
)
def test_each_comparator(comparator, below, at_limit, above):
    t = Threshold("hr", comparator, 100, "test")
    assert (t.crossed_by(99), t.crossed_by(100), t.crossed_by(101)) == (below, at_limit, above)
    assert t.describe() == f"Heart rate {comparator} 100 /min"


def test_custom_thresholds_replace_the_defaults():
    custom = (Threshold("spo2", "<=", 94, "local"),)
    assert [a.message for a in vitals_alerts(VitalSigns(spo2=94, sbp=200, dbp=50), custom)] == [
        "SpO2 94 % (alert: <= 94)"
    ]
    assert Threshold("sbp", ">", 170.5, "x").describe() == "Systolic BP > 170.5 mmHg"


# ---- comparison with the baseline -----------------------------------------------------------------------------


def test_within_percent_of_baseline_both_ways_and_only_where_both_are_measured():
    base = VitalSigns(sbp=100, dbp=80, hr=60, spo2=98)
    result = within_pct_of_baseline(VitalSigns(sbp=80, dbp=96.5, spo2=90), base, 20)
    assert result == {"sbp": (True, 80, 100), "dbp": (False, 96.5, 80)}
    assert within_pct_of_baseline(VitalSigns(sbp=79.5, hr=72), base, 20) == {
        "sbp": (False, 79.5, 100),
        "hr": (True, 72, 60),
    }
    assert within_pct_of_baseline(VitalSigns(sbp=110), base, 10) == {"sbp": (True, 110, 100)}
    assert within_pct_of_baseline(VitalSigns(spo2=90), base, 20, names=("spo2",)) == {"spo2": (True, 90, 98)}


# ---- when vitals are due ------------------------------------------------------------------------------------


def test_a_schedule_needs_positive_intervals():
    for during, after in ((0, 15), (10, 0), (-1, 15)):
        with pytest.raises(ValueError) as err:
            VitalsSchedule(during, after, "x")
        assert str(err.value) == "Vitals intervals must be positive minutes."
    assert VitalsSchedule(1, 1, "x").checkpoints_min == ()


SCHEDULE = VitalsSchedule(10, 15, "test", (40,))


def due(started, ended, readings, schedule=SCHEDULE):
    return next_vitals_due(schedule, dosing_started_at=started, dosing_ended_at=ended, reading_times=readings)


def test_due_times():
    assert due(None, None, [at(5)]) is None
    # A reading at the start itself counts (">=" the start); one before it does not.
    assert due(T0, None, [T0]) == at(10)
    assert due(T0, None, [at(-1)]) == at(10)
    # The latest reading is the anchor, whatever the order given.
    assert due(T0, None, [at(20), at(12)]) == at(30)
    # After the dose has ended the longer interval applies.
    assert due(T0, at(5), [at(5)]) == at(20)
    # The checkpoint comes first when earlier than the routine reading, and is covered by a reading at it.
    assert due(T0, at(5), [at(30)]) == at(40)
    assert due(T0, at(5), [at(40)]) == at(55)
    # A checkpoint exactly at the routine due time is the same time.
    assert due(T0, at(5), [at(25)]) == at(40)
    assert due(T0, at(5), [at(26)]) == at(40)
    # A checkpoint later than the routine reading waits.
    assert due(T0, None, [at(20)]) == at(30)
    # A reading taken at the very start covers a checkpoint at minute 0.
    at_start = VitalsSchedule(10, 15, "test", (0,))
    assert due(T0, None, [T0], schedule=at_start) == at(10)
    assert due(T0, None, [at(-1)], schedule=at_start) == T0


def test_overdue_only_past_the_grace():
    assert not is_overdue(at(10), at(12))
    assert is_overdue(at(10), at(12) + dt.timedelta(seconds=1))
    assert not is_overdue(at(10), at(15), grace_min=5)
    assert is_overdue(at(10), at(15) + dt.timedelta(seconds=1), grace_min=5)
    assert not is_overdue(None, at(100))
