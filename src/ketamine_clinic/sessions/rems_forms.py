"""Forms of the REMS monitoring-form page: they only parse input; services.rems decides."""

from django import forms

from ketamine_clinic.core.administration import rems_form as core_rems

YES_NO = [("", "-"), ("yes", "Yes"), ("no", "No")]
LABELS = {
    "vitals_acceptable_before": "Vital signs in acceptable range before administration",
    "vitals_acceptable_at_completion": "Vital signs in acceptable range before completion",
    "sedation": "Sedation",
    "dissociation": "Dissociation",
    "respiratory_depression": "Respiratory depression",
    "serious_adverse_event": "Serious adverse event",
}


def _yes_no(value):
    return "" if value is None else ("yes" if value else "no")


class RemsAnswersForm(forms.Form):
    concomitant = forms.MultipleChoiceField(
        label="Currently taking (confirm against the medication list)",
        choices=core_rems.CONCOMITANT_CLASSES, required=False, widget=forms.CheckboxSelectMultiple,
    )
    serious_adverse_event_detail = forms.CharField(
        label="Serious adverse event: what happened", required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, initial=None, **kwargs):
        initial = dict(initial or {})
        for name in LABELS:
            initial[name] = _yes_no(initial.get(name))
        super().__init__(*args, initial=initial, **kwargs)
        for name, label in LABELS.items():
            self.fields[name] = forms.ChoiceField(label=label, choices=YES_NO, required=False)
        self.order_fields(["concomitant", *LABELS, "serious_adverse_event_detail"])


class EvaluationForm(forms.Form):
    evaluation_minutes = forms.IntegerField(
        label="Ready to leave at (minutes from the first device)", min_value=1, max_value=24 * 60,
    )


class SubmissionForm(forms.Form):
    submitted_on = forms.DateField(label="Submitted on", widget=forms.DateInput(attrs={"type": "date"}))
    submission_confirmation = forms.CharField(label="REMS confirmation number", max_length=80)
