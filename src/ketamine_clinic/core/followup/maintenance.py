"""Maintenance decision support: when to offer a booster, when to stretch the interval, when to stop and review.

After the induction series, ketamine's antidepressant effect fades at a pace that differs from patient to
patient, so boosters are timed to each patient's own score trajectory. This module reads one instrument's
trajectory (dates and totals) and the dosing history and returns ONE suggestion with a reason a prescriber
can check. It only suggests: the prescriber accepts (and books the booster) or declines with a reason.

Rules (each number below is either cited or marked clinic-defined, and lives in ``MaintenanceRules``):

* Baseline: the last score taken at or before the first dose.
* Response: a total at or below ``baseline * (1 - response_fraction)``, i.e. a >= 50 % reduction from
  baseline (ACNP Task Force, Rush et al., Neuropsychopharmacology 2006;31:1841-53, PMID 16794566,
  doi:10.1038/sj.npp.1301131).
* Fading response (in a patient who responded): the latest score has lost >= 50 % of the best improvement
  (baseline - nadir), or it has crossed back above the response threshold. Both limits come from the
  clinic's maintenance rule (clinic-defined; the issue gives them as examples) -> suggest a booster.
* Non-response: no score reached the response threshold after the induction series -> prescriber review,
  not boosters.
* Stable: response held (no fading, every score at or below the response threshold) across the last
  ``stable_boosters_for_stretch`` boosters (3, clinic-defined) -> suggest stretching the interval, in the
  spirit of the esketamine label's "least frequent dosing to maintain response" (SPRAVATO prescribing
  information, section 2.2, Janssen).
* Label intervals: where a route's label fixes the maintenance intervals, a stretch only ever proposes one of
  them (``LABEL_MAINTENANCE_INTERVALS_DAYS``, read from the route table ``core.protocols.routes``): esketamine
  nasal spray is given every week or every 2 weeks in the maintenance phase (SPRAVATO PI section 2.2, weeks 9
  and after), so a stable patient on weekly dosing is offered every 14 days, never 10; at every 14 days there is
  nothing longer to offer. IV and the other racemic routes have no labelled maintenance interval and keep the
  clinic's stretch factor.

The response definition itself comes from ``core.instruments.outcomes``; ``response_threshold`` and
``is_response`` below are thin wrappers over it. Baseline here is the last score at or before the first dose
(a patient may have several screening scores), which is what the outcomes module's "first score of the
series" means when the series starts at the first dose.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

# Response = >= 50 % reduction from baseline (Frank et al. 1991; Rush et al. 2006, PMID 16794566): the one
# definition lives in core.instruments.outcomes and is reused here.
from ketamine_clinic.core.instruments.outcomes import (  # noqa: E402
    RESPONSE_FRACTION,
    Trajectory,
    as_datetime,
    response_threshold,
)
from ketamine_clinic.core.protocols.routes import ROUTE_RULES  # noqa: E402


class SuggestionKind(enum.StrEnum):
    """What the maintenance rules propose for one patient."""

    BOOSTER = "booster"  # response fading: offer a booster
    STRETCH = "stretch_interval"  # stable over several boosters: try a longer interval
    REVIEW = "prescriber_review"  # no response after induction: review the plan, not more boosters
    CONTINUE = "continue"  # nothing to change (induction in progress, or response holding)
    AWAIT_SCORE = "await_score"  # a dose was given after the last score: measure before deciding
    INSUFFICIENT = "insufficient_data"  # no baseline, no dose or no follow-up score


@dataclass(frozen=True)
class MaintenanceRules:
    """The clinic's maintenance rule set. Defaults are cited or marked clinic-defined."""

    # Response = >= 50 % reduction from baseline (Rush et al. 2006, PMID 16794566).
    response_fraction: float = RESPONSE_FRACTION
    # Fading = the latest score has lost >= 50 % of the best improvement: a clinic-defined rule.
    fading_loss_fraction: float = 0.5
    # Induction = six infusions (aan het Rot et al., Biol Psychiatry 2010; Murrough et al., Biol Psychiatry
    # 2013: six infusions over about 12 days). Doses after these are boosters.
    induction_doses: int = 6
    # Stable over this many consecutive boosters before a longer interval is proposed: clinic-defined.
    stable_boosters_for_stretch: int = 3
    # Stretch the current interval by this factor: clinic-defined.
    stretch_factor: float = 1.5
    # Never propose an interval longer than this (then keep going and review at visits): clinic-defined.
    max_interval_days: int = 84
    # The only maintenance intervals (days) the route's label allows; empty = no labelled interval (stretch by
    # ``stretch_factor``). Set per route by ``rules_for_route`` from LABEL_MAINTENANCE_INTERVALS_DAYS.
    allowed_intervals_days: tuple[int, ...] = ()
    allowed_intervals_source: str = ""

    def __post_init__(self):
        if not 0 < self.response_fraction < 1:
            raise ValueError("Response fraction must lie between 0 and 1 (0.5 means a 50 % reduction).")
        if not 0 < self.fading_loss_fraction <= 1:
            raise ValueError("Fading loss fraction must lie in (0, 1].")
        if self.induction_doses < 1:
            raise ValueError("The induction series needs at least one dose.")
        if self.stable_boosters_for_stretch < 1:
            raise ValueError("Stability needs at least one booster.")
        if self.stretch_factor <= 1:
            raise ValueError("A stretch factor must be greater than 1.")
        if self.max_interval_days < 1:
            raise ValueError("The longest interval must be at least one day.")
        if any(d < 1 for d in self.allowed_intervals_days):
            raise ValueError("Allowed maintenance intervals must be at least one day each.")


# Maintenance intervals (days) a route's label allows, read from the route table (core.protocols.routes, the one
# source the consent text also reads): esketamine nasal spray (SPRAVATO), maintenance phase
# (weeks 9 and after), "every week or every 2 weeks" - SPRAVATO US Prescribing Information, Janssen, section 2.2.
# Racemic ketamine (IV, IM, oral, sublingual) has no labelled maintenance interval.
LABEL_MAINTENANCE_INTERVALS_DAYS: dict[str, tuple[int, ...]] = {
    route: rules.maintenance_intervals_days for route, rules in ROUTE_RULES.items() if rules.maintenance_intervals_days
}
LABEL_MAINTENANCE_SOURCES: dict[str, str] = {
    route: ROUTE_RULES[route].maintenance_source for route in LABEL_MAINTENANCE_INTERVALS_DAYS
}


DEFAULT_RULES = MaintenanceRules()


def rules_for_route(route: str | None, base: MaintenanceRules | None = None) -> MaintenanceRules:
    """The maintenance rules for a patient dosed by ``route``: ``base`` (the defaults) with the label's allowed
    maintenance intervals when the route has them (LABEL_MAINTENANCE_INTERVALS_DAYS)."""
    base = base or DEFAULT_RULES
    allowed = LABEL_MAINTENANCE_INTERVALS_DAYS.get(route or "")
    if not allowed:
        return base
    return replace(
        base,
        allowed_intervals_days=tuple(sorted(allowed)),
        allowed_intervals_source=LABEL_MAINTENANCE_SOURCES.get(route, ""),
    )


def _days_text(days: int) -> str:
    return {7: "every week (7 days)", 14: "every 2 weeks (14 days)"}.get(days, f"every {days} days")


@dataclass(frozen=True)
class MaintenanceSuggestion:
    """The rules' proposal for one patient, with the figures behind it and a reason in plain words."""

    kind: SuggestionKind
    reason: str
    instrument: str
    baseline: float | None = None
    nadir: float | None = None
    current: float | None = None
    current_taken_at: dt.datetime | None = None
    response_threshold: float | None = None
    improvement_lost_fraction: float | None = None  # 0 = at best ever, 1 = back at baseline
    doses_given: int = 0
    boosters_given: int = 0
    last_dose_at: dt.datetime | None = None
    current_interval_days: float | None = None
    suggested_interval_days: int | None = None

    @property
    def needs_prescriber(self) -> bool:
        """Suggestions a prescriber should accept or decline (the others are informational)."""
        return self.kind in (SuggestionKind.BOOSTER, SuggestionKind.STRETCH, SuggestionKind.REVIEW)


def _fmt(value: float) -> str:
    """A total as the clinic writes it: whole numbers without decimals."""
    return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"


def interval_days(dose_times: Sequence[dt.datetime]) -> np.ndarray:
    """Days between consecutive doses (array of length n-1, float days)."""
    if len(dose_times) < 2:
        return np.zeros(0)
    # Differences of datetimes, not .timestamp(): naive times would pick up the machine's DST shifts.
    seconds = np.array([(t - dose_times[0]).total_seconds() for t in dose_times], dtype=float)
    return np.diff(seconds) / 86400.0


def suggest_maintenance(
    trajectory: Trajectory,
    dose_times: Sequence[dt.date | dt.datetime],
    rules: MaintenanceRules = DEFAULT_RULES,
) -> MaintenanceSuggestion:
    """Propose booster / stretch / review / continue for one patient from one instrument's trajectory.

    ``dose_times`` are the completed dosing sessions (any order). Only data up to the call is used; the
    caller passes what has happened, so the result does not depend on the clock.
    """
    doses = sorted(as_datetime(t) for t in dose_times)
    times, totals = _scores_in_time_order(trajectory)
    name = trajectory.instrument
    n_doses = len(doses)
    n_boosters = max(0, n_doses - rules.induction_doses)
    base = {"instrument": name, "doses_given": n_doses, "boosters_given": n_boosters}
    if doses:
        base["last_dose_at"] = doses[-1]
    r = _response_so_far(name, doses, times, totals, rules, base)
    if isinstance(r, str):
        return MaintenanceSuggestion(SuggestionKind.INSUFFICIENT, r, **base)
    in_induction = n_doses < rules.induction_doses
    if r.nadir > r.threshold:
        return _never_responded(name, n_doses, in_induction, r, rules, base)
    lost = (r.current - r.nadir) / r.improvement
    base["improvement_lost_fraction"] = float(lost)
    fading = _fading(name, r, lost, rules)
    if fading:
        return _response_fading(name, doses, n_doses, in_induction, r, fading, rules, base)
    holding = (
        f"Response holding: {name} {_fmt(r.current)} on {r.current_at:%Y-%m-%d} (baseline {_fmt(r.baseline)}, "
        f"best {_fmt(r.nadir)}, {100 * max(lost, 0.0):.0f}% of the improvement lost)."
    )
    if n_boosters >= rules.stable_boosters_for_stretch:
        return _after_enough_boosters(name, doses, times, totals, r, holding, rules, base)
    return MaintenanceSuggestion(SuggestionKind.CONTINUE, holding, **base)


@dataclass(frozen=True)
class _Response:
    """The scores that decide: baseline (last at or before the first dose), best and latest since."""

    baseline: float
    threshold: float
    nadir: float
    current: float
    current_at: dt.datetime

    @property
    def improvement(self) -> float:
        return self.baseline - self.nadir  # > 0 because nadir <= threshold < baseline


def _scores_in_time_order(trajectory: Trajectory) -> tuple[list[dt.datetime], np.ndarray]:
    times = [as_datetime(t) for t in trajectory.taken_at]
    totals = np.asarray(trajectory.totals, dtype=float)
    order = sorted(range(len(times)), key=times.__getitem__)
    times = [times[i] for i in order]
    totals = totals[order] if order else totals
    return times, totals


def _response_so_far(name, doses, times, totals, rules: MaintenanceRules, base: dict) -> _Response | str:
    """The baseline, best and latest scores (added to ``base``), or why there is not enough data (a message)."""
    if not doses:
        return "No dosing session recorded yet."
    first_dose = doses[0]
    pre = [i for i, t in enumerate(times) if t <= first_dose]
    if not pre:
        return f"No {name} score at or before the first dose ({first_dose:%Y-%m-%d}), so there is no baseline."
    baseline = float(totals[pre[-1]])
    threshold = response_threshold(baseline, rules.response_fraction)
    base.update(baseline=baseline, response_threshold=threshold)
    if baseline <= 0:
        return f"Baseline {name} of {_fmt(baseline)} leaves no room to measure improvement."
    post_idx = [i for i, t in enumerate(times) if t > first_dose]
    if not post_idx:
        return f"No {name} score since the first dose ({first_dose:%Y-%m-%d})."
    post_totals = totals[post_idx]
    post_times = [times[i] for i in post_idx]
    nadir = float(post_totals.min())
    current = float(post_totals[-1])
    current_at = post_times[-1]
    base.update(nadir=nadir, current=current, current_taken_at=current_at)
    return _Response(baseline, threshold, nadir, current, current_at)


def _never_responded(
    name, n_doses: int, in_induction: bool, r: _Response, rules: MaintenanceRules, base: dict
) -> MaintenanceSuggestion:
    # Never reached response.
    best_pct = 100.0 * (r.baseline - r.nadir) / r.baseline
    needed = f"response needs a score of {_fmt(r.threshold)} or lower"
    if in_induction:
        return MaintenanceSuggestion(
            SuggestionKind.CONTINUE,
            f"Induction in progress ({n_doses} of {rules.induction_doses} doses). Best {name} so far "
            f"{_fmt(r.nadir)} from baseline {_fmt(r.baseline)} ({best_pct:.0f}% better; {needed}).",
            **base,
        )
    return MaintenanceSuggestion(
        SuggestionKind.REVIEW,
        f"No response after {n_doses} doses: best {name} {_fmt(r.nadir)} from baseline {_fmt(r.baseline)} "
        f"({best_pct:.0f}% better; {needed}). Review the treatment plan with the prescriber rather than "
        "adding boosters.",
        **base,
    )


def _fading(name, r: _Response, lost: float, rules: MaintenanceRules) -> str:
    """Why the response is fading (lost enough of the best improvement, back above the threshold), or ''."""
    lost_enough = lost >= rules.fading_loss_fraction
    above = r.current > r.threshold
    if not (lost_enough or above):
        return ""
    why = []
    if lost_enough:
        why.append(
            f"it has lost {100 * lost:.0f}% of the best improvement (baseline {_fmt(r.baseline)}, "
            f"best {_fmt(r.nadir)}; limit {100 * rules.fading_loss_fraction:.0f}%)"
        )
    if above:
        why.append(f"it is back above the response threshold of {_fmt(r.threshold)}")
    return f"{name} {_fmt(r.current)} on {r.current_at:%Y-%m-%d}: " + " and ".join(why)


def _response_fading(
    name, doses, n_doses: int, in_induction: bool, r: _Response, fading: str, rules: MaintenanceRules, base: dict
) -> MaintenanceSuggestion:
    if doses[-1] > r.current_at:
        return MaintenanceSuggestion(
            SuggestionKind.AWAIT_SCORE,
            f"Response was fading ({fading}), but a dose was given since, on {doses[-1]:%Y-%m-%d}. "
            f"Take a new {name} before deciding on a booster.",
            **base,
        )
    if in_induction:
        return MaintenanceSuggestion(
            SuggestionKind.CONTINUE,
            f"Induction in progress ({n_doses} of {rules.induction_doses} doses); note the response is "
            f"fading ({fading}).",
            **base,
        )
    return MaintenanceSuggestion(SuggestionKind.BOOSTER, f"Response fading: {fading}. Consider a booster.", **base)


def _after_enough_boosters(
    name, doses, times, totals, r: _Response, holding: str, rules: MaintenanceRules, base: dict
) -> MaintenanceSuggestion:
    """Holding after enough boosters: stretch the interval if stable across them, else continue."""
    k = rules.stable_boosters_for_stretch
    boosters = doses[rules.induction_doses :]
    window = boosters[-k:]
    # Include the last induction dose so one booster already has an interval.
    gaps = interval_days(doses[rules.induction_doses - 1 :])
    current_interval = float(gaps[-1])
    base["current_interval_days"] = current_interval
    stable, why_not = _stable_across(window, times, totals, r.nadir, r.improvement, r.threshold, rules, name)
    if not stable:
        return MaintenanceSuggestion(SuggestionKind.CONTINUE, f"{holding} {why_not}", **base)
    stable_since = (
        f"Stable over the last {k} boosters: every {name} since {window[0]:%Y-%m-%d} at or below the "
        f"response threshold of {_fmt(r.threshold)} with no fading. Consider stretching the interval "
        f"from {current_interval:.0f} to "
    )
    if rules.allowed_intervals_days:
        allowed = rules.allowed_intervals_days
        label = " or ".join(_days_text(d) for d in allowed)
        longer = [d for d in allowed if d > round(current_interval) and d <= rules.max_interval_days]
        if not longer:
            return MaintenanceSuggestion(
                SuggestionKind.CONTINUE,
                f"{holding} Stable over the last {k} boosters and already at the longest interval the label "
                f"allows ({label}; {rules.allowed_intervals_source}).",
                **base,
            )
        proposed = min(longer)
        return MaintenanceSuggestion(
            SuggestionKind.STRETCH,
            f"{stable_since}{proposed} days (the label allows {label}).",
            suggested_interval_days=proposed,
            **base,
        )
    if current_interval >= rules.max_interval_days:
        return MaintenanceSuggestion(
            SuggestionKind.CONTINUE,
            f"{holding} Stable over the last {k} boosters and already at the clinic's longest "
            f"interval ({rules.max_interval_days} days).",
            **base,
        )
    proposed = int(min(round(current_interval * rules.stretch_factor), rules.max_interval_days))
    return MaintenanceSuggestion(
        SuggestionKind.STRETCH, f"{stable_since}{proposed} days.", suggested_interval_days=proposed, **base
    )


def _stable_across(window, times, totals, nadir, improvement, threshold, rules, name) -> tuple[bool, str]:
    """Was response held across these boosters? Needs a score after each of them, none fading."""
    k = len(window)
    # Open-ended last gap; "the far future" must be aware when the times are (the database gives aware times).
    end = dt.datetime.max if window[-1].tzinfo is None else dt.datetime.max.replace(tzinfo=dt.UTC)
    edges = list(window) + [end]
    for j in range(k):
        in_gap = [float(totals[i]) for i, t in enumerate(times) if edges[j] < t <= edges[j + 1]]
        if not in_gap:
            return False, (
                f"Cannot judge stability over the last {k} boosters: no {name} after the booster on "
                f"{window[j]:%Y-%m-%d} and before the next."
            )
        worst = max(in_gap)
        if worst > threshold or (worst - nadir) / improvement >= rules.fading_loss_fraction:
            return False, (
                f"Not yet stable over the last {k} boosters (a {name} of {_fmt(worst)} after the booster on "
                f"{window[j]:%Y-%m-%d})."
            )
    return True, ""
