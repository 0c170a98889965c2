import json

from django import forms

from ketamine_clinic.core.instruments.schedule import ScheduleConfig
from ketamine_clinic.core.protocols.templates import TEMPLATES
from ketamine_clinic.core.safety import pdmp

from .models import TreatmentPlan


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


def template_choices(route=None):
    return [
        (t.key, f"{t.name}{' (clinic-defined)' if t.clinic_defined else ''}")
        for t in TEMPLATES.values()
        if route is None or t.route == route
    ]


class PlanCreateForm(forms.Form):
    protocol_key = forms.ChoiceField(label="Protocol template", choices=template_choices)
    start_date = forms.DateField(widget=DateInput)
    session_time = forms.TimeField(widget=TimeInput, initial="09:00", label="Usual session time")
    dose_amount = forms.DecimalField(
        required=False,
        max_digits=7,
        decimal_places=3,
        help_text="Leave empty for the template's dose (mg/kg or mg, as the template says).",
    )
    weekly_maintenance = forms.BooleanField(
        required=False, label="Weekly instead of every-2-week maintenance (esketamine label allows either)"
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, route=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["protocol_key"].choices = template_choices(route)


class PlanChangeForm(forms.ModelForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), help_text="Required: kept with the version."
    )
    measurement_schedule_json = forms.CharField(
        label="Measurement schedule (JSON)", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    class Meta:
        model = TreatmentPlan
        fields = [
            "dose_amount",
            "concentration_mg_per_ml",
            "infusion_duration_min",
            "titration_rule",
            "integration_every_n_doses",
            "start_date",
            "session_time",
            "notes",
        ]
        widgets = {
            "start_date": DateInput,
            "session_time": TimeInput,
            "titration_rule": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance and not self.is_bound:
            self.initial["measurement_schedule_json"] = json.dumps(
                self.instance.measurement_schedule, indent=1
            )

    def clean_measurement_schedule_json(self):
        text = self.cleaned_data["measurement_schedule_json"].strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc.msg} (line {exc.lineno}).") from None
        if not isinstance(value, dict):
            raise forms.ValidationError("The measurement schedule must be a JSON object ({...}).")
        try:
            # The outcomes app reads this config; check it the same way it will (unknown keys, instruments).
            ScheduleConfig.from_dict(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return value


class PlanStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(TreatmentPlan.Status.COMPLETED, "Completed"), (TreatmentPlan.Status.STOPPED, "Stopped")]
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class TitrationAcceptForm(forms.Form):
    from_amount = forms.DecimalField(required=False, max_digits=7, decimal_places=3, widget=forms.HiddenInput)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the new plan version; edit it to say why you accept.",
    )


class TitrationDeclineForm(forms.Form):
    from_amount = forms.DecimalField(required=False, max_digits=7, decimal_places=3, widget=forms.HiddenInput)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason for declining",
        help_text="Required; kept in the audit log. The suggestion is not shown again at this dose.",
    )


class PdmpCheckForm(forms.Form):
    """The prescriber's record of a PDMP lookup (the rules: core.safety.pdmp, checked by the service)."""

    checked_on = forms.DateField(widget=DateInput, label="Checked on",
                                 error_messages={"invalid": "Give the date of the check, e.g. 2026-12-01."})
    state = forms.CharField(max_length=2, label="State PDMP (two letters)", widget=forms.TextInput(
        attrs={"size": 3, "autocapitalize": "characters", "autocomplete": "off"}))
    result = forms.ChoiceField(choices=list(pdmp.RESULTS.items()), widget=forms.RadioSelect)
    concerns = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}),
                               label="What raised concern (if any)")
