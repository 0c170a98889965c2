"""Builders for follow-up tests: synthetic doses and questionnaire scores at given times."""

import datetime as dt

import pytest
from django.utils import timezone


@pytest.fixture
def course():
    """course.dose(patient, when, route="iv", state="discharged", dose_mg=None); course.score(patient, when, total)."""
    from ketamine_clinic.outcomes.models import MeasureResponse
    from ketamine_clinic.sessions.models import DosingSession

    class Course:
        @staticmethod
        def dose(patient, when, route="iv", state="discharged", dose_mg=None):
            fields = {"dose_mg": dose_mg} if dose_mg is not None else {}
            return DosingSession.objects.create(
                patient=patient, route=route, state=state, scheduled_for=when, **fields
            )

        @staticmethod
        def score(patient, when, total, instrument="phq9", severity=""):
            return MeasureResponse.objects.create(
                patient=patient,
                instrument=instrument,
                total=total,
                severity=severity,
                taken_at=when,
                answers=[],
            )

        @staticmethod
        def induction(patient, start, route="iv"):
            """Six doses over 12 days (days 0, 2, 4, 7, 9, 11) from ``start``; returns the last dose time."""
            for d in (0, 2, 4, 7, 9, 11):
                Course.dose(patient, start + dt.timedelta(days=d), route=route)
            return start + dt.timedelta(days=11)

    return Course


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)
