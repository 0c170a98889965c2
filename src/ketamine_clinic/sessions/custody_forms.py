"""Forms of the controlled-substance pages that name a dosing session (draw, waste, other movements): the
session pickers live here, next to the sessions they list; the lot, quantity and witness fields are the
ledger's own (``ketamine_clinic.inventory.forms``). They only parse input; the custody service decides."""

import datetime as dt

from django import forms
from django.utils import timezone

from ketamine_clinic import access
from ketamine_clinic.accounts.models import User
from ketamine_clinic.core.administration.states import TERMINAL_STATES
from ketamine_clinic.core.inventory import Kind
from ketamine_clinic.inventory.forms import (
    INVENTORY_ROLES,
    LotChoiceField,
    MgField,
    lots_queryset,
    witness_fields,
)
from ketamine_clinic.inventory.models import StorageLocation

from .models import DosingSession


def session_queryset(user=None, *, open_only=False):
    """Sessions of the last two weeks and the next two days; with ``user``, only those of patients the user
    may write the clinical record of; ``open_only`` leaves out ended sessions (discharged, aborted, stopped
    early). The services refuse the rest anyway; this keeps them out of the list."""
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
        self.fields["lot"].queryset = lots_queryset().filter(expires_on__gte=timezone.localdate())


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
        self.fields["lot"].queryset = lots_queryset()


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
        self.fields["lot"].queryset = lots_queryset()
