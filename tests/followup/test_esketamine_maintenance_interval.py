"""Issue 12: a stable esketamine patient on weekly maintenance is offered every 2 weeks (the label), not 10 days."""

import datetime as dt

import pytest

from ketamine_clinic.followup import services
from ketamine_clinic.followup.models import BoosterSuggestion

pytestmark = pytest.mark.django_db


def stable_weekly_course(course, patient, now, route):
    start = now - dt.timedelta(days=60)
    course.score(patient, start - dt.timedelta(hours=1), 20)
    last = course.induction(patient, start, route=route)
    course.score(patient, last + dt.timedelta(hours=2), 5)
    for week in (1, 2, 3):  # three weekly boosters, each followed by a stable score
        booster = last + dt.timedelta(days=7 * week)
        course.dose(patient, booster, route=route)
        course.score(patient, booster + dt.timedelta(days=1), 6)


def test_esketamine_stretch_suggestion_offers_fourteen_days(make_patient, staff, course, now):
    patient = make_patient(care_team=[staff["prescriber"]], phase="maintenance")
    stable_weekly_course(course, patient, now, "intranasal")
    s = services.refresh_suggestion(patient)
    assert s.kind == BoosterSuggestion.Kind.STRETCH
    assert s.suggested_interval_days == 14 and "from 7 to 14 days" in s.reason


def test_iv_stretch_suggestion_keeps_the_clinic_factor(make_patient, staff, course, now):
    patient = make_patient(care_team=[staff["prescriber"]], phase="maintenance")
    stable_weekly_course(course, patient, now, "iv")
    s = services.refresh_suggestion(patient)
    assert s.kind == BoosterSuggestion.Kind.STRETCH and s.suggested_interval_days == 10
