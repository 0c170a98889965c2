"""The person's own account: two-factor sign-in (set up, the code after the password, recovery codes), and the
login page as a locked-out person sees it."""

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.views.decorators.http import require_POST

from ketamine_clinic import access, audit
from ketamine_clinic.navigation import back_to

from . import services

LOCKED_OUT_STATUS = 429  # Too Many Requests, with Retry-After: the login page itself, not a bare error page


@access.public
def locked_out(request, response=None, credentials=None):
    """django-axes' lockout answer (settings.AXES_LOCKOUT_CALLABLE): the normal login page with the clinic's
    message. The same for a username that exists and one that does not; a locked account is refused even with the
    right password."""
    username = str((credentials or {}).get("username") or "")[:150]
    context = {
        "form": AuthenticationForm(request, initial={"username": username}),
        "locked_out_message": services.locked_out_message(),
        "next": request.POST.get("next", "") if request.method == "POST" else "",
    }
    audit.record(request, "login_locked_out", detail={"username": username})
    answer = render(request, "registration/login.html", context, status=LOCKED_OUT_STATUS)
    answer["Retry-After"] = str(settings.AXES_COOLOFF_MIN * 60)
    return answer


def _next_url(request):
    return back_to(request, resolve_url(settings.LOGIN_REDIRECT_URL))


@access.signed_in_view
def verify(request):
    """The second step of signing in: the 6-digit code from the app, or a recovery code."""
    if request.user.is_verified() or not services.has_two_factor(request.user):
        return redirect(_next_url(request))
    error = ""
    if request.method == "POST":
        error = services.verify_second_factor(request, request.POST.get("code", ""))
        if not error:
            return redirect(_next_url(request))
    next_url = request.POST.get("next") or request.GET.get("next", "")
    return render(request, "accounts/verify.html", {"error": error, "next": next_url})


@access.signed_in_view
def two_factor(request):
    """Two-factor sign-in for one's own account: set it up (secret, otpauth link, QR code, then a first code), or,
    once on, how many recovery codes are left and a way to make new ones."""
    user = request.user
    if services.has_two_factor(user):
        if not user.is_verified():  # never reached past the middleware; kept so the page cannot add a second app
            return redirect("accounts:verify")
        return render(request, "accounts/two_factor.html", {
            "enabled": True, "codes_left": services.recovery_codes_left(user), "required": services.mfa_required(user),
        })
    device = services.pending_authenticator(user)
    error = ""
    if request.method == "POST":
        try:
            codes = services.confirm_authenticator(request, request.POST.get("code", ""))
        except ValidationError as exc:
            error = exc.message_dict["code"][0]
        else:
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": _next_url(request)})
    import segno

    uri = device.config_url
    return render(request, "accounts/two_factor.html", {
        "enabled": False, "required": services.mfa_required(user), "error": error,
        "secret": services.secret_text(device), "uri": uri, "qr_svg": segno.make(uri, error="m").svg_inline(scale=4),
        "next": request.POST.get("next") or request.GET.get("next", ""),
    })


@require_POST
@access.signed_in_view
def recovery_codes(request):
    """New recovery codes (the old ones stop working), for a verified session with two-factor sign-in on."""
    if not services.has_two_factor(request.user) or not request.user.is_verified():
        return redirect("accounts:two_factor")
    codes = services.new_recovery_codes(request.user)
    audit.record(request, "mfa_codes_renewed")
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": resolve_url(settings.LOGIN_REDIRECT_URL)})
