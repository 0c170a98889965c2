"""The REMS form's rules in the core: the 7-day deadline, the dose boxes, the BP checkpoints, completeness and
the evaluation suggestion."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketamine_clinic.core.administration import rems_form as r
from ketamine_clinic.core.administration.vitals import VitalSigns

T0 = dt.datetime(2026, 11, 6, 10, 0, tzinfo=dt.UTC)


def test_a_friday_session_is_due_the_next_friday_across_the_weekend():
    friday = dt.date(2026, 11, 27)
    due = r.deadline(friday, today=dt.date(2026, 11, 30))  # the Monday after
    assert due.due_on == dt.date(2026, 12, 4) and due.days_left == 4 and not due.overdue
    assert r.deadline(friday, today=dt.date(2026, 12, 4)).text == "due today"
    late = r.deadline(friday, today=dt.date(2026, 12, 6))
    assert late.overdue and late.days_left == -2 and late.text.startswith("overdue by 2 days")


def test_the_daylight_saving_change_moves_no_deadline():
    # US clocks went back on Sunday 1 November 2026: seven calendar days are still seven.
    assert r.deadline(dt.date(2026, 10, 29), today=dt.date(2026, 11, 2)).due_on == dt.date(2026, 11, 5)


@given(st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 1, 1)), st.integers(0, 30))
def test_days_left_count_down_one_a_day(treatment, days_after):
    today = treatment + dt.timedelta(days=days_after)
    due = r.deadline(treatment, today)
    assert due.days_left == r.SUBMIT_WITHIN_DAYS - days_after
    assert due.overdue == (days_after > r.SUBMIT_WITHIN_DAYS)


@pytest.mark.parametrize("mg,box", [(56, "56 mg"), (84, "84 mg"), (28, "Other: 28 mg"), (None, None)])
def test_dose_boxes(mg, box):
    assert r.dose_box(mg) == box


def test_checkpoints_pick_the_forms_readings():
    readings = [
        r.Reading(T0 - dt.timedelta(minutes=10), VitalSigns(130, 80)),
        r.Reading(T0 + dt.timedelta(minutes=30), VitalSigns(150, 90)),
        r.Reading(T0 + dt.timedelta(minutes=42), VitalSigns(155, 92)),
        r.Reading(T0 + dt.timedelta(minutes=60), VitalSigns(hr=70)),  # no BP: skipped
        r.Reading(T0 + dt.timedelta(minutes=118), VitalSigns(128, 78)),
        r.Reading(T0 + dt.timedelta(minutes=140), VitalSigns(126, 76)),  # after completion
    ]
    got = r.bp_checkpoints(readings, T0, T0 + dt.timedelta(minutes=120))
    assert r.bp_text(got["before"].vitals) == "130/80"
    assert r.bp_text(got["after_40_min"].vitals) == "155/92"
    assert r.bp_text(got["at_completion"].vitals) == "128/78"
    far = r.bp_checkpoints(readings[:1] + readings[4:], T0, None)
    assert far["after_40_min"] is None


def _complete():
    values = {key: "x" for key, _ in r.REQUIRED}
    values.update(total_minutes=125, serious_adverse_event=False, sedation=False)
    return values


def test_false_is_an_answer_and_blank_is_not():
    assert r.missing_fields(_complete()) == []
    values = _complete() | {"sedation": None, "lot_number": ""}
    assert r.missing_fields(values) == ["lot number", "sedation (yes/no)"]


def test_monitoring_under_two_hours_is_incomplete():
    assert r.missing_fields(_complete() | {"total_minutes": 119}) == [
        "monitoring of at least 120 minutes (charted: 119)"
    ]


def test_suggestion_is_the_latest_recovery_rounded_up():
    baseline = VitalSigns(120, 80, 70)
    readings = [
        r.Reading(T0 + dt.timedelta(minutes=40), VitalSigns(160, 100, 90)),
        r.Reading(T0 + dt.timedelta(minutes=61), VitalSigns(125, 82, 72)),
        r.Reading(T0 + dt.timedelta(minutes=90), VitalSigns(124, 80, 70)),
    ]
    cadss = [(T0 + dt.timedelta(minutes=20), 12), (T0 + dt.timedelta(minutes=50), 0)]
    s = r.evaluation_suggestion(first_device_at=T0, baseline=baseline, readings=readings, dissociation=cadss,
                                predicted_below_min=None)
    assert (s.vitals_recovered_min, s.dissociation_resolved_min, s.minutes) == (61, 50, 65)
    later = r.evaluation_suggestion(first_device_at=T0, baseline=baseline, readings=readings, dissociation=cadss,
                                    predicted_below_min=77.5)
    assert later.minutes == 80
    relapse = readings + [r.Reading(T0 + dt.timedelta(minutes=100), VitalSigns(170, 100, 70))]
    none = r.evaluation_suggestion(first_device_at=T0, baseline=baseline, readings=relapse, dissociation=cadss,
                                   predicted_below_min=None)
    assert none.minutes is None and "not back within 20%" in none.reasons[0]
