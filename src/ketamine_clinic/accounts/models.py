"""People who log in: staff in clinical roles, and patients."""

from django.contrib.auth.models import AbstractUser
from django.db import models

from ketamine_clinic.choices import STAFF_ROLES, Role  # noqa: F401  (handed on: apps read them here)


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
