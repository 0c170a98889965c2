"""Demo plans: an active plan for each treated patient (a discharged patient's is completed after its course).

Synthetic and idempotent (a patient with any plan is skipped). Plans go through the same service as the page,
so the assessment seed's decision and consent must exist first.

One IV induction patient whose demo course does not respond (the outcomes seed's "non_responder" profile)
starts at least ``TITRATION_DEMO_START_DAYS`` days back, so by today they have had at least three infusions
and a PHQ-9 taken after the second: the plan page shows a live titration suggestion (0.5 -> 0.75 mg/kg).
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.models import Role
from ketamine_clinic.assessment import services as assessment
from ketamine_clinic.patients.models import Phase
from ketamine_clinic.plans import services

from .assessment import pdmp_checked
from .outcomes import PROFILES

# Nine days back always leaves three completed infusions before today, whatever the weekday (every 2 days on
# Monday-Friday clinic days), and the outcomes seed scores PHQ-9 before the third infusion.
TITRATION_DEMO_START_DAYS = 9


def _non_responding_induction(clinic) -> set[int]:
    """Patients (pk) the outcomes seed gives a non-responding induction course (its profiles, in turn)."""
    cycle = PROFILES["induction"]
    induction = [p for p in clinic.patients if p.phase == Phase.INDUCTION]
    return {p.pk for i, p in enumerate(induction) if cycle[i % len(cycle)] == "non_responder"}


# Staggered session times so the demo chairs are not all wanted at once (clinic-defined demo values).
SESSION_TIMES = [
    dt.time(8, 30),
    dt.time(9, 0),
    dt.time(10, 30),
    dt.time(11, 0),
    dt.time(12, 30),
    dt.time(13, 0),
]


@transaction.atomic
def seed(clinic) -> None:
    prescriber = clinic.first(Role.PRESCRIBER)
    today = timezone.localdate(clinic.now)
    titration_demo = _non_responding_induction(clinic)
    titration_demo_done = False
    for index, patient in enumerate(clinic.patients):
        # Every demo patient's prescriber has looked them up in the PDMP in the last weeks, so a plan can start
        # (on the page too, for the patients still in screening).
        pdmp_checked(patient.care_team.filter(role=Role.PRESCRIBER).first() or prescriber, patient, index % 20)
        if patient.phase == Phase.SCREENING or patient.treatment_plans.exists():
            continue
        route = "intranasal" if assessment.consent_is_current(patient, "intranasal") else "iv"
        if services.planning_blockers(patient, route):
            continue
        key = "esketamine_label" if route == "intranasal" else "iv_racemic_standard"
        if patient.phase == Phase.INDUCTION:
            start = today - dt.timedelta(days=clinic.rng.randint(0, 16))
            if route == "iv" and patient.pk in titration_demo and not titration_demo_done:
                titration_demo_done = True
                start = min(start, today - dt.timedelta(days=TITRATION_DEMO_START_DAYS))
        elif patient.phase == Phase.MAINTENANCE:
            start = today - dt.timedelta(days=clinic.rng.randint(35, 90))
        else:
            start = today - dt.timedelta(days=clinic.rng.randint(150, 300))
        plan = services.create_plan(
            prescriber,
            patient,
            protocol_key=key,
            start_date=start,
            session_time=SESSION_TIMES[index % 6],
        )
        if patient.phase == Phase.MAINTENANCE and route == "iv" and index % 3 == 0:
            services.change_plan(
                prescriber,
                plan,
                reason="No response after two infusions: titrated per protocol.",
                dose_amount=plan.dose_max,
            )
        # A discharged patient's plan stays active while its course is given (scheduling books it, the sessions
        # seed runs each dose); the sessions seed completes it after the last dose, as the prescriber would.
