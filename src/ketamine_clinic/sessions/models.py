"""Dosing sessions: one supervised administration, from check-in to discharge.

The session row holds the state (driven by ``core.administration.states``), the pre-dose checks, the
confirmed dose and a ``version`` counter for optimistic concurrency: every state change or edit of the
session itself must carry the version it was based on, so two staff never silently overwrite each other.
Readings, side effects, interventions and observations are separate rows, appended as they happen; each
carries an idempotency key unique per session, so a retried submission never creates a duplicate.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from ketamine_clinic.choices import Route
from ketamine_clinic.core.administration.states import STATE_LABELS, SessionState
from ketamine_clinic.core.administration.vitals import PLAUSIBLE_RANGES

STATE_CHOICES = [(s.value, STATE_LABELS[s]) for s in SessionState]
STATE_LABELS_BY_VALUE = dict(STATE_CHOICES)


class DosingSession(models.Model):
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="dosing_sessions")
    appointment = models.OneToOneField(
        "scheduling.Appointment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dosing_session",
    )
    plan = models.ForeignKey(
        "plans.TreatmentPlan", null=True, blank=True, on_delete=models.PROTECT, related_name="dosing_sessions"
    )
    route = models.CharField(max_length=20, choices=Route.choices)
    # States are defined by the state machine in core.administration; "scheduled" is where every session starts.
    state = models.CharField(max_length=30, default="scheduled")
    scheduled_for = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # --- added in migration 0002 ---
    version = models.PositiveIntegerField(default=1, help_text="Optimistic-concurrency counter.")
    chair = models.ForeignKey(
        "scheduling.Chair", null=True, blank=True, on_delete=models.SET_NULL, related_name="dosing_sessions"
    )
    nurse = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state_changed_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    dosing_started_at = models.DateTimeField(null=True, blank=True)
    dosing_ended_at = models.DateTimeField(null=True, blank=True)
    discharged_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True, help_text="Why the session was aborted or stopped early.")

    # The plan's order as it stood when the dose was prepared (snapshot of core DoseRule fields).
    dose_rule = models.JSONField(null=True, blank=True)

    # Pre-dose checks (None = not recorded yet).
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    fasting_confirmed = models.BooleanField(null=True, blank=True)
    escort_confirmed = models.BooleanField(null=True, blank=True)
    escort_name = models.CharField(max_length=120, blank=True)
    pregnancy_test = models.CharField(
        max_length=10,
        blank=True,
        choices=[("negative", "Negative"), ("positive", "Positive"), ("declined", "Declined")],
    )
    pre_dose_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pre_dose_checked_at = models.DateTimeField(null=True, blank=True)

    # The confirmed dose.
    dose_mg = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    dose_calculation = models.JSONField(null=True, blank=True, help_text="Double-check lines as confirmed.")
    pump_rate_ml_per_h = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    dose_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dose_confirmed_at = models.DateTimeField(null=True, blank=True)
    # The two-person check: a second staff member checked the dose and confirmed with their own password.
    dose_second_checker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dose_override_reason = models.TextField(blank=True)
    lot_id = models.PositiveIntegerField(
        null=True, blank=True, help_text="Controlled-substance lot (inventory)."
    )

    # The dose actually delivered, recorded when administration ends (core.administration.delivery): less than
    # the confirmed dose when an infusion is stopped early or slowed. The ledger's administered entry is this
    # amount; the rest stays held by the session until it is wasted with a witness. None until dosing ends.
    delivered_mg = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    delivery_basis = models.CharField(
        max_length=120,
        blank=True,
        help_text="How the delivered dose was read, e.g. the pump's volume infused.",
    )

    class Meta:
        ordering = ["-scheduled_for"]

    def __str__(self):
        return f"{self.get_route_display()} session for {self.patient} on {self.scheduled_for:%Y-%m-%d}"

    @property
    def state_enum(self) -> SessionState:
        return SessionState(self.state)

    @property
    def state_label(self) -> str:
        return STATE_LABELS_BY_VALUE.get(self.state, self.state)

    @property
    def is_closed(self) -> bool:
        return SessionState(self.state).is_terminal

    @property
    def given_mg(self):
        """The dose the patient received: the delivered dose once recorded, else the confirmed dose (sessions
        recorded before delivered doses were kept, or still dosing)."""
        return self.delivered_mg if self.delivered_mg is not None else self.dose_mg

    @property
    def delivered_differs(self) -> bool:
        """True when less than the confirmed dose was delivered (show both then)."""
        return (
            self.delivered_mg is not None and self.dose_mg is not None and self.delivered_mg != self.dose_mg
        )


class SessionEvent(models.Model):
    """One accepted state change, with who, when, why and any gate override (the session's own log)."""

    session = models.ForeignKey(DosingSession, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=30)
    to_state = models.CharField(max_length=30)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    override_reason = models.TextField(blank=True)
    overridden_items = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.from_state} -> {self.to_state} at {self.at:%H:%M}"

    @property
    def patient(self):
        return self.session.patient


def _range(name):
    low, high = PLAUSIBLE_RANGES[name]
    return [MinValueValidator(low), MaxValueValidator(high)]


class Entry(models.Model):
    """Common columns of everything appended to a session's flowsheet."""

    session = models.ForeignKey(DosingSession, on_delete=models.CASCADE, related_name="%(class)ss")
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    idempotency_key = models.CharField(max_length=64, help_text="Client-generated; a retry reuses it.")

    class Meta:
        abstract = True
        constraints = []

    @property
    def patient(self):
        return self.session.patient


class VitalsReading(Entry):
    taken_at = models.DateTimeField(db_index=True)
    is_baseline = models.BooleanField(default=False)
    sbp = models.PositiveSmallIntegerField(
        "Systolic BP (mmHg)", null=True, blank=True, validators=_range("sbp")
    )
    dbp = models.PositiveSmallIntegerField(
        "Diastolic BP (mmHg)", null=True, blank=True, validators=_range("dbp")
    )
    hr = models.PositiveSmallIntegerField("Heart rate (/min)", null=True, blank=True, validators=_range("hr"))
    spo2 = models.PositiveSmallIntegerField("SpO2 (%)", null=True, blank=True, validators=_range("spo2"))
    rr = models.PositiveSmallIntegerField("Resp. rate (/min)", null=True, blank=True, validators=_range("rr"))
    alerts = models.JSONField(default=list, blank=True, help_text="Alert messages raised by this reading.")
    alert_acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    alert_acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["taken_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "idempotency_key"], name="dosing_vitals_idempotent")
        ]

    def __str__(self):
        return f"Vitals {self.sbp}/{self.dbp} HR {self.hr} at {self.taken_at:%H:%M}"


class DissociationScore(Entry):
    """A quick dissociation total charted at the chair. CADSS as in the outcomes app's instrument: the 19
    subjective items of Bremner JD et al., J Trauma Stress 1998;11:125-136 (PMID 9479681), each 0-4, total
    0-76. The item-by-item form lives in the outcomes app (``outcomes:administer`` with ``cadss``)."""

    taken_at = models.DateTimeField()
    instrument = models.CharField(max_length=20, default="cadss")
    total = models.PositiveSmallIntegerField(validators=[MaxValueValidator(76)])

    class Meta:
        ordering = ["taken_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "idempotency_key"], name="dosing_dissociation_idempotent"
            )
        ]

    def __str__(self):
        return f"{self.instrument.upper()} {self.total}"


class SideEffect(Entry):
    class Kind(models.TextChoices):
        NAUSEA = "nausea", "Nausea"
        VOMITING = "vomiting", "Vomiting"
        DIZZINESS = "dizziness", "Dizziness"
        HEADACHE = "headache", "Headache"
        ANXIETY = "anxiety", "Anxiety / agitation"
        HALLUCINATIONS = "hallucinations", "Hallucinations / perceptual changes"
        ELEVATED_BP = "elevated_bp", "Elevated blood pressure"
        SEDATION = "sedation", "Sedation"
        OTHER = "other", "Other"

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    onset_at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["onset_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "idempotency_key"], name="dosing_sideeffect_idempotent"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.severity})"


class Intervention(Entry):
    class Kind(models.TextChoices):
        PAUSED = "infusion_paused", "Infusion paused"
        RESUMED = "infusion_resumed", "Infusion resumed"
        RATE_REDUCED = "rate_reduced", "Rate reduced"
        STOPPED = "infusion_stopped", "Infusion stopped"
        ANTIEMETIC = "antiemetic", "Antiemetic given"
        ANTIHYPERTENSIVE = "antihypertensive", "Antihypertensive given"
        REASSURANCE = "reassurance", "Reassurance / environment"
        OTHER = "other", "Other"

    given_at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    medication = models.CharField(max_length=120, blank=True, help_text="e.g. ondansetron")
    dose_text = models.CharField(max_length=60, blank=True, help_text="e.g. 4 mg IV")
    new_rate_ml_per_h = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["given_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "idempotency_key"], name="dosing_intervention_idempotent"
            )
        ]

    def __str__(self):
        return self.get_kind_display()


class Observation(Entry):
    at = models.DateTimeField()
    text = models.TextField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "idempotency_key"], name="dosing_observation_idempotent"
            )
        ]

    def __str__(self):
        return self.text[:60]


class DischargeChecklist(models.Model):
    session = models.OneToOneField(
        DosingSession, on_delete=models.CASCADE, related_name="discharge_checklist"
    )
    alert_and_oriented = models.BooleanField(default=False)
    steady_gait = models.BooleanField(default=False)
    nausea_controlled = models.BooleanField(default=False)
    escort_present = models.BooleanField(default=False)
    escort_name = models.CharField(max_length=120, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Discharge checklist for session {self.session_id}"

    @property
    def patient(self):
        return self.session.patient


class SessionNote(models.Model):
    """The session note, generated from the record; after signing the body never changes (amendments do)."""

    session = models.OneToOneField(DosingSession, on_delete=models.CASCADE, related_name="note")
    body = models.TextField()
    generated_at = models.DateTimeField()
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Note for session {self.session_id}"

    @property
    def patient(self):
        return self.session.patient

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None


class SessionNoteAmendment(models.Model):
    note = models.ForeignKey(SessionNote, on_delete=models.CASCADE, related_name="amendments")
    body = models.TextField()
    reason = models.CharField(max_length=300)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"Amendment {self.pk} to note {self.note_id}"

    @property
    def patient(self):
        return self.note.session.patient


class RemsForm(models.Model):
    """The SPRAVATO REMS Patient Monitoring Form of one esketamine session (core.administration.rems_form).

    Most of the form is read from the record each time (patient, dose, lot, times, blood pressures); this row
    keeps what a clinician answers or confirms, the values as they stood when the note was signed, and the
    submission to the REMS (which happens outside the system, by fax or the REMS portal)."""

    session = models.OneToOneField(DosingSession, on_delete=models.CASCADE, related_name="rems_form")
    # {class key: True/False} for core.administration.rems_form.CONCOMITANT_CLASSES, confirmed by the nurse.
    concomitant = models.JSONField(null=True, blank=True)
    concomitant_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    vitals_acceptable_before = models.BooleanField(null=True, blank=True)
    vitals_acceptable_at_completion = models.BooleanField(null=True, blank=True)
    sedation = models.BooleanField(null=True, blank=True)
    dissociation = models.BooleanField(null=True, blank=True)
    respiratory_depression = models.BooleanField(null=True, blank=True)
    serious_adverse_event = models.BooleanField(null=True, blank=True)
    serious_adverse_event_detail = models.TextField(blank=True)
    evaluation_suggested_minutes = models.PositiveIntegerField(null=True, blank=True)
    evaluation_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(24 * 60)],
        help_text="Minutes from the first device: when the patient would have been ready to leave.",
    )
    evaluation_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    evaluation_confirmed_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    signed_values = models.JSONField(null=True, blank=True, help_text="The whole form when the note was signed.")
    submitted_on = models.DateField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submission_confirmation = models.CharField(max_length=80, blank=True)

    def __str__(self):
        return f"REMS monitoring form of session {self.session_id}"

    @property
    def patient(self):
        return self.session.patient

    @property
    def is_submitted(self) -> bool:
        return self.submitted_on is not None
