"""Vitals plausibility, alert thresholds, comparison with baseline and the due-time schedule."""

import datetime as dt

import pytest

from ketamine_clinic.core.administration.vitals import (
    DEFAULT_THRESHOLDS,
    VITALS_SCHEDULES,
    ImplausibleVitals,
    VitalSigns,
    is_overdue,
    next_vitals_due,
    validate_vitals,
    vitals_alerts,
    within_pct_of_baseline,
)

T0 = dt.datetime(2026, 3, 2, 9, 0)


def at(minutes):
    return T0 + dt.timedelta(minutes=minutes)


def alerted(**v):
    return sorted({a.vital for a in vitals_alerts(VitalSigns(**v))})


def test_normal_reading_raises_nothing():
    assert vitals_alerts(VitalSigns(sbp=130, dbp=85, hr=80, spo2=97, rr=14)) == []


@pytest.mark.parametrize(
    "reading,expected",
    [
        (dict(sbp=180, dbp=110), []),  # thresholds are strictly above 180 / 110
        (dict(sbp=181, dbp=100), ["sbp"]),
        (dict(sbp=170, dbp=111), ["dbp"]),
        (dict(hr=111), ["hr"]),
        (dict(hr=110), []),
        (dict(spo2=91), ["spo2"]),
        (dict(spo2=92), []),
        (dict(rr=8), ["rr"]),
        (dict(rr=26), ["rr"]),
        (dict(sbp=85, dbp=50), ["sbp"]),
    ],
)
def test_threshold_boundaries(reading, expected):
    assert alerted(**reading) == expected


def test_every_threshold_names_a_source():
    assert all(t.source for t in DEFAULT_THRESHOLDS)
    msg = vitals_alerts(VitalSigns(sbp=190, dbp=100))[0].message
    assert "190" in msg and "180" in msg


def test_implausible_values_are_refused_field_by_field():
    with pytest.raises(ImplausibleVitals) as err:
        validate_vitals(VitalSigns(sbp=1200, dbp=80, hr=72, spo2=101))
    assert set(err.value.errors) == {"sbp", "spo2"}
    with pytest.raises(ImplausibleVitals) as err:
        validate_vitals(VitalSigns(sbp=80, dbp=120))
    assert "lower than systolic" in err.value.errors["dbp"]
    with pytest.raises(ImplausibleVitals):
        validate_vitals(VitalSigns(sbp=120))
    with pytest.raises(ImplausibleVitals):
        validate_vitals(VitalSigns())
    ok = VitalSigns(sbp=120, dbp=80)
    assert validate_vitals(ok) is ok


def test_within_pct_of_baseline():
    base = VitalSigns(sbp=120, dbp=80, hr=70)
    res = within_pct_of_baseline(VitalSigns(sbp=144, dbp=97, hr=70), base, 20)
    assert res["sbp"][0] is True  # exactly +20%
    assert res["dbp"][0] is False  # 97 > 96
    assert "spo2" not in res


def test_iv_schedule_every_10_during_then_15_after():
    iv = VITALS_SCHEDULES["iv"]
    assert next_vitals_due(iv, dosing_started_at=None, dosing_ended_at=None, reading_times=[at(-5)]) is None
    # baseline reading before dosing does not count: first due 10 min after start
    assert next_vitals_due(iv, dosing_started_at=T0, dosing_ended_at=None, reading_times=[at(-5)]) == at(10)
    assert next_vitals_due(
        iv, dosing_started_at=T0, dosing_ended_at=None, reading_times=[at(10), at(21)]
    ) == at(31)
    after = next_vitals_due(iv, dosing_started_at=T0, dosing_ended_at=at(40), reading_times=[at(10), at(40)])
    assert after == at(55)


def test_esketamine_checkpoint_at_40_minutes():
    nasal = VITALS_SCHEDULES["intranasal"]
    # after dosing ended at 10 min, routine interval is 15 min, but the 40-min BP check must happen
    due = next_vitals_due(nasal, dosing_started_at=T0, dosing_ended_at=at(10), reading_times=[at(10), at(25)])
    assert due == at(40)
    due = next_vitals_due(nasal, dosing_started_at=T0, dosing_ended_at=at(10), reading_times=[at(30)])
    assert due == at(40)  # 30 + 15 = 45, checkpoint 40 comes first
    due = next_vitals_due(nasal, dosing_started_at=T0, dosing_ended_at=at(10), reading_times=[at(41)])
    assert due == at(56)


def test_overdue_uses_grace():
    assert not is_overdue(at(10), at(11))
    assert is_overdue(at(10), at(13))
    assert not is_overdue(None, at(100))
