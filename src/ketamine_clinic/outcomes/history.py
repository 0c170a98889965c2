"""A patient's course over time, scores and doses: the one place it is read (follow-up's booster rules, the plan's
titration, the portal, the outcomes pages and API all read it here).

Outcomes sit below sessions, so the doses are read through the relation the sessions app declares on the patient
(``patient.dosing_sessions``), not by importing it."""

from __future__ import annotations

import datetime as dt

from ketamine_clinic.core.administration.states import DOSED_STATES
from ketamine_clinic.core.instruments import INSTRUMENTS
from ketamine_clinic.core.instruments import label as instrument_label
from ketamine_clinic.core.instruments.outcomes import Trajectory, outcome_status

from .models import MeasureResponse

# The outcome measures a course is followed on (maintenance rules, titration, the portal's scores), in order
# of preference: the first one with a baseline is used. Depression measures first (most ketamine courses
# treat depression), then PTSD and anxiety.
OUTCOME_MEASURES = ("phq9", "madrs", "qids_sr16", "pcl5", "gad7")


def trajectory(patient, instrument: str) -> Trajectory:
    """The scores of one measure as the core's follow-up rules read them."""
    return Trajectory.from_points(instrument_label(instrument), series(patient, instrument))


def series(patient, instrument: str):
    """[(taken_at, total)] of scored administrations, oldest first."""
    return list(
        MeasureResponse.objects.filter(patient=patient, instrument=instrument, total__isnull=False)
        .order_by("taken_at")
        .values_list("taken_at", "total")
    )


def status_for(points, instrument: str):
    """Core outcome status over [(datetime, total)]."""
    if not points:
        return None
    t0 = points[0][0]
    days = [(t - t0).total_seconds() / 86400.0 for t, _ in points]
    return outcome_status(days, [v for _, v in points], remission_max=INSTRUMENTS[instrument].remission_max)


def dose_times(patient) -> list[dt.datetime]:
    """When drug was given to this patient (dosing sessions that reached dosing or later), oldest first."""
    return list(
        patient.dosing_sessions.filter(state__in=DOSED_STATES).order_by("scheduled_for").values_list(
            "scheduled_for", flat=True
        )
    )
