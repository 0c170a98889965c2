"""Entry forms generated from the core instrument definitions: one radio group per item.

The form does not re-implement any scoring rule: ``clean()`` hands the answers to the core engine and turns
its ScoringError into an error on the item's field, so the page re-renders with the message beside the item
and every other answer kept.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone

from ketamine_clinic.core.instruments import ScoringError, score
from ketamine_clinic.core.safety.event_time import is_in_future


class InstrumentForm(forms.Form):
    def __init__(
        self, instrument, *args, staff: bool = True, sex: str | None = None, sessions=None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.sex = sex
        self.result = None
        for item in instrument.items:
            label = f"{item.number}. {item.text}"
            if item.asked_if:
                label += f" (only if question {item.asked_if[0]} is answered "
                label += f"{'yes' if item.asked_if[1] == 1 else item.asked_if[1]})"
            self.fields[f"item_{item.number}"] = forms.TypedChoiceField(
                label=label,
                choices=[(o.value, o.label) for o in item.options],
                coerce=int,
                empty_value=None,
                required=False,  # blanks are judged by the instrument's own missing-item rule
                widget=forms.RadioSelect,
            )
        if staff:
            self.fields["taken_at"] = forms.DateTimeField(
                label="Taken at",
                required=False,  # blank = now
                help_text="Leave blank for now.",
                initial=timezone.localtime().replace(second=0, microsecond=0),
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
            )
            choices = [("", "- not linked to a session -")] + [
                (s.pk, f"{timezone.localtime(s.scheduled_for):%Y-%m-%d %H:%M} {s.get_route_display()}")
                for s in (sessions or [])
            ]
            self.fields["session"] = forms.TypedChoiceField(
                label="Session", choices=choices, coerce=int, empty_value=None, required=False
            )

    def item_fields(self):
        return [self[f"item_{it.number}"] for it in self.instrument.items]

    def item_pairs(self):
        return [(self[f"item_{it.number}"], it) for it in self.instrument.items]

    def answers(self) -> list[int | None]:
        return [self.cleaned_data.get(f"item_{it.number}") for it in self.instrument.items]

    def clean_taken_at(self):
        value = self.cleaned_data.get("taken_at")
        if value and is_in_future(value, timezone.now()):  # the one clock rule (core.safety.event_time)
            raise forms.ValidationError("The time taken cannot be in the future.")
        return value

    def clean(self):
        cleaned = super().clean()
        if any(name.startswith("item_") for name in self.errors):
            return cleaned
        try:
            self.result = score(self.instrument, self.answers(), sex=self.sex)
        except ScoringError as exc:
            field = f"item_{exc.item}" if exc.item and f"item_{exc.item}" in self.fields else None
            self.add_error(field, str(exc))
        return cleaned


class AcknowledgeForm(forms.Form):
    action_taken = forms.CharField(
        label="Action taken",
        min_length=10,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you did, e.g. 'Called patient, C-SSRS repeated, safety plan reviewed, seen today'.",
    )
