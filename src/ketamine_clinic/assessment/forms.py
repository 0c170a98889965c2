from django import forms

from .models import (
    PATIENT_ANSWERABLE,
    SCREENING_QUESTIONS,
    ConsentDocument,
    EligibilityDecision,
    IntakeAssessment,
    PreviousTreatment,
    PreVisitQuestionnaire,
)

YES_NO_UNKNOWN = [("", "Not asked"), ("true", "Yes"), ("false", "No")]


class YesNoField(forms.TypedChoiceField):
    """Yes / No / not asked - "not asked" stays None, which the screen treats as a caution."""

    def __init__(self, **kwargs):
        super().__init__(
            choices=YES_NO_UNKNOWN,
            coerce=lambda v: {"true": True, "false": False}.get(v),
            empty_value=None,
            required=False,
            widget=forms.RadioSelect(attrs={"class": "inline"}),
            **kwargs,
        )

    def prepare_value(self, value):
        if value is True:
            return "true"
        if value is False:
            return "false"
        return value if value in ("true", "false") else ""


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"


class IntakeForm(forms.ModelForm):
    class Meta:
        model = IntakeAssessment
        fields = [
            "presenting_problem",
            "psychiatric_history",
            "suicide_attempts",
            "last_suicide_attempt_on",
            "substance_use_history",
            "medical_history",
            "current_medications",
            "systolic_bp_mmhg",
            "diastolic_bp_mmhg",
            "heart_rate_bpm",
            "spo2_percent",
            "weight_kg",
            "vitals_taken_at",
            *[name for name, _ in SCREENING_QUESTIONS],
        ]
        widgets = {
            "presenting_problem": forms.Textarea(attrs={"rows": 2}),
            "psychiatric_history": forms.Textarea(attrs={"rows": 2}),
            "substance_use_history": forms.Textarea(attrs={"rows": 2}),
            "medical_history": forms.Textarea(attrs={"rows": 2}),
            "current_medications": forms.Textarea(attrs={"rows": 3}),
            "last_suicide_attempt_on": DateInput(),
            "vitals_taken_at": DateTimeInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, question in SCREENING_QUESTIONS:
            self.fields[name] = YesNoField(label=question)

    def clean(self):
        data = super().clean()
        if data.get("weight_kg") is not None and not data.get("vitals_taken_at"):
            self.add_error("vitals_taken_at", "Give the time the vitals and weight were taken.")
        if data.get("hypertension") is not True and data.get("hypertension_controlled") is not None:
            data["hypertension_controlled"] = None  # only meaningful for a hypertensive patient
        return data

    @property
    def screening_fields(self):
        return [self[name] for name, _ in SCREENING_QUESTIONS]

    @property
    def history_fields(self):
        names = [
            "presenting_problem",
            "psychiatric_history",
            "suicide_attempts",
            "last_suicide_attempt_on",
            "substance_use_history",
            "medical_history",
            "current_medications",
        ]
        return [self[n] for n in names]

    @property
    def vitals_fields(self):
        names = [
            "systolic_bp_mmhg",
            "diastolic_bp_mmhg",
            "heart_rate_bpm",
            "spo2_percent",
            "weight_kg",
            "vitals_taken_at",
        ]
        return [self[n] for n in names]


class PreVisitForm(forms.ModelForm):
    class Meta:
        model = PreVisitQuestionnaire
        fields = [
            "reasons_for_seeking_treatment",
            "previous_treatments",
            "current_medications",
            "alcohol_and_drug_use",
            "goals",
            *PATIENT_ANSWERABLE,
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 2})
            for name in (
                "reasons_for_seeking_treatment",
                "previous_treatments",
                "current_medications",
                "alcohol_and_drug_use",
                "goals",
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        questions = dict(SCREENING_QUESTIONS)
        for name in PATIENT_ANSWERABLE:
            self.fields[name] = YesNoField(label=questions[name])


class PreviousTreatmentForm(forms.ModelForm):
    dose_adequate = YesNoField(label="Adequate dose (MGH-ATRQ dose table)")

    class Meta:
        model = PreviousTreatment
        fields = [
            "kind",
            "name",
            "dose",
            "duration_weeks",
            "dose_adequate",
            "outcome",
            "current_episode",
            "notes",
        ]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=EligibilityDecision.Decision.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    override_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Reason for proceeding despite cautions",
        help_text="Required when the screen lists relative contraindications or warnings; audited as an override.",
    )


class MismatchResolutionForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Resolution",
        help_text="Why the coded diagnosis does not change the answer, or what was corrected (audited).",
    )


class ConsentForm(forms.Form):
    document_id = forms.IntegerField(widget=forms.HiddenInput)
    typed_name = forms.CharField(max_length=160, label="Type your full name to acknowledge this consent")
    understood = forms.BooleanField(
        label="I have read this document, had my questions answered, and agree to treatment on these terms."
    )


class ConsentDocumentForm(forms.ModelForm):
    class Meta:
        model = ConsentDocument
        fields = ["route", "title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 14})}


class RemsEnrolmentForm(forms.Form):
    """The patient's SPRAVATO REMS enrolment (the rules: the service; the gate: core.safety.rems)."""

    enrolled_on = forms.DateField(widget=DateInput, label="Enrolled on",
                                  error_messages={"invalid": "Give the date of the enrolment, e.g. 2026-12-01."})
    rems_patient_id = forms.CharField(required=False, max_length=60, label="REMS patient number (if given)",
                                      widget=forms.TextInput(attrs={"autocomplete": "off"}))
