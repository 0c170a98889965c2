from django import forms
from django.utils import timezone

from ketamine_clinic.accounts.models import STAFF_ROLES, User

from .models import Appointment, Chair


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def future(value):
    """Appointments are booked and moved forward in time; the past is recorded, not booked."""
    if value is not None and value <= timezone.now():
        raise forms.ValidationError("Choose a time in the future.")
    return value


def _staff():
    return User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by("last_name", "first_name")


class StaffChoiceField(forms.ModelChoiceField):
    """Staff shown with their role, so the booker sees who can run which kind of visit."""

    def label_from_instance(self, obj):
        return f"{obj.display_name()} ({obj.get_role_display()})"


class ChairChoiceField(forms.ModelChoiceField):
    """Chairs shown with their type (which routes they take)."""

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.type_label.lower()}{', ' + obj.room if obj.room else ''})"


def _chair_field():
    return ChairChoiceField(queryset=Chair.objects.filter(active=True), required=False)


class BookForm(forms.Form):
    kind = forms.ChoiceField(choices=Appointment.Kind.choices)
    starts_at = forms.DateTimeField(widget=DateTimeInput(), label="Starts at")
    duration_min = forms.IntegerField(min_value=5, max_value=600, initial=60, label="Duration (min)")
    chair = _chair_field()
    staff = StaffChoiceField(queryset=User.objects.none(), required=False, label="Staff member")
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = _staff()

    def clean_starts_at(self):
        return future(self.cleaned_data["starts_at"])


class RescheduleForm(forms.Form):
    starts_at = forms.DateTimeField(widget=DateTimeInput(), label="New start")
    chair = _chair_field()
    staff = StaffChoiceField(queryset=User.objects.none(), required=False, label="Staff member")
    reason = forms.CharField(max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = _staff()

    def clean_starts_at(self):
        return future(self.cleaned_data["starts_at"])


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=300)


class DayForm(forms.Form):
    date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
