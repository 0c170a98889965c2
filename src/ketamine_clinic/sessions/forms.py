"""Forms of the flowsheet. Every form validates on the server; errors re-render beside the field."""

import datetime as dt
import uuid
from decimal import Decimal

from django import forms
from django.utils import timezone

from ketamine_clinic.choices import Route
from ketamine_clinic.core.administration.states import STATE_LABELS, SessionState
from ketamine_clinic.core.administration.vitals import PLAUSIBLE_RANGES
from ketamine_clinic.core.protocols.routes import rules_for
from ketamine_clinic.patients.models import WEIGHT_MAX_KG, WEIGHT_MIN_KG
from ketamine_clinic.scheduling.models import Chair

from .models import DischargeChecklist, DissociationScore, Intervention, Observation, SideEffect

YES_NO = [("", "Not recorded"), ("yes", "Yes"), ("no", "No")]


def new_key() -> str:
    return uuid.uuid4().hex


def _tristate(value):
    return {"yes": True, "no": False}.get(value)


def _as_choice(value):
    return "" if value is None else ("yes" if value else "no")


class KeyedForm(forms.Form):
    """A flowsheet entry form: the hidden key makes a retried submission land on the same row."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, route: str | None = None, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", new_key())
        super().__init__(*args, **kwargs)
        self.route = route


def _vital(name, label):
    low, high = PLAUSIBLE_RANGES[name]
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=low,
        max_value=high,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": low, "max": high}),
    )


class VitalsForm(KeyedForm):
    sbp = _vital("sbp", "Systolic BP (mmHg)")
    dbp = _vital("dbp", "Diastolic BP (mmHg)")
    hr = _vital("hr", "Heart rate (/min)")
    spo2 = _vital("spo2", "SpO2 (%)")
    rr = _vital("rr", "Resp. rate (/min)")
    is_baseline = forms.BooleanField(required=False, widget=forms.HiddenInput)
    taken_time = forms.TimeField(
        label="Time taken (empty = now)",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    # A reading may be charted late, but not from the future nor long after the fact (clinic-defined window).
    LATE_ENTRY_WINDOW = dt.timedelta(hours=2)

    def taken_at(self, now: dt.datetime) -> dt.datetime:
        """The reading's time: today's date at ``taken_time`` (local), or ``now``. Adds a field error if bad."""
        chosen = self.cleaned_data.get("taken_time")
        if chosen is None:
            return now
        local_now = timezone.localtime(now)
        at = local_now.replace(hour=chosen.hour, minute=chosen.minute, second=0, microsecond=0)
        if at > local_now + dt.timedelta(minutes=1) and local_now - (at - dt.timedelta(days=1)) <= self.LATE_ENTRY_WINDOW:
            at -= dt.timedelta(days=1)  # a time just before midnight charted just after it: yesterday's reading
        if at > local_now + dt.timedelta(minutes=1):
            self.add_error("taken_time", "That time is in the future.")
        elif local_now - at > self.LATE_ENTRY_WINDOW:
            self.add_error(
                "taken_time", "Readings more than 2 hours old are charted as an observation instead."
            )
        return at


class PreDoseForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    weight_kg = forms.DecimalField(
        label="Weight today (kg)",
        required=False,
        # The chart's limits: this weight becomes the chart weight the next dose is calculated from.
        min_value=WEIGHT_MIN_KG,
        max_value=WEIGHT_MAX_KG,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    fasting_confirmed = forms.ChoiceField(label="Fasting", choices=YES_NO, required=False)
    escort_confirmed = forms.ChoiceField(label="Escort / ride home confirmed", choices=YES_NO, required=False)
    escort_name = forms.CharField(label="Escort name", required=False, max_length=120)
    pregnancy_test = forms.ChoiceField(
        label="Pregnancy test",
        required=False,
        choices=[
            ("", "Not done / not applicable"),
            ("negative", "Negative"),
            ("positive", "Positive"),
            ("declined", "Declined"),
        ],
    )
    @classmethod
    def for_session(cls, session, data=None):
        initial = {
            "version": session.version,
            "weight_kg": session.weight_kg,
            "fasting_confirmed": _as_choice(session.fasting_confirmed),
            "escort_confirmed": _as_choice(session.escort_confirmed),
            "escort_name": session.escort_name,
            "pregnancy_test": session.pregnancy_test,
        }
        form = cls(data, initial=initial)
        # The route's own fasting rule, from the route table (the gate checks the same one).
        form.fields["fasting_confirmed"].label = f"Fasting ({rules_for(session.route).fasting.short})"
        return form

    def session_values(self):
        d = self.cleaned_data
        return {
            "weight_kg": d["weight_kg"],
            "fasting_confirmed": _tristate(d["fasting_confirmed"]),
            "escort_confirmed": _tristate(d["escort_confirmed"]),
            "escort_name": d["escort_name"],
            "pregnancy_test": d["pregnancy_test"],
        }


class DoseForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    dose_mg = forms.DecimalField(
        label="Dose (mg)", min_value=Decimal("0.01"), max_value=Decimal("1000"), decimal_places=2
    )
    lot_id = forms.TypedChoiceField(
        label="Drug lot (controlled-substance stock)", coerce=int, choices=[], empty_value=None
    )
    second_checker = forms.ModelChoiceField(
        label="Second checker (checks the dose with you)", queryset=None, empty_label="Choose..."
    )
    second_checker_password = forms.CharField(
        label="Second checker's password", strip=False, widget=forms.PasswordInput(render_value=False)
    )
    override_reason = forms.CharField(
        label="Override reason (prescriber, only if outside the plan's limits)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, lots=(), user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # In-date lots of the session's drug from the controlled-substance stock: a dose is always drawn from one.
        self.fields["lot_id"].choices = [("", "Choose the lot...")] + list(lots)
        self.fields["second_checker"].queryset = second_checkers(exclude=user)


def second_checkers(exclude=None):
    """Staff who may check a dose at the chair (clinical write roles), the confirming user left out."""
    from ketamine_clinic.accounts.models import Role, User

    qs = User.objects.filter(is_active=True, role__in=[Role.NURSE, Role.PRESCRIBER, Role.DIRECTOR])
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.order_by("last_name", "first_name", "username")


class TransitionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    target = forms.ChoiceField(choices=[(s.value, STATE_LABELS[s]) for s in SessionState])
    reason = forms.CharField(required=False, max_length=500)
    override_reason = forms.CharField(required=False, max_length=500)
    # When dosing ends: the dose actually delivered (one of these; see core.administration.delivery).
    delivered_mg = forms.DecimalField(
        label="Delivered (mg)",
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("1000"),
        decimal_places=2,
    )
    volume_infused_ml = forms.DecimalField(
        label="Pump volume infused (mL)",
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("5000"),
        decimal_places=1,
    )
    devices_used = forms.IntegerField(label="Nasal devices used", required=False, min_value=0, max_value=12)

    def delivery(self) -> dict:
        return {k: self.cleaned_data.get(k) for k in ("delivered_mg", "volume_infused_ml", "devices_used")}


class SideEffectForm(KeyedForm):
    kind = forms.ChoiceField(label="Side effect", choices=SideEffect.Kind.choices)
    severity = forms.ChoiceField(choices=SideEffect.Severity.choices)
    note = forms.CharField(required=False, max_length=300)


class InterventionForm(KeyedForm):
    kind = forms.ChoiceField(label="Intervention", choices=Intervention.Kind.choices)
    medication = forms.CharField(required=False, max_length=120, help_text="e.g. ondansetron")
    dose_text = forms.CharField(label="Dose", required=False, max_length=60, help_text="e.g. 4 mg IV")
    new_rate_ml_per_h = forms.DecimalField(
        label="New pump rate (mL/h)",
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("999"),
        decimal_places=1,
    )
    note = forms.CharField(required=False, max_length=300)

    # Pump actions exist only for an infusion: a nasal spray, injection or lozenge has no rate to pause or cut.
    PUMP_ACTIONS = ("infusion_paused", "infusion_resumed", "rate_reduced", "infusion_stopped")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.route is not None and self.route != Route.IV:
            self.fields["kind"].choices = [
                (value, label) for value, label in Intervention.Kind.choices if value not in self.PUMP_ACTIONS
            ]
            del self.fields["new_rate_ml_per_h"]

    def clean(self):
        data = super().clean()
        if data.get("kind") in ("antiemetic", "antihypertensive") and not data.get("medication"):
            self.add_error("medication", "Name the medication given.")
        if data.get("kind") == "rate_reduced" and data.get("new_rate_ml_per_h") is None:
            self.add_error("new_rate_ml_per_h", "Enter the new pump rate.")
        return data


class ObservationForm(KeyedForm):
    text = forms.CharField(label="Observation", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class DissociationForm(KeyedForm):
    # CADSS, 19 subjective items 0-4 -> 0-76 (Bremner et al. 1998, PMID 9479681), as core.instruments.
    total = forms.IntegerField(label="CADSS total (0-76)", min_value=0, max_value=76)


class DischargeChecklistForm(forms.ModelForm):
    class Meta:
        model = DischargeChecklist
        fields = ["alert_and_oriented", "steady_gait", "nausea_controlled", "escort_present", "escort_name"]


class NoteAmendForm(forms.Form):
    body = forms.CharField(label="Amendment", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    reason = forms.CharField(label="Reason", max_length=300)


def session_nurses():
    """The nurses who may run a session (scheduling's staff rule for a dosing appointment: a nurse)."""
    from ketamine_clinic.accounts.models import Role, User

    return User.objects.filter(is_active=True, role=Role.NURSE).order_by("last_name", "first_name", "username")


class _ChairChoice(forms.ModelChoiceField):
    def label_from_instance(self, chair):
        return f"{chair.name} ({chair.type_label.lower()})"


class _StaffChoice(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.display_name()


class NewSessionForm(forms.Form):
    """A session started from the patient's chart. It books the chair and nurse like any appointment
    (scheduling.services.book_session_now applies every booking rule); chair and nurse are left optional
    here so that a missing one is refused by that service in the clinic's words."""

    route = forms.ChoiceField(
        choices=Route.choices,
        error_messages={"required": "Choose the route.", "invalid_choice": "Choose one of the listed routes."},
    )
    chair = _ChairChoice(
        queryset=Chair.objects.filter(active=True),
        required=False,
        empty_label="Choose the chair",
        error_messages={"invalid_choice": "That chair is not in service: choose one of the listed chairs."},
    )
    nurse = _StaffChoice(
        queryset=session_nurses(),
        required=False,
        empty_label="Choose the nurse",
        error_messages={"invalid_choice": "Choose one of the clinic's nurses."},
    )
    scheduled_for = forms.DateTimeField(
        label="Start (empty = now)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": "Enter the start as a date and time, e.g. 2026-03-02 09:00."},
    )

    # Booking errors (scheduling.services) are keyed by the appointment's fields; these are the form's names.
    SERVICE_FIELDS = {"starts_at": "scheduled_for", "staff": "nurse", "chair": "chair", "route": "route"}



ENTRY_FORMS = {
    "side_effect": (SideEffectForm, SideEffect, "onset_at"),
    "intervention": (InterventionForm, Intervention, "given_at"),
    "observation": (ObservationForm, Observation, "at"),
    "dissociation": (DissociationForm, DissociationScore, "taken_at"),
}
