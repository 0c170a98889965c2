"""Log people out after a period of inactivity, shorter for staff than for patients."""

from django.conf import settings


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
