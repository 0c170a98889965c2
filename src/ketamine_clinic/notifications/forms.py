from django import forms

from .models import ContactPreference, Message


class ReminderChoiceForm(forms.Form):
    channel = forms.ChoiceField(
        label="Send me appointment reminders by", choices=ContactPreference.Reminders.choices,
        widget=forms.RadioSelect,
    )


class OutboxFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "All"), *Message.Status.choices])


class RetryForm(forms.Form):
    message = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
