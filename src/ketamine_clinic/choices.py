"""The clinic's fixed lists that models in several apps store: who works here (roles) and how the drug is given
(routes).

They live below every app, beside the gate (``access.py`` keys its permission table by role), so that the gate
and the apps read the same list without the gate importing an app. ``accounts.models`` and ``plans.models`` hand
them on to the code that already reads them there.
"""

from django.db import models


class Role(models.TextChoices):
    """The clinic's roles. What each may do is decided in one place: ``ketamine_clinic.access``."""

    DIRECTOR = "director", "Medical director / administrator"
    PRESCRIBER = "prescriber", "Prescriber"
    NURSE = "nurse", "Infusion nurse"
    THERAPIST = "therapist", "Therapist"
    FRONT_DESK = "front_desk", "Front desk"
    PATIENT = "patient", "Patient"


STAFF_ROLES = frozenset(r for r in Role if r != Role.PATIENT)


class Route(models.TextChoices):
    IV = "iv", "IV infusion (racemic ketamine)"
    INTRANASAL = "intranasal", "Intranasal (esketamine)"
    IM = "im", "Intramuscular (racemic ketamine)"
    ORAL = "oral", "Oral (racemic ketamine)"
    SUBLINGUAL = "sublingual", "Sublingual (racemic ketamine)"
