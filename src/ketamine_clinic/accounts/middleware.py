"""Log people out after a period of inactivity, shorter for staff than for patients; no caching of signed-in
pages; the second factor before anything else."""

from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect


class InactivityTimeoutMiddleware:
    """Set each authenticated session's expiry from the user's role.

    With ``SESSION_SAVE_EVERY_REQUEST`` the expiry slides forward on every request, so it measures
    inactivity, not time since login. Unattended clinic workstations are the risk this addresses.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            minutes = (
                settings.PATIENT_SESSION_TIMEOUT_MIN
                if getattr(user, "is_patient", False)
                else settings.STAFF_SESSION_TIMEOUT_MIN
            )
            request.session.set_expiry(minutes * 60)
        return self.get_response(request)


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every answer to a signed-in user (pages and API carry patient data), so no
    browser, proxy or shared workstation keeps a copy of a chart after logout. Static files are served before."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"
        return response


class TwoFactorMiddleware:
    """The second factor before anything else: a signed-in user whose session has not given one is sent to enter a
    code (they have an authenticator app) or to set one up (their role requires it); only those pages and logging
    out stay open. The API answers 403 with the reason instead of a redirect."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_verified():
            from .services import second_step

            step = second_step(user)
            if step:
                target = reverse("accounts:verify" if step == "verify" else "accounts:two_factor")
                if request.path not in {target, reverse("logout"), reverse("login")}:
                    return self._refuse(request, step, target)
        return self.get_response(request)

    @staticmethod
    def _refuse(request, step, target):
        if request.path.startswith("/api/"):
            detail = (
                "Two-factor sign-in needed: enter the code from your authenticator app at " + target
                if step == "verify"
                else "Your role requires two-factor sign-in: set it up at " + target
            )
            return JsonResponse({"detail": detail}, status=403)
        url = f"{target}?{urlencode({'next': request.get_full_path()})}" if request.method == "GET" else target
        if request.headers.get("HX-Request") == "true":
            return HttpResponseClientRedirect(url)  # an HTMX panel would otherwise swap the whole page into itself
        return redirect(url)
