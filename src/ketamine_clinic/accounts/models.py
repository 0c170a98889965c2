"""People who log in: staff in clinical roles, and patients."""

from django.contrib.auth.models import AbstractUser
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


class User(AbstractUser):
    role = models.CharField(max_length=20, choices=Role.choices)
    # Credentials shown on notes and ledger entries, e.g. "MD", "RN", "LCSW".
    credentials = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["last_name", "first_name"]

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT

    @property
    def is_clinic_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def display_name(self) -> str:
        name = self.get_full_name() or self.username
        return f"{name}, {self.credentials}" if self.credentials else name

    def __str__(self) -> str:
        return self.display_name()
