"""Forms of the clinic setting page: the setting's details, and its SPRAVATO REMS certification."""

from django import forms

from .models import Site


class DateInput(forms.DateInput):
    input_type = "date"


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = ["name", "address", "phone", "email"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"name": "As the REMS forms and the patients' letters show it."}


class RemsCertificationForm(forms.Form):
    setting_id = forms.CharField(required=False, max_length=60, label="REMS setting number",
                                 help_text="As the SPRAVATO REMS confirmation gives it.")
    certified_on = forms.DateField(widget=DateInput, label="Certified on",
                                   error_messages={"invalid": "Give the date of the certification, e.g. 2026-12-01."})
