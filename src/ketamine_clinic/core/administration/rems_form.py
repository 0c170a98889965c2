"""The SPRAVATO REMS Patient Monitoring Form (outpatient): what it asks, what completes it, when it is due, and
a suggested answer to its evaluation question.

Sources:
- SPRAVATO REMS Patient Monitoring Form, Outpatient Use Only (Janssen, 11/2021; www.SPRAVATOrems.com): "complete
  all required fields on this form after every treatment session" and "submit completed patient monitoring forms
  within 7 days"; its required (asterisked) fields are the ones in :data:`REQUIRED`. The form's concomitant
  medication question names benzodiazepines, non-benzodiazepine sedative hypnotics, psychostimulants and MAOIs;
  the REMS training material adds opioids among the medicines that may cause sedation or respiratory depression.
- SPRAVATO US Prescribing Information (Janssen 2019, rev. 2023) section 2.4: blood pressure before and about
  40 minutes after the dose, then as warranted; at least 2 hours of observation (that number lives in
  ``core.protocols.routes.ROUTE_RULES``).
- Vitals "back within 20% of baseline": the PADSS (Chung et al. 1995), as in ``discharge.py``.

The evaluation question ("if there were no 2-hour minimum, when would this patient have been ready to leave?")
is the clinician's answer. The suggestion below is the latest of three times from the record: vitals back
within range of baseline for good, dissociation resolved for good, and the predicted esketamine level below
the clinic's threshold. The clinician confirms or changes it; it is never an answer on its own.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from ketamine_clinic.core.protocols.routes import ROUTE_RULES, SPRAVATO_PI

from .discharge import PADSS
from .vitals import VitalSigns, within_pct_of_baseline

FORM = "SPRAVATO REMS Patient Monitoring Form, Outpatient Use Only (Janssen 11/2021, www.SPRAVATOrems.com)"
ROUTE = "intranasal"  # the esketamine nasal spray: the only route with a REMS form
SUBMIT_WITHIN_DAYS = 7  # calendar days after the treatment session (FORM, instruction 2)
BP_AFTER_DOSE_MIN = 40  # "40 mins post-administration" (FORM; SPRAVATO PI 2.4)
BP_AFTER_DOSE_WINDOW_MIN = 15  # clinic-defined: a reading 25-55 min after the first device counts as "~40 min"
MIN_MONITORING_MIN = ROUTE_RULES[ROUTE].min_observation_min  # "at least 2 hours" (FORM; SPRAVATO PI 2.4)
VITALS_WITHIN_PCT = 20  # PADSS
LABELLED_DOSES_MG = (56, 84)  # the form's tick boxes; anything else is "Other" with the amount
# A hint only (clinic-set, settings.REMS_PREDICTED_LEVEL_NG_PER_ML): Bowdle et al., Anesthesiology
# 1998;88:82-88 found perceptual effects rising linearly with steady-state ketamine levels from 50 ng/mL.
DEFAULT_PREDICTED_LEVEL_NG_PER_ML = 50.0
SUGGESTION_STEP_MIN = 5  # the suggestion is rounded up to the next 5 minutes

# The form's concomitant-medication classes, keyed by ``core.safety.medications.DRUG_CLASSES``.
CONCOMITANT_CLASSES: tuple[tuple[str, str], ...] = (
    ("benzodiazepine", "Benzodiazepines"),
    ("sedative_hypnotic", "Non-benzodiazepine sedative hypnotics"),
    ("psychostimulant", "Psychostimulants"),
    ("maoi", "Monoamine oxidase inhibitors (MAOIs)"),
    ("opioid", "Opioids"),
)

# Required fields, in the form's order, as the clinic reads them when one is missing.
REQUIRED: tuple[tuple[str, str], ...] = (
    ("patient_first_name", "patient's first name"),
    ("patient_last_name", "patient's last name"),
    ("patient_birth_date", "patient's birth date"),
    ("patient_sex", "patient's sex"),
    ("first_treatment", "first treatment (yes/no)"),
    ("enrolled", "REMS enrolment"),
    ("concomitant_medications", "concomitant medications confirmed by the nurse"),
    ("provider_name", "monitoring provider's name"),
    ("provider_phone", "monitoring provider's telephone"),
    ("provider_email", "monitoring provider's email"),
    ("setting_name", "healthcare setting's name"),
    ("setting_address", "healthcare setting's address"),
    ("treatment_date", "treatment date"),
    ("dose_mg", "dose administered"),
    ("lot_number", "lot number"),
    ("total_minutes", "total time from first device to end of monitoring"),
    ("evaluation_minutes", "REMS evaluation answer confirmed by the prescriber"),
    ("vitals_acceptable_before", "vital signs acceptable before administration (yes/no)"),
    ("vitals_acceptable_at_completion", "vital signs acceptable before completion (yes/no)"),
    ("bp_before", "blood pressure before administration"),
    ("bp_after_40_min", "blood pressure about 40 minutes after administration"),
    ("bp_at_completion", "blood pressure before completion"),
    ("sedation", "sedation (yes/no)"),
    ("dissociation", "dissociation (yes/no)"),
    ("respiratory_depression", "respiratory depression (yes/no)"),
    ("serious_adverse_event", "serious adverse events (yes/no)"),
)
SOURCES = (FORM, SPRAVATO_PI, PADSS)


def missing_fields(values: dict) -> list[str]:
    """The required fields that are blank (None or ""), named as the clinic reads them; False is an answer.

    A monitoring time under the 2-hour minimum is not a complete answer either: the form says the patient
    must be monitored for at least 2 hours."""
    missing = [label for key, label in REQUIRED if values.get(key) in (None, "")]
    total = values.get("total_minutes")
    if total not in (None, "") and total < MIN_MONITORING_MIN:
        missing.append(f"monitoring of at least {MIN_MONITORING_MIN} minutes (charted: {total})")
    if values.get("serious_adverse_event") is True and not (values.get("serious_adverse_event_detail") or "").strip():
        missing.append("a description of the serious adverse event")
    return missing


def dose_box(dose_mg: float | None) -> str | None:
    """The form's dose answer: "56 mg", "84 mg" or "Other: N mg"."""
    if dose_mg is None:
        return None
    for labelled in LABELLED_DOSES_MG:
        if math.isclose(dose_mg, labelled, abs_tol=1e-6):
            return f"{labelled} mg"
    return f"Other: {dose_mg:g} mg"


# ---------------------------------------------------------------------------------------------------------
# The 7-day deadline


@dataclass(frozen=True)
class Deadline:
    due_on: dt.date
    days_left: int  # negative once overdue
    overdue: bool

    @property
    def text(self) -> str:
        if self.overdue:
            n = -self.days_left
            return f"overdue by {n} day{'s' if n != 1 else ''} (was due {self.due_on:%a %-d %b})"
        if self.days_left == 0:
            return "due today"
        return f"{self.days_left} day{'s' if self.days_left != 1 else ''} left (due {self.due_on:%a %-d %b})"


def deadline(treatment_date: dt.date, today: dt.date) -> Deadline:
    """Due ``SUBMIT_WITHIN_DAYS`` calendar days after the treatment date (weekends and holidays count).

    Both dates are the clinic's local dates, so a daylight-saving change in between moves nothing."""
    due_on = treatment_date + dt.timedelta(days=SUBMIT_WITHIN_DAYS)
    days_left = (due_on - today).days
    return Deadline(due_on=due_on, days_left=days_left, overdue=days_left < 0)


# ---------------------------------------------------------------------------------------------------------
# Blood pressure at the form's three checkpoints


@dataclass(frozen=True)
class Reading:
    at: dt.datetime
    vitals: VitalSigns


def bp_text(vitals: VitalSigns | None) -> str | None:
    if vitals is None or vitals.sbp is None or vitals.dbp is None:
        return None
    return f"{vitals.sbp:g}/{vitals.dbp:g}"


def bp_checkpoints(
    readings: Sequence[Reading], first_device_at: dt.datetime | None, completed_at: dt.datetime | None
) -> dict[str, Reading | None]:
    """The readings the form asks for: the last before the first device, the one nearest 40 minutes after it
    (within the window), and the last at or before the end of monitoring. Readings without a BP are skipped."""
    with_bp = sorted((r for r in readings if bp_text(r.vitals)), key=lambda r: r.at)
    if first_device_at is None:
        return {"before": None, "after_40_min": None, "at_completion": None}
    before = [r for r in with_bp if r.at <= first_device_at]
    target = first_device_at + dt.timedelta(minutes=BP_AFTER_DOSE_MIN)
    window = dt.timedelta(minutes=BP_AFTER_DOSE_WINDOW_MIN)
    near = [r for r in with_bp if r.at > first_device_at and abs(r.at - target) <= window]
    end = [r for r in with_bp if r.at > first_device_at and (completed_at is None or r.at <= completed_at)]
    return {
        "before": before[-1] if before else None,
        "after_40_min": min(near, key=lambda r: abs(r.at - target)) if near else None,
        "at_completion": end[-1] if end else None,
    }


# ---------------------------------------------------------------------------------------------------------
# The evaluation question: a suggestion from the record


@dataclass(frozen=True)
class EvaluationSuggestion:
    minutes: int | None  # from the first device; None when the record cannot support a suggestion
    vitals_recovered_min: float | None
    dissociation_resolved_min: float | None
    predicted_below_min: float | None
    reasons: tuple[str, ...]


def _minutes(at: dt.datetime, start: dt.datetime) -> float:
    return (at - start).total_seconds() / 60.0


def _recovered_from(points: Sequence[tuple[dt.datetime, bool]]) -> dt.datetime | None:
    """The time from which every later point is recovered (the last run of ``True``), or None."""
    since = None
    for at, ok in sorted(points, key=lambda p: p[0]):
        if not ok:
            since = None
        elif since is None:
            since = at
    return since


def evaluation_suggestion(
    *,
    first_device_at: dt.datetime,
    baseline: VitalSigns | None,
    readings: Sequence[Reading],
    dissociation: Sequence[tuple[dt.datetime, int]],
    predicted_below_min: float | None,
) -> EvaluationSuggestion:
    """The latest of: vitals within 20% of baseline for good, dissociation (CADSS total) back to 0 for good, and
    the predicted plasma level below the threshold, in minutes from the first device, rounded up to 5 minutes."""
    reasons = []
    after = [r for r in readings if r.at > first_device_at]
    vitals_min = None
    if baseline is None or not after:
        reasons.append("no baseline or no vitals after the dose: vitals recovery unknown")
    else:
        points = [
            (r.at, all(ok for ok, _, _ in within_pct_of_baseline(r.vitals, baseline, VITALS_WITHIN_PCT).values()))
            for r in after
        ]
        since = _recovered_from(points)
        if since is None:
            reasons.append("vitals not back within 20% of baseline by the last reading")
        else:
            vitals_min = _minutes(since, first_device_at)
            reasons.append(f"vitals within 20% of baseline from {vitals_min:.0f} min")
    scores = [(at, total) for at, total in dissociation if at > first_device_at]
    dissociation_min = None
    if not scores:
        reasons.append("no dissociation score after the dose")
    else:
        since = _recovered_from([(at, total == 0) for at, total in scores])
        if since is None:
            reasons.append("dissociation not resolved (CADSS above 0) at the last score")
        else:
            dissociation_min = _minutes(since, first_device_at)
            reasons.append(f"dissociation resolved (CADSS 0) from {dissociation_min:.0f} min")
    if predicted_below_min is not None:
        reasons.append(f"predicted level below the clinic's threshold from {predicted_below_min:.0f} min")
    minutes = None
    if vitals_min is not None and dissociation_min is not None:
        latest = max(vitals_min, dissociation_min, predicted_below_min or 0.0)
        minutes = int(math.ceil(latest / SUGGESTION_STEP_MIN) * SUGGESTION_STEP_MIN)
    return EvaluationSuggestion(minutes, vitals_min, dissociation_min, predicted_below_min, tuple(reasons))
