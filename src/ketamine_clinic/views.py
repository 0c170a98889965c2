"""The landing page: sends each person to where their role starts the day."""

from django.shortcuts import redirect

from . import access
from .accounts.models import Role


@access.signed_in_view
def home(request):
    if request.user.role == Role.PATIENT:
        return redirect("portal:home")
    return redirect("patients:dashboard")
