"""Forms of the controlled-substance pages. They only parse input; the ledger rules decide (services/core)."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketamine_clinic import access
from ketamine_clinic.accounts.models import Role, User
from ketamine_clinic.core.inventory import Kind

from .models import Lot, Product, StorageLocation
from .services import to_mcg

INVENTORY_ROLES = [Role.DIRECTOR, Role.PRESCRIBER, Role.NURSE]


def session_queryset(user=None, *, open_only=False):
    """Sessions of the last two weeks and the next two days; with ``user``, only those of patients the user
    may write the clinical record of; ``open_only`` leaves out ended sessions (discharged, aborted, stopped
    early). The services refuse the rest anyway; this keeps them out of the list."""
    from ketamine_clinic.core.administration.states import TERMINAL_STATES
    from ketamine_clinic.sessions.models import DosingSession

    now = timezone.now()
    sessions = DosingSession.objects.filter(
        scheduled_for__gte=now - dt.timedelta(days=14), scheduled_for__lte=now + dt.timedelta(days=2)
    )
    if user is not None:
        if not access.can(user, "clinical", "write"):
            sessions = sessions.none()
        sessions = sessions.filter(patient__in=access.visible_patients(user))
    if open_only:
        sessions = sessions.exclude(state__in=[s.value for s in TERMINAL_STATES])
    return sessions.select_related("patient").order_by("-scheduled_for")


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

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only open sessions of the user's own patients are offered (the ledger refuses the others anyway).
        self.fields["session"].queryset = session_queryset(user, open_only=True)
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

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only sessions of the user's own patients are offered: the list names them (as the draw form's does).
        self.fields["session"].queryset = session_queryset(user)
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

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only sessions of the user's own patients are offered: the list names them (as the draw form's does).
        self.fields["session"].queryset = session_queryset(user)
        self.fields["lot"].queryset = _lots()


class CountForm(forms.Form):
    """One counted-mg field per lot the ledger expects in the safe (built in __init__), then rows for lots found
    there that the ledger does not expect (a lot chosen from every lot on record, and the mg counted), then
    the witness. ``found_rows`` (hidden) says how many such rows the page shows; "Add another lot" adds one."""

    MAX_FOUND_ROWS = 20

    found_rows = forms.IntegerField(widget=forms.HiddenInput, required=False)  # read by the view
    note = forms.CharField(max_length=300, required=False, help_text="Optional.")
    witness, witness_password = witness_fields()

    def __init__(self, *args, lots=(), found_lots=None, found_rows=1, **kwargs):
        super().__init__(*args, **kwargs)
        self.lot_fields = []
        for lot in lots:
            name = f"lot_{lot.pk}"
            self.fields[name] = MgField(
                label=f"{lot.product.name} · lot {lot.lot_number} (mg counted)",
                help_text="Whole vials x content, plus an estimate of any opened vial. Enter 0 if none is there.",
                error_messages={"required": "Enter the amount counted (0 if none is there)."},
            )
            self.lot_fields.append((lot, name))
        if found_lots is None:
            found_lots = _lots().exclude(pk__in=[lot.pk for lot in lots])
        self.found_fields = []
        for i in range(1, max(1, min(int(found_rows), self.MAX_FOUND_ROWS)) + 1):
            lot_name, mg_name = f"found_lot_{i}", f"found_mg_{i}"
            self.fields[lot_name] = LotChoiceField(
                queryset=found_lots,
                required=False,
                label="Lot found",
                empty_label="(none)",
                widget=forms.Select(attrs={"aria-label": f"Lot found, row {i}"}),
                error_messages={
                    "invalid_choice": "That lot cannot be added here: it is already listed above, or not "
                    "on record. Choose one from the list."
                },
            )
            self.fields[mg_name] = MgField(
                label="mg counted",
                required=False,
                help_text="Whole vials x content, plus any opened vial.",
                widget=forms.TextInput(attrs={"aria-label": f"mg counted, row {i}"}),
            )
            self.found_fields.append((lot_name, mg_name))
        self.fields["found_rows"].initial = len(self.found_fields)
        self.order_fields(
            [name for _, name in self.lot_fields]
            + [n for pair in self.found_fields for n in pair]
            + ["note", "witness", "witness_password", "found_rows"]
        )

    def expected_bound_fields(self):
        return [self[name] for _, name in self.lot_fields]

    def found_bound_rows(self):
        return [(self[lot_name], self[mg_name]) for lot_name, mg_name in self.found_fields]

    def clean(self):
        data = super().clean()
        seen = {}
        for lot_name, mg_name in self.found_fields:
            lot, mg = data.get(lot_name), data.get(mg_name)
            if lot_name in self.errors or mg_name in self.errors:
                continue
            if lot is None and mg is not None:
                self.add_error(lot_name, "Choose which lot you found, or clear the amount.")
            elif lot is not None and mg is None:
                self.add_error(mg_name, f"Enter the amount of lot {lot.lot_number} counted.")
            elif lot is not None and lot.pk in seen:
                self.add_error(
                    lot_name, f"Lot {lot.lot_number} is already on line {seen[lot.pk]}; add the amounts."
                )
            elif lot is not None:
                seen[lot.pk] = lot_name.rsplit("_", 1)[1]
        return data

    def counted(self) -> dict[int, int]:
        counted = {lot.pk: self.cleaned_data[name] for lot, name in self.lot_fields}
        for lot_name, mg_name in self.found_fields:
            lot = self.cleaned_data.get(lot_name)
            if lot is not None:
                counted[lot.pk] = self.cleaned_data[mg_name]
        return counted


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


class LogFilterForm(DateRangeForm):
    """The log's filter: a date range and, optionally, one kind of movement."""

    kind = forms.ChoiceField(
        required=False,
        label="Movement",
        choices=[("", "All movements")] + [(k.value, k.label.capitalize()) for k in Kind],
    )


class AsOfForm(forms.Form):
    as_of = forms.DateTimeField(
        label="Inventory as of",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Opening or close of business on the inventory date (21 CFR 1304.11(a)).",
    )
