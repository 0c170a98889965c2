"""Titration decision support: when a protocol's titration rule says "consider a higher dose", say so once.

A protocol template carries a ``TitrationRule`` (e.g. IV racemic ketamine: consider 0.75 mg/kg after two
infusions without response; Cusin et al. 2017, Andrade 2017, trigger count clinic-defined). This module reads
that rule, the plan's current dose, the doses given so far and the plan's primary outcome measure, and returns
either nothing or ONE suggestion with its reason in plain words. It only suggests: the prescriber accepts (a new
plan version) or declines with a reason, and the suggestion is not raised again at that dose level.

Rules:

* Only a rule with both a target dose (``to_amount``) and a trigger count (``after_sessions_without_response``)
  can raise a suggestion; rules that say "adjust by response and tolerability" are left to the prescriber.
* Never above the plan's maximum dose nor the template's maximum, and never at or below the current dose.
* Doses counted are the latest unbroken run given at the current dose level (a change of dose restarts the
  count); at least ``after_sessions_without_response`` of them are needed.
* Response = a >= 50 % reduction from baseline (Rush et al. 2006, PMID 16794566; Frank et al. 1991), the one
  definition in ``core.instruments.outcomes``, reused through ``core.followup.maintenance``. Baseline is the
  last score at or before the plan's first dose (as in the maintenance rules). If any score since the first
  dose reached response, nothing is suggested: the patient has responded.
* The outcome must have been measured after the dose that completed the count, so "without response" rests on
  a score taken after those doses, not before them.
* Once per dose level: levels the prescriber already decided on (``decided_levels``) are skipped.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from ketamine_clinic.core.instruments.outcomes import (
    RESPONSE_FRACTION,
    Trajectory,
    is_response,
    response_threshold,
)

from .templates import ProtocolTemplate

# Two dose amounts closer than this are the same dose level (doses are stored with three decimals).
_SAME_LEVEL = 1e-6


@dataclass(frozen=True)
class DoseGiven:
    """One completed dose: when, and the amount in the plan's unit (mg/kg or mg)."""

    given_at: dt.datetime
    amount: float


@dataclass(frozen=True)
class TitrationSuggestion:
    """Consider moving from ``from_amount`` to ``to_amount``; the figures behind it and the reason in words."""

    from_amount: float
    to_amount: float
    unit: str
    doses_at_level: int
    instrument: str
    baseline: float
    current: float
    current_taken_at: dt.datetime
    percent_reduction: float  # negative when the score went up
    response_threshold: float
    reason: str
    rule: str
    source: str

    def as_dict(self) -> dict:
        return asdict(self)


def same_level(a: float, b: float) -> bool:
    return math.isclose(float(a), float(b), rel_tol=0.0, abs_tol=_SAME_LEVEL)


def _fmt(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{float(value):.3g}"


def _doses_word(route: str, n: int) -> str:
    word = "infusion" if route == "iv" else "dose"
    return f"{n} {word}{'' if n == 1 else 's'}"


def doses_at_current_level(doses: Iterable[DoseGiven], current_amount: float) -> list[DoseGiven]:
    """The latest unbroken run of doses given at ``current_amount``, oldest first."""
    ordered = sorted(doses, key=lambda d: d.given_at)
    run: list[DoseGiven] = []
    for dose in reversed(ordered):
        if not same_level(dose.amount, current_amount):
            break
        run.append(dose)
    return run[::-1]


def suggest_titration(
    template: ProtocolTemplate,
    *,
    current_amount: float,
    plan_max: float,
    doses: Sequence[DoseGiven],
    trajectory: Trajectory,
    decided_levels: Iterable[float] = (),
    response_fraction: float = RESPONSE_FRACTION,
) -> TitrationSuggestion | None:
    """The template's titration suggestion for this plan now, or None. Pure: the caller passes what happened."""
    rule = template.titration
    if rule.to_amount is None or not rule.after_sessions_without_response:
        return None
    target = float(rule.to_amount)
    current_amount = float(current_amount)
    if not _next_level_open(template, target, current_amount, plan_max, decided_levels):
        return None
    if not doses:
        return None
    needed = int(rule.after_sessions_without_response)
    run = doses_at_current_level(doses, current_amount)
    if len(run) < needed:
        return None
    scores = _no_response_since_first_dose(doses, trajectory, response_fraction)
    if scores is None:
        return None
    baseline, after = scores
    count_done_at = run[needed - 1].given_at
    if not after or after[-1][0] <= count_done_at:
        return None  # no score since the doses that complete the count
    return _suggestion(
        template, trajectory, target, current_amount, len(run), baseline, after[-1], response_fraction
    )


def _next_level_open(
    template: ProtocolTemplate,
    target: float,
    current_amount: float,
    plan_max: float,
    decided_levels: Iterable[float],
) -> bool:
    """The target is above the current dose, within the plan's and template's maximum, and not yet decided."""
    ceiling = min(float(plan_max), float(template.dose_rule.max_amount))
    if target > ceiling + _SAME_LEVEL or target <= current_amount + _SAME_LEVEL:
        return False
    return not any(same_level(level, current_amount) for level in decided_levels)


def _no_response_since_first_dose(
    doses: Sequence[DoseGiven], trajectory: Trajectory, response_fraction: float
) -> tuple[float, list[tuple[dt.datetime, float]]] | None:
    """The baseline score and the scores since the first dose, or None when there is no (positive) baseline
    or the patient responded at some point."""
    first_dose = min(d.given_at for d in doses)
    points = sorted(zip(trajectory.taken_at, trajectory.totals, strict=True), key=lambda p: p[0])
    before = [total for when, total in points if when <= first_dose]
    if not before:
        return None  # no baseline: nothing can be said about response
    baseline = float(before[-1])
    if baseline <= 0:
        return None
    after = [(when, float(total)) for when, total in points if when > first_dose]
    if any(is_response(baseline, total, response_fraction) for _, total in after):
        return None  # responded at some point since the first dose: no escalation
    return baseline, after


def _suggestion(
    template: ProtocolTemplate,
    trajectory: Trajectory,
    target: float,
    current_amount: float,
    doses_at_level: int,
    baseline: float,
    latest: tuple[dt.datetime, float],
    response_fraction: float,
) -> TitrationSuggestion:
    rule = template.titration
    current_at, current = latest
    threshold = response_threshold(baseline, response_fraction)
    reduction = 100.0 * (baseline - current) / baseline
    unit = template.dose_rule.unit
    name = trajectory.instrument
    change = f"{reduction:.0f}% reduction" if reduction >= 0 else f"{-reduction:.0f}% higher"
    reason = (
        f"{_doses_word(template.route, doses_at_level)} given at {_fmt(current_amount)} {unit}, "
        f"{name} {_fmt(baseline)} -> {_fmt(current)} ({change}; response needs "
        f"{100 * response_fraction:.0f}%, a score of {_fmt(threshold)} or lower): the protocol suggests "
        f"considering {_fmt(target)} {unit} [{rule.source}]"
    )
    return TitrationSuggestion(
        from_amount=current_amount,
        to_amount=target,
        unit=unit,
        doses_at_level=doses_at_level,
        instrument=name,
        baseline=baseline,
        current=current,
        current_taken_at=current_at,
        percent_reduction=reduction,
        response_threshold=threshold,
        reason=reason,
        rule=rule.description,
        source=rule.source,
    )
