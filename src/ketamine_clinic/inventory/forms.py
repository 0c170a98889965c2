"""Forms of the controlled-substance pages. They only parse input; the ledger rules decide (services/core).
The forms that name a dosing session (draw, waste, other movements) are ``ketamine_clinic.sessions.custody_forms``."""


from django import forms
from django.core.exceptions import ValidationError

from ketamine_clinic.accounts.models import Role, User
from ketamine_clinic.core.inventory import Kind

from .models import Lot, Product, StorageLocation
from .services import to_mcg

INVENTORY_ROLES = [Role.DIRECTOR, Role.PRESCRIBER, Role.NURSE]


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


def lots_queryset():
    return Lot.objects.select_related("product").order_by("product__name", "expires_on")


class ReceiveForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.filter(active=True))
    lot_number = forms.CharField(max_length=40)
    expires_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    location = forms.ModelChoiceField(queryset=StorageLocation.objects.filter(active=True), label="Into safe")
    containers = forms.IntegerField(min_value=1, max_value=10_000, label="Number of vials / devices")
    supplier = forms.CharField(max_length=120)
    invoice = forms.CharField(max_length=80, label="Invoice number")


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
            found_lots = lots_queryset().exclude(pk__in=[lot.pk for lot in lots])
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
