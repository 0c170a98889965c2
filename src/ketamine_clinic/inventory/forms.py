"""Forms of the controlled-substance pages. They only parse input; the ledger rules decide (services/core)."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketamine_clinic.accounts.models import Role, User
from ketamine_clinic.core.inventory import Kind

from .models import Lot, Product, StorageLocation
from .services import to_mcg

INVENTORY_ROLES = [Role.DIRECTOR, Role.PRESCRIBER, Role.NURSE]


def session_queryset():
    from ketamine_clinic.sessions.models import DosingSession

    now = timezone.now()
    return (
        DosingSession.objects.filter(
            scheduled_for__gte=now - dt.timedelta(days=14), scheduled_for__lte=now + dt.timedelta(days=2)
        )
        .select_related("patient")
        .order_by("-scheduled_for")
    )


class SessionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        when = timezone.localtime(obj.scheduled_for)
        return f"{obj.patient.last_name}, {obj.patient.first_name} ({obj.patient.mrn}) · {when:%Y-%m-%d %H:%M} · {obj.route}"


class LotChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.product.name} · lot {obj.lot_number} · exp {obj.expires_on:%Y-%m-%d}"


class MgField(forms.CharField):
    """An amount in mg, parsed exactly to micrograms (``cleaned_data`` holds micrograms)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("help_text", "Milligrams, up to three decimals.")
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in ("", None):
            return None
        try:
            return to_mcg(value)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None


def witness_fields():
    return (
        forms.ModelChoiceField(
            queryset=User.objects.filter(role__in=INVENTORY_ROLES, is_active=True).order_by("last_name"),
            label="Witness",
            help_text="A second staff member who watched, and now types their own password.",
        ),
        forms.CharField(
            label="Witness's password", widget=forms.PasswordInput(render_value=False), strip=False
        ),
    )


def _lots():
    return Lot.objects.select_related("product").order_by("product__name", "expires_on")


class ReceiveForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.filter(active=True))
    lot_number = forms.CharField(max_length=40)
    expires_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    location = forms.ModelChoiceField(queryset=StorageLocation.objects.filter(active=True), label="Into safe")
    containers = forms.IntegerField(min_value=1, max_value=10_000, label="Number of vials / devices")
    supplier = forms.CharField(max_length=120)
    invoice = forms.CharField(max_length=80, label="Invoice number")


class DrawForm(forms.Form):
    session = SessionChoiceField(queryset=None, label="Dosing session")
    lot = LotChoiceField(queryset=None)
    location = forms.ModelChoiceField(queryset=StorageLocation.objects.filter(active=True), label="From safe")
    quantity_mg = MgField(
        label="Quantity (mg)", required=False, help_text="Leave empty to draw one whole vial or device."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = session_queryset()
        # Only in-date lots are offered for drawing (the ledger refuses expired ones anyway).
        self.fields["lot"].queryset = _lots().filter(expires_on__gte=timezone.localdate())


class WasteForm(forms.Form):
    session = SessionChoiceField(
        queryset=None,
        required=False,
        label="Dosing session",
        help_text="The session whose remainder is wasted (or leave empty and name the safe).",
    )
    location = forms.ModelChoiceField(
        queryset=StorageLocation.objects.filter(active=True),
        required=False,
        label="Or from safe",
        help_text="For a broken or contaminated vial in stock.",
    )
    lot = LotChoiceField(queryset=None)
    quantity_mg = MgField(label="Quantity wasted (mg)")
    reason = forms.CharField(max_length=300, initial="Unused remainder of vial")
    witness, witness_password = witness_fields()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = session_queryset()
        self.fields["lot"].queryset = _lots()


class MovementForm(forms.Form):
    KINDS = [
        (k.value, k.label.capitalize())
        for k in (Kind.RETURNED, Kind.TRANSFERRED, Kind.RETURNED_TO_SUPPLIER, Kind.DESTROYED, Kind.CORRECTION)
    ]
    kind = forms.ChoiceField(choices=KINDS)
    lot = LotChoiceField(queryset=None)
    quantity_mg = MgField(label="Quantity (mg)")
    location = forms.ModelChoiceField(queryset=StorageLocation.objects.all(), required=False, label="Safe")
    to_location = forms.ModelChoiceField(
        queryset=StorageLocation.objects.all(), required=False, label="To safe"
    )
    session = SessionChoiceField(queryset=None, required=False, label="Dosing session (for returns)")
    counterparty = forms.CharField(max_length=120, required=False, label="Supplier / reverse distributor")
    reference = forms.CharField(
        max_length=80, required=False, help_text="Invoice, DEA Form 41 or other reference."
    )
    corrects = forms.IntegerField(min_value=1, required=False, label="Entry number corrected")
    reason = forms.CharField(max_length=300, required=False)
    witness = forms.ModelChoiceField(
        queryset=User.objects.filter(role__in=INVENTORY_ROLES, is_active=True),
        required=False,
        help_text="Needed for destruction.",
    )
    witness_password = forms.CharField(required=False, widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = session_queryset()
        self.fields["lot"].queryset = _lots()


class CountForm(forms.Form):
    """One counted-mg field per lot the ledger expects in the safe (built in __init__), plus the witness."""

    note = forms.CharField(max_length=300, required=False)
    witness, witness_password = witness_fields()

    def __init__(self, *args, lots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lot_fields = []
        for lot in lots:
            name = f"lot_{lot.pk}"
            self.fields[name] = MgField(
                label=f"{lot.product.name} · lot {lot.lot_number} (mg counted)",
                help_text="Whole vials x content, plus an estimate of any opened vial.",
            )
            self.lot_fields.append((lot, name))
        self.order_fields([name for _, name in self.lot_fields] + ["note", "witness", "witness_password"])

    def counted(self) -> dict[int, int]:
        return {lot.pk: self.cleaned_data[name] for lot, name in self.lot_fields}


class ResolveForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="What the investigation found")
    adjust = forms.BooleanField(
        required=False,
        label="Record a count adjustment bringing the ledger to the counted figure",
        help_text="Only when the difference cannot be traced to an unrecorded movement.",
    )


class DateRangeForm(forms.Form):
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError("The start date must not be after the end date.")
        return data


class AsOfForm(forms.Form):
    as_of = forms.DateTimeField(
        label="Inventory as of",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Opening or close of business on the inventory date (21 CFR 1304.11(a)).",
    )
