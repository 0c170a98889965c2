"""Assessment before any dose: intake, previous treatments, eligibility screening and decision, informed consent.

The screening itself is pure core (``core.safety.eligibility``); these models store what was asked, what the
screen found (with its sources, as shown at the time) and what the prescriber decided and why.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from ketamine_clinic.choices import Route
from ketamine_clinic.core.safety import eligibility as core_eligibility
from ketamine_clinic.core.safety import treatment_resistance as core_trd
from ketamine_clinic.patients.models import WEIGHT_MAX_KG, WEIGHT_MIN_KG

# The yes/no screening items, in the order the intake form asks them: (field name, question).
SCREENING_QUESTIONS = [
    ("hypertension", "Diagnosed hypertension"),
    ("hypertension_controlled", "If hypertensive: is it controlled on treatment?"),
    (
        "unstable_cardiac_disease",
        "Unstable cardiac disease (recent MI, unstable angina, decompensated heart failure)",
    ),
    ("aneurysmal_vascular_disease", "Aneurysmal vascular disease (aortic, intracranial or peripheral)"),
    ("arteriovenous_malformation", "Arteriovenous malformation"),
    ("intracerebral_haemorrhage_history", "History of intracerebral haemorrhage"),
    ("raised_intracranial_pressure", "Raised intracranial pressure or intracranial mass"),
    ("raised_intraocular_pressure", "Raised intraocular pressure (glaucoma, open eye injury)"),
    ("severe_liver_disease", "Severe liver disease"),
    ("interstitial_cystitis", "Interstitial / ulcerative cystitis or bladder disease"),
    ("ketamine_hypersensitivity", "Hypersensitivity to ketamine or esketamine"),
    ("pregnant", "Pregnant"),
    ("breastfeeding", "Breastfeeding"),
    ("active_psychosis", "Current psychotic symptoms"),
    ("psychosis_history", "History of psychosis"),
    ("current_mania", "Current mania or hypomania"),
    ("bipolar_disorder", "Bipolar disorder"),
    ("active_substance_use_disorder", "Current substance use disorder"),
    ("substance_use_disorder_history", "Past substance use disorder (in remission)"),
    ("ketamine_misuse_history", "History of ketamine or other dissociative misuse"),
    ("current_suicidal_intent", "Current suicidal intent"),
]
SCREENING_FIELDS = [name for name, _ in SCREENING_QUESTIONS]
# The items a patient can answer about themselves in the pre-visit questionnaire.
PATIENT_ANSWERABLE = [
    "hypertension",
    "unstable_cardiac_disease",
    "aneurysmal_vascular_disease",
    "intracerebral_haemorrhage_history",
    "raised_intraocular_pressure",
    "severe_liver_disease",
    "interstitial_cystitis",
    "ketamine_hypersensitivity",
    "pregnant",
    "breastfeeding",
    "psychosis_history",
    "bipolar_disorder",
    "substance_use_disorder_history",
    "ketamine_misuse_history",
]


class IntakeAssessment(models.Model):
    """The staff intake: history, medical screen, baseline vitals. Each save re-runs the eligibility screen."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="intakes")
    presenting_problem = models.TextField(
        help_text="Presenting condition(s) in the clinician's words; coded diagnoses are kept on the chart."
    )
    psychiatric_history = models.TextField(blank=True)
    suicide_attempts = models.PositiveSmallIntegerField("number of lifetime suicide attempts", default=0)
    last_suicide_attempt_on = models.DateField(null=True, blank=True)
    substance_use_history = models.TextField(blank=True)
    medical_history = models.TextField(blank=True)
    current_medications = models.TextField(blank=True, help_text="One per line; checked for interactions.")
    systolic_bp_mmhg = models.PositiveSmallIntegerField(
        "baseline systolic BP (mmHg)",
        null=True,
        blank=True,
        validators=[MinValueValidator(50), MaxValueValidator(300)],
    )
    diastolic_bp_mmhg = models.PositiveSmallIntegerField(
        "baseline diastolic BP (mmHg)",
        null=True,
        blank=True,
        validators=[MinValueValidator(20), MaxValueValidator(200)],
    )
    heart_rate_bpm = models.PositiveSmallIntegerField(
        "baseline heart rate (/min)",
        null=True,
        blank=True,
        validators=[MinValueValidator(20), MaxValueValidator(250)],
    )
    spo2_percent = models.PositiveSmallIntegerField(
        "baseline SpO2 (%)", null=True, blank=True, validators=[MinValueValidator(50), MaxValueValidator(100)]
    )
    weight_kg = models.DecimalField(
        "weight (kg)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        # The chart's limits: the intake weight becomes the chart weight that doses are calculated from.
        validators=[MinValueValidator(WEIGHT_MIN_KG), MaxValueValidator(WEIGHT_MAX_KG)],
    )
    vitals_taken_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    hypertension = models.BooleanField(null=True, blank=True)
    hypertension_controlled = models.BooleanField(null=True, blank=True)
    unstable_cardiac_disease = models.BooleanField(null=True, blank=True)
    aneurysmal_vascular_disease = models.BooleanField(null=True, blank=True)
    arteriovenous_malformation = models.BooleanField(null=True, blank=True)
    intracerebral_haemorrhage_history = models.BooleanField(null=True, blank=True)
    raised_intracranial_pressure = models.BooleanField(null=True, blank=True)
    raised_intraocular_pressure = models.BooleanField(null=True, blank=True)
    severe_liver_disease = models.BooleanField(null=True, blank=True)
    interstitial_cystitis = models.BooleanField(null=True, blank=True)
    ketamine_hypersensitivity = models.BooleanField(null=True, blank=True)
    pregnant = models.BooleanField(null=True, blank=True)
    breastfeeding = models.BooleanField(null=True, blank=True)
    active_psychosis = models.BooleanField(null=True, blank=True)
    psychosis_history = models.BooleanField(null=True, blank=True)
    current_mania = models.BooleanField(null=True, blank=True)
    bipolar_disorder = models.BooleanField(null=True, blank=True)
    active_substance_use_disorder = models.BooleanField(null=True, blank=True)
    substance_use_disorder_history = models.BooleanField(null=True, blank=True)
    ketamine_misuse_history = models.BooleanField(null=True, blank=True)
    current_suicidal_intent = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Intake for {self.patient} on {self.created_at:%Y-%m-%d}"

    def clean(self):
        if (self.systolic_bp_mmhg is None) != (self.diastolic_bp_mmhg is None):
            raise ValidationError("Record both systolic and diastolic blood pressure, or neither.")
        if (
            self.systolic_bp_mmhg is not None
            and self.diastolic_bp_mmhg is not None
            and self.diastolic_bp_mmhg >= self.systolic_bp_mmhg
        ):
            raise ValidationError({"diastolic_bp_mmhg": "Diastolic pressure must be lower than systolic."})

    def screening_facts(self) -> core_eligibility.ScreeningFacts:
        return core_eligibility.ScreeningFacts(
            age_years=self.patient.age,
            systolic_bp_mmhg=self.systolic_bp_mmhg,
            diastolic_bp_mmhg=self.diastolic_bp_mmhg,
            medications=self.current_medications,
            **{name: getattr(self, name) for name in SCREENING_FIELDS},
        )


class PreVisitQuestionnaire(models.Model):
    """The parts of the intake a patient fills in before the visit (through the portal or a clinic tablet)."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="previsit_questionnaires"
    )
    reasons_for_seeking_treatment = models.TextField()
    previous_treatments = models.TextField(
        blank=True,
        help_text="Medicines, therapy, ECT or TMS you have tried: name, dose, how long, did it help?",
    )
    current_medications = models.TextField(blank=True)
    alcohol_and_drug_use = models.TextField(blank=True)
    goals = models.TextField(blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)

    hypertension = models.BooleanField(null=True, blank=True)
    unstable_cardiac_disease = models.BooleanField(null=True, blank=True)
    aneurysmal_vascular_disease = models.BooleanField(null=True, blank=True)
    intracerebral_haemorrhage_history = models.BooleanField(null=True, blank=True)
    raised_intraocular_pressure = models.BooleanField(null=True, blank=True)
    severe_liver_disease = models.BooleanField(null=True, blank=True)
    interstitial_cystitis = models.BooleanField(null=True, blank=True)
    ketamine_hypersensitivity = models.BooleanField(null=True, blank=True)
    pregnant = models.BooleanField(null=True, blank=True)
    breastfeeding = models.BooleanField(null=True, blank=True)
    psychosis_history = models.BooleanField(null=True, blank=True)
    bipolar_disorder = models.BooleanField(null=True, blank=True)
    substance_use_disorder_history = models.BooleanField(null=True, blank=True)
    ketamine_misuse_history = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]

    def __str__(self):
        return f"Pre-visit questionnaire of {self.patient} ({self.submitted_at:%Y-%m-%d})"


class PreviousTreatment(models.Model):
    """One earlier treatment (antidepressant trial, augmentation, psychotherapy, ECT, TMS) and how it went."""

    class Kind(models.TextChoices):
        ANTIDEPRESSANT = "antidepressant", "Antidepressant"
        AUGMENTATION = "augmentation", "Augmentation / combination"
        PSYCHOTHERAPY = "psychotherapy", "Psychotherapy"
        ECT = "ect", "ECT"
        TMS = "tms", "TMS"
        OTHER = "other", "Other"

    class Outcome(models.TextChoices):
        REMISSION = "remission", "Remission"
        RESPONSE = "response", "Response (>= 50% better)"
        PARTIAL = "partial_response", "Partial response (25-49%)"
        NONE = "no_response", "No response (< 25%)"
        INTOLERANCE = "intolerance", "Stopped: side effects"
        UNKNOWN = "unknown", "Unknown"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="previous_treatments"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=120, help_text="Drug or treatment, e.g. 'sertraline' or 'CBT'.")
    dose = models.CharField(max_length=60, blank=True, help_text="e.g. '150 mg daily' or '12 sessions'.")
    duration_weeks = models.DecimalField(
        max_digits=5, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    dose_adequate = models.BooleanField(
        "adequate dose (MGH-ATRQ dose table)",
        null=True,
        blank=True,
        help_text="Clinician's judgement against the MGH-ATRQ minimum effective doses.",
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.UNKNOWN)
    current_episode = models.BooleanField(default=True)
    notes = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.name}"

    def as_core(self) -> core_trd.PreviousTreatment:
        return core_trd.PreviousTreatment(
            kind=self.kind,
            name=self.name,
            dose=self.dose,
            duration_weeks=float(self.duration_weeks) if self.duration_weeks is not None else None,
            dose_adequate=self.dose_adequate,
            outcome=self.outcome,
            current_episode=self.current_episode,
        )


class EligibilityScreening(models.Model):
    """The result of the eligibility screen for one intake, stored as shown (reasons with their sources)."""

    class Status(models.TextChoices):
        ELIGIBLE = core_eligibility.ELIGIBLE, "Eligible"
        CAUTIONS = core_eligibility.ELIGIBLE_WITH_CAUTIONS, "Eligible with cautions"
        NOT_ELIGIBLE = core_eligibility.NOT_ELIGIBLE, "Not eligible"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="eligibility_screenings"
    )
    intake = models.ForeignKey(IntakeAssessment, on_delete=models.CASCADE, related_name="screenings")
    status = models.CharField(max_length=30, choices=Status.choices)
    reasons = models.JSONField(default=list)
    facts = models.JSONField(default=dict)
    # When the screen was run (set by the service: now, or the time an earlier screening happened; never ahead).
    screened_at = models.DateTimeField(default=timezone.now)
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-screened_at", "-id"]

    def __str__(self):
        return f"{self.get_status_display()} ({self.screened_at:%Y-%m-%d})"

    @property
    def absolute_reasons(self):
        return [r for r in self.reasons if r["severity"] == core_eligibility.ABSOLUTE]

    @property
    def caution_reasons(self):
        return [r for r in self.reasons if r["severity"] != core_eligibility.ABSOLUTE]

    @property
    def mismatch_reasons(self):
        """Answers the chart's coded diagnoses contradict (each needs a prescriber's resolution to proceed)."""
        return [r for r in self.reasons if r["severity"] == core_eligibility.MISMATCH]

    @property
    def other_reasons(self):
        return [r for r in self.reasons if r["severity"] != core_eligibility.MISMATCH]

    @staticmethod
    def mismatch_fact(reason: dict) -> str:
        return reason["code"].split(":", 1)[1]

    def mismatch_rows(self):
        """[(reason, resolution or None)] for the page: each contradiction and how it was resolved."""
        resolutions = {r.fact: r for r in self.mismatch_resolutions.select_related("resolved_by")}
        return [(r, resolutions.get(self.mismatch_fact(r))) for r in self.mismatch_reasons]

    def unresolved_mismatches(self):
        resolved = set(self.mismatch_resolutions.values_list("fact", flat=True))
        return [r for r in self.mismatch_reasons if self.mismatch_fact(r) not in resolved]


class EligibilityDecision(models.Model):
    """The prescriber's decision on a screening. Proceeding despite cautions needs a written override reason."""

    class Decision(models.TextChoices):
        PROCEED = "proceed", "Proceed to treatment planning"
        DECLINE = "decline", "Do not proceed"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="eligibility_decisions"
    )
    screening = models.ForeignKey(EligibilityScreening, on_delete=models.PROTECT, related_name="decisions")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    rationale = models.TextField()
    override_reason = models.TextField(
        blank=True,
        help_text="Required to proceed when the screen lists relative contraindications or warnings.",
    )
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)  # set by the service; never ahead of the clock

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self):
        return f"{self.get_decision_display()} by {self.decided_by} ({self.decided_at:%Y-%m-%d})"

    @property
    def is_override(self) -> bool:
        return self.decision == self.Decision.PROCEED and bool(self.override_reason.strip())


class ChartMismatchResolution(models.Model):
    """A prescriber's resolution of one contradiction between a screening answer and the chart's coded diagnoses.

    The screening stays as it was shown; the resolution records who looked at the contradiction, when, and why
    the patient may still be cleared (e.g. "F31.32 was entered in error: diagnosis revised to F33.2 after review
    of the records; chart corrected"). Without one, "proceed" cannot be recorded on that screening.
    """

    screening = models.ForeignKey(
        EligibilityScreening, on_delete=models.PROTECT, related_name="mismatch_resolutions"
    )
    fact = models.CharField(max_length=60, help_text="The screening item the chart contradicts.")
    chart_codes = models.CharField(max_length=200, help_text="The coded diagnoses that contradicted the answer.")
    reason = models.TextField()
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    resolved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["screening", "fact"]
        constraints = [
            models.UniqueConstraint(fields=["screening", "fact"], name="chart_mismatch_resolution_once")
        ]

    def __str__(self):
        return f"{self.fact} resolved by {self.resolved_by} ({self.resolved_at:%Y-%m-%d})"


class ConsentDocument(models.Model):
    """A versioned informed-consent text for one route. A new version requires every patient to re-consent."""

    route = models.CharField(max_length=20, choices=Route.choices)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(default=timezone.now)  # set by the service; never ahead of the clock

    class Meta:
        ordering = ["route", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["route", "version"], name="consent_document_route_version")
        ]

    def __str__(self):
        return f"{self.title} (v{self.version})"


class ConsentAcknowledgement(models.Model):
    """A patient's acknowledgement of one specific consent version: typed full name and the time."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="consents")
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="acknowledgements")
    typed_name = models.CharField(max_length=160)
    acknowledged_at = models.DateTimeField(default=timezone.now)  # set by the service; never ahead of the clock
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-acknowledged_at", "-id"]

    def __str__(self):
        return f"{self.patient} consented to {self.document} on {self.acknowledged_at:%Y-%m-%d}"


class RemsEnrolment(models.Model):
    """The patient's enrolment in the SPRAVATO REMS (the Patient Enrollment Form the setting submits before the
    first esketamine session; core.safety.rems). Kept as recorded: a correction is a new row, the latest counts."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="rems_enrolments")
    enrolled_on = models.DateField("enrolled on")  # never in the future (the service checks)
    rems_patient_id = models.CharField("REMS patient number", max_length=60, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)  # set by the service

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = "SPRAVATO REMS enrolment"

    def __str__(self):
        return f"{self.patient} enrolled in the SPRAVATO REMS on {self.enrolled_on:%Y-%m-%d}"
