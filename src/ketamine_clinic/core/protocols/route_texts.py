"""Patient-facing sentences built from the route table, so consent, reminders and the portal say the same numbers.

Nothing here holds a number of its own: every duration comes from :data:`routes.ROUTE_RULES` (minimum
observation, fasting, maintenance intervals), whose entries carry their sources. The consent documents' "what to
expect at each visit" paragraph (assessment's demo seed publishes it as version 1 for each route) and the
appointment reminder (the .ics calendar and the portal's appointment list) are written by the functions below.
"""

from __future__ import annotations

from .routes import rules_for


def interval_text(days: int) -> str:
    """7 -> "every week", 14 -> "every 2 weeks", 10 -> "every 10 days"."""
    if days == 7:
        return "every week"
    if days % 7 == 0:
        return f"every {days // 7} weeks"
    return f"every {days} days"


def maintenance_text(route: str) -> str | None:
    """The label's maintenance intervals in words ("every week or every 2 weeks"); None when the route has none
    (the clinic tunes the interval to the patient's response)."""
    allowed = rules_for(route).maintenance_intervals_days
    if not allowed:
        return None
    return " or ".join(interval_text(d) for d in sorted(allowed))


def stay_text(route: str) -> str:
    """e.g. "You will stay in the clinic for at least 1 hour after the dose ..." (consent and reminders)."""
    return (
        f"You will stay in the clinic for {rules_for(route).observation_text} after each dose, until a nurse "
        "checks that you are ready to leave."
    )


def consent_expectations(route: str) -> str:
    """The consent document's "what to expect at each visit" paragraph for ``route``."""
    rules = rules_for(route)
    text = (
        f"Before each treatment: {rules.fasting.patient_text} {stay_text(route)} While you stay we watch for "
        "sleepiness, dissociation and raised blood pressure."
    )
    maintenance = maintenance_text(route)
    if maintenance:
        text += f" In the maintenance phase, treatment is given {maintenance}."
    return text


def reminder_text(route: str | None) -> str:
    """What an appointment reminder for a dosing visit says: the route's fasting rule and minimum stay, and the
    ride home. ``route`` None (a dosing appointment without a plan): the ride home only."""
    ride = "Arrange for someone to drive you home; do not drive until the next day."
    if not route:
        return ride
    return f"{rules_for(route).fasting.patient_text} {stay_text(route)} {ride}"
