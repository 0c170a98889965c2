"""A patient's own score trajectory told in plain words (for the portal and the progress report).

Patients read this without a clinician beside them, so it states facts (first score, latest score, the
change) and avoids clinical verdicts beyond the clinic's response rule; it always reminds that lower
scores mean fewer symptoms and points to the care team for questions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ketamine_clinic.core.instruments.outcomes import RESPONSE_FRACTION, is_response

# A change of 1-2 points on a 0-27 scale is within day-to-day variation; "about the same" below this.
# Clinic-defined wording threshold (not a clinical cut-off).
STEADY_POINTS = 2


def _day(when: dt.date | dt.datetime) -> str:
    return f"{when.day} {when:%b %Y}"


def _n(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"


def describe_trajectory(
    instrument_label: str,
    points: Sequence[tuple[dt.date | dt.datetime, float]],
    *,
    max_total: float | None = None,
    latest_severity: str | None = None,
) -> list[str]:
    """Sentences describing one instrument's totals over time, oldest to newest, for the patient.

    ``points`` are (when, total) in any order; ``max_total`` the scale's maximum (e.g. 27 for the PHQ-9);
    ``latest_severity`` the severity band of the latest total as the instrument library names it.
    """
    if not points:
        return [f"You have not completed a {instrument_label} yet."]
    ordered = sorted(
        points,
        key=lambda p: p[0] if isinstance(p[0], dt.datetime) else dt.datetime.combine(p[0], dt.time.min),
    )
    out_of = f" out of {_n(max_total)}" if max_total else ""
    first_at, first = ordered[0]
    last_at, last = ordered[-1]
    lines = [f"On the {instrument_label}, lower scores mean fewer symptoms."]
    if len(ordered) == 1:
        line = f"Your score on {_day(first_at)} was {_n(first)}{out_of}"
        lines.append(line + (f" ({latest_severity})." if latest_severity else "."))
        return lines
    line = f"Your first score was {_n(first)}{out_of} on {_day(first_at)}; your latest, on {_day(last_at)}, is {_n(last)}"
    lines.append(line + (f" ({latest_severity})." if latest_severity else "."))
    change = last - first
    if abs(change) <= STEADY_POINTS:
        lines.append("That is about the same as when you started.")
    elif change < 0:
        pct = f" ({100 * -change / first:.0f}% lower)" if first > 0 else ""
        lines.append(f"That is {_n(-change)} points lower than when you started{pct}.")
        if is_response(first, last):
            lines.append(
                f"A fall of at least {100 * RESPONSE_FRACTION:.0f}% is what clinicians call a response to treatment."
            )
    else:
        lines.append(f"That is {_n(change)} points higher than when you started.")
    prev_at, prev = ordered[-2]
    if len(ordered) > 2:
        step = last - prev
        if abs(step) <= STEADY_POINTS:
            lines.append(
                f"Since your previous score ({_n(prev)} on {_day(prev_at)}) it has stayed about the same."
            )
        elif step < 0:
            lines.append(
                f"Since your previous score ({_n(prev)} on {_day(prev_at)}) it went down by {_n(-step)}."
            )
        else:
            lines.append(
                f"Since your previous score ({_n(prev)} on {_day(prev_at)}) it went up by {_n(step)}."
            )
    lines.append("Your care team reviews these scores; message them if anything worries you.")
    return lines
