"""Forms patients fill in: journal entries and messages. The model's validators are the rules."""

from django import forms

from .models import JournalEntry, JournalTag, Message


class JournalEntryForm(forms.ModelForm):
    tags = forms.MultipleChoiceField(
        choices=JournalTag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Tags (optional)",
    )

    class Meta:
        model = JournalEntry
        fields = ["timing", "session", "body", "mood", "tags", "shared"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 8}),
            "mood": forms.NumberInput(attrs={"min": 0, "max": 10}),
        }
        labels = {
            "timing": "When are you writing?",
            "session": "Which session is it about? (optional)",
            "shared": "Share this entry with my therapist and prescriber",
        }

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.patient = patient
        self._was_shared = self.instance.shared
        # Only the patient's own sessions may be linked.
        from ketamine_clinic.sessions.models import DosingSession

        self.fields["session"].queryset = DosingSession.objects.filter(patient=patient).order_by(
            "-scheduled_for"
        )
        self.fields["session"].label_from_instance = lambda s: (
            f"{s.scheduled_for:%d %b %Y} ({s.get_route_display()})"
        )
        self.fields["body"].error_messages["required"] = "Write something before saving the entry."

    def save(self, commit=True):
        entry = super().save(commit=False)
        # Keep shared_at in step with the checkbox.
        shared = self.cleaned_data.get("shared", False)
        entry.shared = self._was_shared
        entry.set_shared(shared)
        if commit:
            entry.save()
        return entry


class MessageForm(forms.ModelForm):
    class Meta:
        model = Message
        fields = ["subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}
        labels = {"body": "Message"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].error_messages["required"] = "Write your message before sending it."
