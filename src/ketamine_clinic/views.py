"""The landing page: sends each person to where their role starts the day."""

from django.shortcuts import redirect

from . import access
from .accounts.models import Role
from .navigation import reverse_or_none


@access.signed_in_view
def home(request):
    if request.user.role == Role.PATIENT:
        return redirect(reverse_or_none("portal:home") or "patients:me")
    return redirect("patients:dashboard")
