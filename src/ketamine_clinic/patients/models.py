"""The patient registry: who the patient is, who cares for them, and the facts dosing depends on."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

# Weight limits for a record used in mg/kg dosing: outside 20-300 kg a typing slip is far likelier than
# a real weight in an adult or adolescent ketamine programme. The PK models carry their own, narrower ranges.
WEIGHT_MIN_KG = 20
WEIGHT_MAX_KG = 300
HEIGHT_MIN_CM = 100
HEIGHT_MAX_CM = 250

# ICD-10-CM code shape: a letter, two characters, then an optional dot and up to four more.
icd10_validator = RegexValidator(
    r"^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$",
    "Enter an ICD-10-CM code such as F33.2 (letter, two characters, optional dot and up to four more).",
)


def validate_not_future(value: dt.date):
    if value > timezone.localdate():
        raise ValidationError("Date of birth cannot be in the future.")


class Phase(models.TextChoices):
    """Where the patient is on the path of care."""

    SCREENING = "screening", "Screening"
    INDUCTION = "induction", "Induction"
    MAINTENANCE = "maintenance", "Maintenance"
    DISCHARGED = "discharged", "Discharged"


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other / intersex"
    UNKNOWN = "unknown", "Unknown"


class Patient(models.Model):
    mrn = models.CharField("medical record number", max_length=20, unique=True)
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    date_of_birth = models.DateField(validators=[validate_not_future])
    sex = models.CharField(max_length=10, choices=Sex.choices)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    emergency_contact_name = models.CharField(max_length=120, blank=True)
    emergency_contact_phone = models.CharField(max_length=30, blank=True)
    weight_kg = models.DecimalField(
        max_digits=5, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(WEIGHT_MIN_KG), MaxValueValidator(WEIGHT_MAX_KG)],
        help_text=f"{WEIGHT_MIN_KG}-{WEIGHT_MAX_KG} kg. Dosing uses this, so keep it current.",
    )
    weight_measured_on = models.DateField(null=True, blank=True)
    height_cm = models.DecimalField(
        max_digits=5, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(HEIGHT_MIN_CM), MaxValueValidator(HEIGHT_MAX_CM)],
    )
    height_measured_on = models.DateField(null=True, blank=True)
    allergies = models.TextField(blank=True, help_text="One per line; write 'NKDA' for no known drug allergies.")
    current_medications = models.TextField(blank=True, help_text="One per line with dose and frequency.")
    phase = models.CharField(max_length=20, choices=Phase.choices, default=Phase.SCREENING)
    # The patient's own login, if they use the portal.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="patient_record"
    )
    care_team = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="CareTeamMember", related_name="care_team_patients", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["last_name", "first_name"]), models.Index(fields=["phase"])]

    def __str__(self):
        return f"{self.last_name}, {self.first_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: dt.date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())

    def clean(self):
        if self.weight_kg is not None and self.weight_measured_on is None:
            raise ValidationError({"weight_measured_on": "Give the date the weight was measured."})
        if self.weight_measured_on and self.weight_measured_on > timezone.localdate():
            raise ValidationError({"weight_measured_on": "The weight cannot be measured in the future."})
        if self.height_measured_on and self.height_measured_on > timezone.localdate():
            raise ValidationError({"height_measured_on": "The height cannot be measured in the future."})

    def primary_prescriber(self):
        """The care-team prescriber urgent tasks go to (the one marked primary, else any)."""
        member = (
            self.careteammember_set.filter(user__role="prescriber")
            .order_by("-is_primary", "id")
            .select_related("user")
            .first()
        )
        return member.user if member else None


class CareTeamMember(models.Model):
    """A staff member on a patient's care team: this is what lets them see the chart."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    is_primary = models.BooleanField(default=False, help_text="Primary clinician of this role for the patient.")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["patient", "user"], name="unique_care_team_member")]

    def __str__(self):
        return f"{self.user} on care team of {self.patient}"


class Diagnosis(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="diagnoses")
    icd10_code = models.CharField("ICD-10-CM code", max_length=10, validators=[icd10_validator])
    description = models.CharField(max_length=200)
    is_primary = models.BooleanField(default=False)
    noted_on = models.DateField(default=dt.date.today)

    class Meta:
        ordering = ["-is_primary", "icd10_code"]
        verbose_name_plural = "diagnoses"

    def __str__(self):
        return f"{self.icd10_code} {self.description}"
