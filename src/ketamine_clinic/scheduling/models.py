"""Appointments in the clinic's rooms and chairs."""

from datetime import timedelta

from django.conf import settings
from django.db import models

from ketamine_clinic.core.protocols.schedule import CHAIR_TYPES, INFUSION_CHAIR


class Chair(models.Model):
    """A treatment chair or room where a patient sits for a session (the unit that cannot be double-booked).

    ``chair_type`` says which routes it can take (core.protocols.schedule.CHAIR_TYPES_FOR_ROUTE, clinic-defined).
    """

    name = models.CharField(max_length=40, unique=True)
    room = models.CharField(max_length=40, blank=True)
    active = models.BooleanField(default=True)
    chair_type = models.CharField(
        "type", max_length=20, choices=list(CHAIR_TYPES.items()), default=INFUSION_CHAIR
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def type_label(self) -> str:
        return self.get_chair_type_display().split(" (")[0]


class Appointment(models.Model):
    class Kind(models.TextChoices):
        DOSING = "dosing", "Dosing session"
        INTEGRATION = "integration", "Integration / psychotherapy"
        ASSESSMENT = "assessment", "Assessment"
        CONSULT = "consult", "Prescriber consultation"
        FOLLOW_UP = "follow_up", "Follow-up"

    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        CHECKED_IN = "checked_in", "Checked in"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="appointments")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    starts_at = models.DateTimeField(db_index=True)
    duration_min = models.PositiveIntegerField(default=60)
    chair = models.ForeignKey(
        Chair, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BOOKED)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # --- added in 0002: link to the plan that generated it, and cancellation ---
    plan = models.ForeignKey(
        "plans.TreatmentPlan", null=True, blank=True, on_delete=models.SET_NULL, related_name="appointments"
    )
    phase_key = models.CharField(max_length=40, blank=True)
    dose_number = models.PositiveIntegerField(null=True, blank=True)
    label = models.CharField(max_length=160, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    ACTIVE_STATUSES = ("booked", "checked_in", "completed")

    class Meta:
        ordering = ["starts_at"]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.patient} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def ends_at(self):
        return self.starts_at + timedelta(minutes=self.duration_min)

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def reminder(self) -> str:
        """What the patient is reminded of before this appointment: for a dosing visit, the plan's route's fasting
        rule and minimum stay from the route table (core.protocols.route_texts), and the ride home."""
        if self.kind != self.Kind.DOSING:
            return ""
        from ketamine_clinic.core.protocols.route_texts import reminder_text

        return reminder_text(self.plan.route if self.plan_id else None)


class AppointmentChange(models.Model):
    """History of a reschedule or cancellation: what it was, what it became, who and why."""

    class Kind(models.TextChoices):
        RESCHEDULE = "reschedule", "Rescheduled"
        CANCEL = "cancel", "Cancelled"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason = models.CharField(max_length=300)
    old_starts_at = models.DateTimeField()
    new_starts_at = models.DateTimeField(null=True, blank=True)
    old_chair = models.ForeignKey(Chair, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    new_chair = models.ForeignKey(Chair, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.appointment} ({self.reason})"


class ChangeRequest(models.Model):
    """A patient asks, from the portal, to move or cancel a booked visit; the front desk calls back and handles it
    (the change itself is then a reschedule or cancellation, with its own history)."""

    class Kind(models.TextChoices):
        RESCHEDULE = "reschedule", "Move it to another time"
        CANCEL = "cancel", "Cancel it"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="change_requests")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    note = models.CharField(max_length=500, blank=True, help_text="When suits you, or why (optional).")
    requested_at = models.DateTimeField(auto_now_add=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["requested_at", "id"]

    def __str__(self):
        return f"Request to {self.kind} {self.appointment}"

    @property
    def patient(self):
        return self.appointment.patient
