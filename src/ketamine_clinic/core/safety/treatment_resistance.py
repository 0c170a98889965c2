"""Treatment-resistance summary: how many adequate antidepressant trials failed in the current episode.

Adequacy follows the MGH Antidepressant Treatment Response Questionnaire (MGH-ATRQ; Chandler et al. 2010,
Desseilles et al. 2011): a trial counts when the dose was adequate (the clinician judges the dose against the
ATRQ dose table and records ``dose_adequate``) and it lasted at least 6 weeks; it *failed* when improvement was
less than 50% (no response or partial response). Augmentation / combination regimens count as trials (ATRQ).
Treatment-resistant depression is then commonly defined as at least two failed adequate trials in the current
episode - the population of the esketamine pivotal trials (SPRAVATO PI, Clinical Studies).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from .sources import Source, source

# MGH-ATRQ: an adequate antidepressant trial lasts at least 6 weeks at an adequate dose.
ADEQUATE_TRIAL_MIN_WEEKS = 6
# TRD threshold: >= 2 failed adequate trials in the current episode (SPRAVATO PI, Clinical Studies; MGH-ATRQ).
TRD_MIN_FAILED_TRIALS = 2

PHARMACOLOGICAL_KINDS = ("antidepressant", "augmentation")
TREATMENT_KINDS = ("antidepressant", "augmentation", "psychotherapy", "ect", "tms", "other")
OUTCOMES = ("remission", "response", "partial_response", "no_response", "intolerance", "unknown")
FAILED_OUTCOMES = ("partial_response", "no_response")  # < 50% improvement (MGH-ATRQ)


@dataclass(frozen=True)
class PreviousTreatment:
    kind: str
    name: str
    dose: str = ""
    duration_weeks: float | None = None
    dose_adequate: bool | None = None
    outcome: str = "unknown"
    current_episode: bool = True

    def __post_init__(self):
        if self.kind not in TREATMENT_KINDS:
            raise ValueError(
                f"Treatment kind must be one of {', '.join(TREATMENT_KINDS)}, not {self.kind!r}."
            )
        if self.outcome not in OUTCOMES:
            raise ValueError(f"Outcome must be one of {', '.join(OUTCOMES)}, not {self.outcome!r}.")
        if self.duration_weeks is not None and self.duration_weeks < 0:
            raise ValueError("Duration cannot be negative.")


@dataclass(frozen=True)
class TrialAssessment:
    treatment: PreviousTreatment
    adequate: bool
    failed: bool
    why: str


@dataclass(frozen=True)
class ResistanceSummary:
    failed_adequate_trials: int
    treatment_resistant: bool
    trials: tuple[TrialAssessment, ...]
    ect_courses: int
    tms_courses: int
    psychotherapy_courses: int
    source: Source

    @property
    def text(self) -> str:
        verdict = "meets" if self.treatment_resistant else "does not meet"
        return (
            f"{self.failed_adequate_trials} failed adequate antidepressant trial(s) in the current episode; "
            f"{verdict} the treatment-resistance definition (>= {TRD_MIN_FAILED_TRIALS})."
        )


def assess_trial(t: PreviousTreatment) -> TrialAssessment:
    """Judge one previous treatment against the MGH-ATRQ criteria, saying why."""
    if t.kind not in PHARMACOLOGICAL_KINDS:
        return TrialAssessment(t, False, False, "not an antidepressant medication trial")
    if not t.current_episode:
        return TrialAssessment(t, False, False, "not in the current episode")
    if t.dose_adequate is not True:
        why = "dose not adequate" if t.dose_adequate is False else "dose adequacy not recorded"
        return TrialAssessment(t, False, False, why)
    if t.duration_weeks is None:
        return TrialAssessment(t, False, False, "duration not recorded")
    if t.duration_weeks < ADEQUATE_TRIAL_MIN_WEEKS:
        return TrialAssessment(t, False, False, f"shorter than {ADEQUATE_TRIAL_MIN_WEEKS} weeks")
    if t.outcome in FAILED_OUTCOMES:
        return TrialAssessment(t, True, True, "adequate trial, less than 50% improvement")
    if t.outcome == "unknown":
        return TrialAssessment(t, True, False, "adequate trial, outcome not recorded")
    return TrialAssessment(t, True, False, f"adequate trial with {t.outcome.replace('_', ' ')}")


def summarise(treatments: Iterable[PreviousTreatment]) -> ResistanceSummary:
    """Count failed adequate trials in the current episode and the non-drug courses, keeping every judgement."""
    items = tuple(treatments)
    assessed = tuple(assess_trial(t) for t in items)
    failed = sum(1 for a in assessed if a.failed)

    def count(kind: str) -> int:
        return sum(1 for t in items if t.kind == kind and t.current_episode)

    return ResistanceSummary(
        failed_adequate_trials=failed,
        treatment_resistant=failed >= TRD_MIN_FAILED_TRIALS,
        trials=assessed,
        ect_courses=count("ect"),
        tms_courses=count("tms"),
        psychotherapy_courses=count("psychotherapy"),
        source=source("mgh_atrq"),
    )
