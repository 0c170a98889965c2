"""Follow-up and maintenance: therapists' integration notes and the booster suggestions prescribers decide on."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from ketamine_clinic import access


class IntegrationNoteQuerySet(models.QuerySet):
    def visible_to(self, user):
        return access.integration_notes_for(user, self)


class IntegrationNote(models.Model):
    """A therapist's note of an integration session, linked to the dosing session it follows."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="integration_notes"
    )
    session = models.ForeignKey(
        "dosing.DosingSession",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="integration_notes",
        help_text="The dosing session this integration session follows.",
    )
    held_on = models.DateField(default=timezone.localdate)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    themes = models.CharField(max_length=200, blank=True, help_text="A few words: what came up.")
    body = models.TextField("note", max_length=20000)
    plan = models.TextField("plan / homework", blank=True, max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The therapist's signature: the note is then final (the record of what was done in therapy, as a signed
    # session note is for the dosing session).
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = IntegrationNoteQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-created_at"]

    def __str__(self):
        return f"Integration note for {self.patient} on {self.held_on:%Y-%m-%d}"

    def clean(self):
        if self.session_id and self.patient_id and self.session.patient_id != self.patient_id:
            raise ValidationError({"session": "That dosing session belongs to another patient."})
        if self.session_id and self.held_on and self.held_on < timezone.localdate(self.session.scheduled_for):
            raise ValidationError(
                {"held_on": "An integration session follows its dosing session, not before it."}
            )


class BoosterSuggestion(models.Model):
    """A proposal from the maintenance rules (core.followup.maintenance) awaiting a prescriber's decision."""

    class Kind(models.TextChoices):
        BOOSTER = "booster", "Booster (response fading)"
        STRETCH = "stretch_interval", "Stretch the interval (stable)"
        REVIEW = "prescriber_review", "Prescriber review (no response)"

    class Status(models.TextChoices):
        OPEN = "open", "Awaiting decision"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        SUPERSEDED = "superseded", "Superseded"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="booster_suggestions"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    reason = models.TextField()
    instrument = models.CharField(max_length=30)
    baseline = models.FloatField(null=True)
    nadir = models.FloatField(null=True)
    current = models.FloatField(null=True)
    response_threshold = models.FloatField(null=True)
    improvement_lost_fraction = models.FloatField(null=True)
    last_dose_at = models.DateTimeField(null=True)
    current_interval_days = models.FloatField(null=True)
    suggested_interval_days = models.PositiveIntegerField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True, help_text="Required when declining.")
    appointment = models.ForeignKey(
        "scheduling.Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="open"),
                name="one_open_booster_suggestion_per_patient",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.patient} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN
