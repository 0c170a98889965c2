"""Treatment plans: route, dose rule and cadence for one patient, built from a protocol template.

The plan row always holds the *current* version's values (so sessions and outcomes read one row); every change
also writes an immutable ``TreatmentPlanVersion`` snapshot with the reason for the change, so no earlier version
is ever lost.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from ketamine_clinic.choices import Route
from ketamine_clinic.core.protocols.dose_rule import DoseRule
from ketamine_clinic.core.safety import pdmp


class PlanQuerySet(models.QuerySet):
    """``patient.treatment_plans.current()``: the one reading of "the patient's plan", for the apps above plans
    (sessions, follow-up, the portal) and below them (outcomes reads it through the patient's relation)."""

    def active(self):
        return self.filter(status=TreatmentPlan.Status.ACTIVE).order_by("-created_at")

    def current(self):
        """The newest active plan, or None."""
        return self.active().first()


class TreatmentPlan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        STOPPED = "stopped", "Stopped"

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="treatment_plans")
    protocol_key = models.CharField(
        max_length=60, help_text="Key of the protocol template in core.protocols."
    )
    route = models.CharField(max_length=20, choices=Route.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # --- current version (added in 0002; each change is also snapshotted in TreatmentPlanVersion) ---
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    drug = models.CharField(max_length=40, default="racemic ketamine")
    concentration_mg_per_ml = models.DecimalField(
        "concentration (mg/mL)",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    dose_kind = models.CharField(
        max_length=10, choices=[("mg_per_kg", "mg/kg"), ("fixed_mg", "fixed mg")], default="mg_per_kg"
    )
    dose_amount = models.DecimalField(max_digits=7, decimal_places=3, default=Decimal("0.5"))
    dose_min = models.DecimalField("minimum dose", max_digits=7, decimal_places=3, default=Decimal("0.5"))
    dose_max = models.DecimalField("maximum dose", max_digits=7, decimal_places=3, default=Decimal("0.5"))
    infusion_duration_min = models.PositiveIntegerField("infusion duration (min)", null=True, blank=True)
    titration_rule = models.TextField(blank=True)
    session_frequency = models.JSONField(
        default=list, blank=True, help_text="Phases with their cadence (from the protocol template)."
    )
    phase_changes = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per-phase cadence changes, e.g. {'maintenance': {'every_n_weeks': 1}}.",
    )
    integration_every_n_doses = models.PositiveSmallIntegerField(
        "integration session after every n doses", null=True, blank=True
    )
    measurement_schedule = models.JSONField(
        default=dict, blank=True, help_text="Instrument schedule; {} means the outcomes app's defaults."
    )
    start_date = models.DateField(null=True, blank=True)
    session_time = models.TimeField(default=dt.time(9, 0))
    notes = models.TextField(blank=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_route_display()} plan for {self.patient} ({self.get_status_display()})"

    def dose_rule(self) -> DoseRule:
        """The plan->session dose contract (core.protocols.dose_rule.DoseRule) for the current version."""
        return DoseRule(
            kind=self.dose_kind,
            amount=float(self.dose_amount),
            min_amount=float(self.dose_min),
            max_amount=float(self.dose_max),
            drug=self.drug,
            infusion_duration_min=float(self.infusion_duration_min) if self.infusion_duration_min else None,
            concentration_mg_per_ml=float(self.concentration_mg_per_ml)
            if self.concentration_mg_per_ml
            else None,
        )

    def template(self):
        from ketamine_clinic.core.protocols.templates import get_template

        return get_template(self.protocol_key)

    def snapshot(self) -> dict:
        """The plan's current values as plain JSON (what a version row keeps)."""
        return {
            "status": self.status,
            "protocol_key": self.protocol_key,
            "route": self.route,
            "drug": self.drug,
            "concentration_mg_per_ml": _fixed(self.concentration_mg_per_ml, 2),
            "dose_kind": self.dose_kind,
            "dose_amount": _fixed(self.dose_amount, 3),
            "dose_min": _fixed(self.dose_min, 3),
            "dose_max": _fixed(self.dose_max, 3),
            "infusion_duration_min": self.infusion_duration_min,
            "titration_rule": self.titration_rule,
            "session_frequency": self.session_frequency,
            "phase_changes": self.phase_changes,
            "integration_every_n_doses": self.integration_every_n_doses,
            "measurement_schedule": self.measurement_schedule,
            "start_date": self.start_date.isoformat() if self.start_date else None,
            "session_time": self.session_time.strftime("%H:%M") if self.session_time else None,
            "notes": self.notes,
        }


def _fixed(value, places: int) -> str | None:
    """A decimal as text with the field's places, whether it came from the database or from a form."""
    if value is None:
        return None
    return f"{Decimal(str(value)):.{places}f}"


class TreatmentPlanVersion(models.Model):
    """An immutable snapshot of a plan as it was after one change, with who changed it and why."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    data = models.JSONField()
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="plan_version_number_unique")]

    def __str__(self):
        return f"Version {self.number} of {self.plan}"

    @property
    def dose_text(self) -> str:
        """The version's dose as the clinic writes it: "0.75 mg/kg", "56 mg"."""
        amount = Decimal(str(self.data.get("dose_amount", "0"))).normalize()
        return f"{amount:f} mg/kg" if self.data.get("dose_kind") == "mg_per_kg" else f"{amount:f} mg"


class TitrationDecision(models.Model):
    """The prescriber's decision on a titration suggestion at one dose level (accepted or declined, with why).

    One row per plan and dose level: once decided, the suggestion is not raised again at that level. An
    accepted suggestion also made plan version ``plan_version`` with the new dose.
    """

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="titration_decisions")
    from_amount = models.DecimalField(max_digits=7, decimal_places=3)
    to_amount = models.DecimalField(max_digits=7, decimal_places=3)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    suggestion = models.TextField(help_text="The suggestion as it was shown (its reason and source).")
    reason = models.TextField(
        help_text="The prescriber's reason (for an acceptance, the new version's reason)."
    )
    plan_version = models.PositiveIntegerField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "-decided_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "from_amount"], name="titration_decision_once_per_level")
        ]

    def __str__(self):
        return f"Titration {self.from_amount} -> {self.to_amount} {self.get_decision_display().lower()}"

    @property
    def patient(self):
        return self.plan.patient


class PdmpCheck(models.Model):
    """A prescriber's check of the state prescription drug monitoring program before a controlled-substance plan
    starts (core.safety.pdmp): when, where, what it found, who. Kept as recorded: a new check is a new row."""

    class Result(models.TextChoices):
        NO_CONCERNS = pdmp.NO_CONCERNS, pdmp.RESULTS[pdmp.NO_CONCERNS]
        CONCERNS = pdmp.CONCERNS, pdmp.RESULTS[pdmp.CONCERNS]

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="pdmp_checks")
    checked_on = models.DateField()
    state = models.CharField("state PDMP", max_length=2)
    result = models.CharField(max_length=20, choices=Result.choices)
    concerns = models.TextField(blank=True, max_length=4000)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-checked_on", "-recorded_at", "-id"]
        verbose_name = "PDMP check"

    def __str__(self):
        return f"PDMP {self.state} {self.checked_on:%Y-%m-%d}: {self.get_result_display()}"
