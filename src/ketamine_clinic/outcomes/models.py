"""Questionnaire administrations and the urgent suicide-risk tasks they can raise.

An ``MeasureResponse`` stores the raw answers exactly as given plus the score the core engine computed at the
time (total, severity, flags), so a later change to the library never silently rewrites history.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketamine_clinic.core.instruments import INSTRUMENTS, ScoringError, score

INSTRUMENT_CHOICES = [(k, i.short_name) for k, i in INSTRUMENTS.items()]


# What each escalating flag of the core instruments means, as the urgent task and the chart say it.
FLAG_LABELS = {
    "phq9_item9": "PHQ-9 item 9 (thoughts of death or self-harm) endorsed",
    "cssrs_positive": "C-SSRS screener positive",
    "qids_item12": "QIDS-SR16 item 12 (thoughts of death or suicide) endorsed",
    "madrs_item10": "MADRS item 10 (suicidal thoughts) rated",
    "pcl5_probable_ptsd": "PCL-5 at or above the provisional PTSD cut-off",
    "audit_c_positive": "AUDIT-C positive screen",
}


class MeasureResponse(models.Model):
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="measure_responses")
    instrument = models.CharField(max_length=30, choices=INSTRUMENT_CHOICES, db_index=True)
    #: raw answers in item order, null for a blank / not-asked item
    answers = models.JSONField(default=list)
    total = models.IntegerField(null=True, blank=True)
    severity = models.CharField(max_length=60, blank=True)
    flags = models.JSONField(default=list, blank=True)
    prorated = models.BooleanField(default=False)
    session = models.ForeignKey(
        "dosing.DosingSession",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="measure_responses",
    )
    administered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="measure_responses_given",
    )
    self_reported = models.BooleanField(default=False)
    taken_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-taken_at"]
        indexes = [models.Index(fields=["patient", "instrument", "taken_at"])]

    def __str__(self):
        return f"{self.instrument_name} {self.total if self.total is not None else self.severity} ({self.taken_at:%Y-%m-%d})"

    @property
    def definition(self):
        return INSTRUMENTS[self.instrument]

    @property
    def flag_labels(self) -> list[str]:
        return [FLAG_LABELS.get(f, f) for f in self.flags]

    @property
    def instrument_name(self) -> str:
        inst = INSTRUMENTS.get(self.instrument)
        return inst.short_name if inst else self.instrument

    @property
    def subscale_scores(self) -> list[tuple[str, int | None]]:
        """(label, sum) of the instrument's published subscales (the PCL-5 DSM-5 clusters), from the stored
        answers; empty for instruments without subscales."""
        inst = INSTRUMENTS.get(self.instrument)
        if inst is None or not inst.subscales:
            return []
        labels = {sub.key: sub.label for sub in inst.subscales}
        try:
            result = score(inst, self.answers)
        except ScoringError:
            return []
        return [(labels[key], value) for key, value in result.subscale_scores]


class UrgentTask(models.Model):
    """A suicide-risk escalation for the patient's prescriber; open until acknowledged with an action."""

    class Priority(models.TextChoices):
        HIGH = "high", "High"
        MODERATE = "moderate", "Moderate"
        LOW = "low", "Low"

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="urgent_tasks")
    measure_response = models.ForeignKey(MeasureResponse, on_delete=models.PROTECT, related_name="urgent_tasks")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="urgent_tasks",
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.HIGH)
    reason = models.CharField(max_length=300)
    flags = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action_taken = models.TextField(blank=True)

    class Meta:
        ordering = ["acknowledged_at", "-created_at"]
        indexes = [models.Index(fields=["assigned_to", "acknowledged_at"])]

    def __str__(self):
        return f"Urgent: {self.reason} ({self.patient})"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None
