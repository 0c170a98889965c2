"""The demo's follow-up: integration notes after dosing sessions, and booster suggestions from the rules.

Synthetic only. Suggestions are not invented: the maintenance rules run over the demo scores and sessions
seeded before them (demo.outcomes, demo.sessions), so the demo shows what the rules really propose. Idempotent:
notes are only written when no demo patient has any; suggestions are refreshed (which never duplicates).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ketamine_clinic.accounts.models import Role
from ketamine_clinic.core.administration.states import DOSED_STATES
from ketamine_clinic.followup.models import BoosterSuggestion, IntegrationNote
from ketamine_clinic.followup.services import decline, refresh_suggestion
from ketamine_clinic.sessions.models import DosingSession

THEMES = [
    ("grief", "Revisited the loss of a parent with less fear than before; named what felt unfinished."),
    (
        "self-compassion",
        "Noticed a softer inner voice during the session; practised repeating it afterwards.",
    ),
    ("relationships", "Imagery of a childhood home; linked it to current conflict with a sibling."),
    ("body", "Felt heaviness leave the chest; explored where tension usually sits."),
    ("meaning", "Spoke about wanting to return to painting; identified one small step this week."),
    ("fear", "Brief anxiety at onset settled with breathing; discussed the urge to control the experience."),
]
PLANS = [
    "Journal daily for a week; share one entry if comfortable.",
    "Walk 20 minutes on three days; notice mood before and after.",
    "Write a letter (not to send) to the person discussed.",
    "Practise the breathing exercise before the next session.",
]


def seed(clinic) -> None:
    patients = [p for p in clinic.patients if p.phase in ("induction", "maintenance", "discharged")]
    if not patients:
        return
    therapist = clinic.staff[Role.THERAPIST][0]
    prescriber = clinic.staff[Role.PRESCRIBER][0]
    if not IntegrationNote.objects.filter(patient__in=patients).exists():
        _integration_notes(clinic, patients, therapist)
    for patient in clinic.patients:
        if patient.phase in ("induction", "maintenance"):
            refresh_suggestion(patient, actor=prescriber, now=clinic.now)
    # Show a decided suggestion in the demo: the earliest open stretch proposal is declined with a reason.
    stretch = (
        BoosterSuggestion.objects.filter(patient__in=clinic.patients, kind="stretch_interval", status="open")
        .order_by("pk")
        .first()
    )
    if stretch is not None and not BoosterSuggestion.objects.filter(status="declined").exists():
        decline(
            prescriber,
            stretch,
            user=prescriber,
            reason="Patient prefers to keep the current interval over the holidays.",
        )


def _integration_notes(clinic, patients, therapist) -> None:
    """Up to three integration sessions per patient of the therapist, a few days after doses spread over
    the course."""
    rng = clinic.rng
    for patient in patients:
        if not patient.careteammember_set.filter(user=therapist).exists():
            continue
        sessions = list(
            DosingSession.objects.filter(
                patient=patient, state__in=DOSED_STATES, scheduled_for__lt=clinic.now
            ).order_by("scheduled_for")
        )
        for session in sessions[:: max(1, len(sessions) // 3)][:3]:
            theme, body = rng.choice(THEMES)
            held = session.scheduled_for + dt.timedelta(days=rng.randint(1, 3))
            if held > clinic.now:
                continue
            IntegrationNote.objects.create(
                patient=patient,
                session=session,
                held_on=timezone.localdate(held),
                author=therapist,
                themes=theme,
                body=f"Integration session after the {session.scheduled_for:%d %b} infusion. {body}",
                plan=rng.choice(PLANS),
            )
