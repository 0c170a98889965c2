"""Staff forms: integration notes, booster decisions, replies to patients."""

import datetime as dt

from django import forms
from django.utils import timezone

from .models import IntegrationNote


class IntegrationNoteForm(forms.ModelForm):
    class Meta:
        model = IntegrationNote
        fields = ["session", "held_on", "themes", "body", "plan"]
        widgets = {
            "held_on": forms.DateInput(attrs={"type": "date"}),
            "body": forms.Textarea(attrs={"rows": 8}),
            "plan": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"session": "Dosing session it follows"}

    def __init__(self, *args, patient, author=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.patient = patient
        if author is not None:
            self.instance.author = author
        from ketamine_clinic.sessions.models import DosingSession

        self.fields["session"].queryset = DosingSession.objects.filter(patient=patient).order_by(
            "-scheduled_for"
        )
        self.fields["session"].label_from_instance = lambda s: (
            f"{s.scheduled_for:%Y-%m-%d} {s.get_route_display()} ({s.state})"
        )


class AcceptForm(forms.Form):
    starts_at = forms.DateTimeField(
        label="Book the booster for",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    duration_min = forms.IntegerField(label="Duration (min)", min_value=15, max_value=480, initial=120)
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    @staticmethod
    def default_start(suggestion, now=None) -> dt.datetime:
        """Next working morning at 09:00, or the stretched interval after the last dose."""
        now = now or timezone.now()
        local = timezone.localtime(now)
        start = local.replace(hour=9, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
        if (
            suggestion.kind == "stretch_interval"
            and suggestion.last_dose_at
            and suggestion.suggested_interval_days
        ):
            planned = timezone.localtime(suggestion.last_dose_at) + dt.timedelta(
                days=suggestion.suggested_interval_days
            )
            start = max(start, planned.replace(hour=9, minute=0, second=0, microsecond=0))
        while start.weekday() >= 5:
            start += dt.timedelta(days=1)
        return start


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Reason for declining",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give the reason for declining (it is kept in the audit log)."},
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Reply",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": "Write the reply before sending it."},
    )
