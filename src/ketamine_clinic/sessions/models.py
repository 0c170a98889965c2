"""Dosing sessions: one supervised administration, from check-in to discharge."""

from django.db import models

from ketamine_clinic.plans.models import Route


class DosingSession(models.Model):
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="dosing_sessions")
    appointment = models.OneToOneField(
        "scheduling.Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="dosing_session"
    )
    plan = models.ForeignKey(
        "plans.TreatmentPlan", null=True, blank=True, on_delete=models.PROTECT, related_name="dosing_sessions"
    )
    route = models.CharField(max_length=20, choices=Route.choices)
    # States are defined by the state machine in core.administration; "scheduled" is where every session starts.
    state = models.CharField(max_length=30, default="scheduled")
    scheduled_for = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-scheduled_for"]

    def __str__(self):
        return f"{self.get_route_display()} session for {self.patient} on {self.scheduled_for:%Y-%m-%d}"
