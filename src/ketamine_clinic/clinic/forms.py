import phonenumbers
from django import forms
from django.conf import settings
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.patients.models import Diagnosis, Patient

from .services import CARE_TEAM_ROLES, care_team_candidates


class DateInput(forms.DateInput):
    input_type = "date"


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = [
            "mrn", "first_name", "last_name", "date_of_birth", "sex", "phone", "email", "address",
            "emergency_contact_name", "emergency_contact_phone", "weight_kg", "weight_measured_on",
            "height_cm", "height_measured_on", "allergies", "current_medications", "phase",
        ]
        widgets = {
            "date_of_birth": DateInput(),
            "weight_measured_on": DateInput(),
            "height_measured_on": DateInput(),
            "address": forms.Textarea(attrs={"rows": 2}),
            "allergies": forms.Textarea(attrs={"rows": 2}),
            "current_medications": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_mrn(self):
        return self.cleaned_data["mrn"].strip().upper()

    def clean_phone(self):
        return self._phone("phone")

    def clean_emergency_contact_phone(self):
        return self._phone("emergency_contact_phone")

    def _phone(self, name):
        value = self.cleaned_data.get(name, "")
        if self.instance.pk and value == getattr(self.instance, name):
            return value  # a number saved before numbers were checked is kept until someone changes it
        return clinic_phone_number(value)

    def clean(self):
        data = super().clean()
        if data.get("height_cm") is not None and not data.get("height_measured_on"):
            self.add_error("height_measured_on", "Give the date the height was measured.")
        if data.get("weight_kg") is not None and not data.get("weight_measured_on"):
            data["weight_measured_on"] = None  # model.clean() reports it with the field named
        return data


def clinic_phone_number(text: str) -> str:
    """A phone number as the clinic dials it, or a ValidationError saying what is wrong. Numbers of the clinic's
    country (settings.CLINIC_PHONE_REGION) may leave out the country code and are stored in national format,
    "(202) 555-0143"; others need "+" and the country code and are stored internationally, "+44 20 7946 0958"."""
    text = (text or "").strip()
    if not text:
        return ""
    region = settings.CLINIC_PHONE_REGION
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise forms.ValidationError("This is not a phone number: give the digits, e.g. (202) 555-0143.") from None
    if not phonenumbers.is_valid_number(number):
        raise forms.ValidationError(
            "This phone number is not complete or does not exist: give the area code (e.g. (202) 555-0143), "
            "or + and the country code for a number abroad."
        )
    home = phonenumbers.region_code_for_number(number) == region
    style = phonenumbers.PhoneNumberFormat.NATIONAL if home else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


class DiagnosisForm(forms.ModelForm):
    class Meta:
        model = Diagnosis
        fields = ["icd10_code", "description", "is_primary", "noted_on"]
        widgets = {"noted_on": DateInput()}

    def clean_icd10_code(self):
        return self.cleaned_data["icd10_code"].strip().upper()

    def clean_noted_on(self):
        noted = self.cleaned_data["noted_on"]
        if noted and noted > timezone.localdate():
            raise forms.ValidationError("A diagnosis cannot be noted in the future.")
        return noted


class PatientSearchForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=80)
    phase = forms.ChoiceField(required=False, choices=[("", "All phases"), *Patient._meta.get_field("phase").choices])


class CareTeamForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), label="Staff member")
    is_primary = forms.BooleanField(required=False, label="Primary for their role")
    remove = forms.BooleanField(required=False, label="Remove instead of add")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = care_team_candidates()


class RegistrationCareTeamForm(forms.Form):
    """The care team chosen at registration: one clinician of each role, each optional (added later on the chart)."""

    prefix = "team"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for role in CARE_TEAM_ROLES:
            self.fields[role.value] = forms.ModelChoiceField(
                queryset=care_team_candidates(role.value), required=False, label=role.label,
                empty_label="(choose later)",
            )

    def members(self):
        return [self.cleaned_data.get(role.value) for role in CARE_TEAM_ROLES]
