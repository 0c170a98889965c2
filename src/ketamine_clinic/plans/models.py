"""Treatment plans: route, dose rule and cadence for one patient, built from a protocol template."""

from django.conf import settings
from django.db import models


class Route(models.TextChoices):
    IV = "iv", "IV infusion (racemic ketamine)"
    INTRANASAL = "intranasal", "Intranasal (esketamine)"
    IM = "im", "Intramuscular (racemic ketamine)"
    ORAL = "oral", "Oral (racemic ketamine)"
    SUBLINGUAL = "sublingual", "Sublingual (racemic ketamine)"


class TreatmentPlan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        STOPPED = "stopped", "Stopped"

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="treatment_plans")
    protocol_key = models.CharField(max_length=60, help_text="Key of the protocol template in core.protocols.")
    route = models.CharField(max_length=20, choices=Route.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_route_display()} plan for {self.patient} ({self.get_status_display()})"
