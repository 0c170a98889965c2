"""Signing in and confirming one another: the one password check behind every second signature, lockout after
repeated wrong passwords (django-axes), and the second factor (django-otp: an authenticator app, recovery codes)."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from ketamine_clinic import access, audit

RECOVERY_CODE_COUNT = 10


def confirm_second_person(
    user, other, password: str, *, area: str, field: str, role_words: str, may: str = ""
) -> None:
    """``other`` (a different, active staff member whose role may write in ``area``) confirms by typing their own
    password now: the second checker of a dose, the witness of waste or a count. Errors name ``field`` (the
    chooser) or ``{field}_password`` in the clinic's words; ``may`` says what the role allows ("witness
    controlled substances"), else "be the <role_words>".

    The password goes through the same throttled check as the login page: wrong passwords count towards the
    other person's lockout, and a locked-out account is refused even with the right password."""
    if other is None:
        raise ValidationError({field: f"Choose the {role_words} who checks with you."})
    if other.pk == user.pk:
        raise ValidationError({field: f"The {role_words} must be a different staff member from you."})
    if not other.is_active or not access.can(other, area, "write"):
        raise ValidationError({field: f"{other.display_name()} may not {may or 'be the ' + role_words}."})
    if not password:
        raise ValidationError({f"{field}_password": f"The {role_words}'s password is not correct."})
    request = _stand_in_request(user, role_words)
    checked = authenticate(request, username=other.get_username(), password=password)
    if getattr(request, "axes_locked_out", False):
        audit.record(request, "login_locked_out", detail={"username": other.get_username(), "second_person": role_words})
        raise ValidationError({f"{field}_password": locked_out_message(other.display_name())})
    if checked is None or checked.pk != other.pk:
        raise ValidationError({f"{field}_password": f"The {role_words}'s password is not correct."})


def _stand_in_request(user, role_words):
    """The services that ask for a second person's password are called without the web request (pages, the API and
    tests alike); django-axes needs one to count the failure. Failures are counted by username only, so nothing is
    lost; the audit row names the staff member at the keyboard and which second person was asked for."""
    request = HttpRequest()
    request.method = "POST"
    request.user = user
    request.second_person_check = role_words
    return request


def lockout_username(request, credentials) -> str:
    """The username django-axes counts failures on (settings.AXES_USERNAME_CALLABLE): what was typed, cut to the
    longest a username can be (150). A 100 KB "username" must not reach axes' 255-character column (PostgreSQL
    would refuse the row: a 500) nor make each failure a 100 KB row."""
    if credentials and "username" in credentials:
        typed = credentials.get("username")
    else:
        typed = getattr(request, "POST", {}).get("username")
    return str(typed or "")[:USERNAME_MAX_CHARS]


USERNAME_MAX_CHARS = 150


def locked_out_message(whose: str = "") -> str:
    account = f"{whose}'s account" if whose else "this account"
    return (
        f"Too many failed sign-ins: {account} is locked for safety. Try again in {settings.AXES_COOLOFF_MIN} "
        "minutes or ask the medical director to unlock it."
    )


def is_locked_out(user) -> bool:
    """Whether ``user``'s account is locked after repeated wrong passwords (for the director's staff pages)."""
    from axes.handlers.proxy import AxesProxyHandler

    request = _stand_in_request(user, "")
    return AxesProxyHandler.is_locked(request, {"username": user.get_username()})


def unlock(user, *, by) -> int:
    """The medical director lifts a lockout: the failed attempts on ``user``'s username are forgotten. ``by`` is the
    director's request (or user). Audited; returns the number of attempt records cleared."""
    from axes.utils import reset

    cleared = reset(username=user.get_username())
    audit.record(by, "account_unlocked", detail={"username": user.get_username(), "attempt_records": cleared})
    return cleared


# Two-factor sign-in ------------------------------------------------------------------------------------------------


def mfa_required(user) -> bool:
    """The clinic requires a second factor of this user's role (settings.MFA_REQUIRED_ROLES)."""
    return user.role in settings.MFA_REQUIRED_ROLES


def has_two_factor(user) -> bool:
    """The user has a confirmed authenticator app (or recovery codes), so signing in takes a code too."""
    from django_otp import user_has_device

    return user_has_device(user, confirmed=True)


def second_step(user) -> str:
    """What a signed-in user whose session has not given a second factor must do before anything else: "verify"
    (enter a code), "enrol" (their role requires two-factor sign-in and they have not set it up) or "" (nothing)."""
    if has_two_factor(user):
        return "verify"
    return "enrol" if mfa_required(user) else ""


def pending_authenticator(user):
    """The authenticator app being set up: one unconfirmed TOTP device, kept between page loads so the secret the
    person has already scanned stays the one that is checked."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def confirm_authenticator(request, code: str) -> list[str]:
    """The first code from the app confirms it; returns the new recovery codes (shown once). The session counts as
    verified from now on. A wrong code raises ValidationError on ``code``."""
    import django_otp

    user = request.user
    if has_two_factor(user):
        raise ValidationError({"code": "Two-factor sign-in is already set up for your account."})
    device = pending_authenticator(user)
    if not device.verify_token(_clean_code(code)):
        audit.record(request, "mfa_enrolment_failed")
        raise ValidationError({"code": WRONG_CODE})
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = new_recovery_codes(user)
    django_otp.login(request, device)
    audit.record(request, "mfa_enrolled")
    return codes


def new_recovery_codes(user) -> list[str]:
    """Ten new one-time recovery codes (each works once, instead of the app's code); the old ones stop working."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    device, _ = StaticDevice.objects.get_or_create(user=user, name="Recovery codes", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def secret_text(device) -> str:
    """The TOTP secret as people type it into an app without a camera: base32, in groups of four."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def recovery_codes_left(user) -> int:
    from django_otp.plugins.otp_static.models import StaticToken

    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


WRONG_CODE = (
    "That code is not right or has already been used. Enter the 6-digit code your authenticator app shows now, "
    "or one of your recovery codes."
)


def _clean_code(code) -> str:
    return "".join(str(code or "").split())[:16]  # people type "123 456"; nothing longer is a code


def verify_second_factor(request, code: str) -> str:
    """Check a code from the app (or a recovery code, used up by this) and mark the session verified; returns "" or
    what was wrong, in the clinic's words. Audited either way. django-otp slows guessing down: after a wrong code the
    next is not even checked for a while (1 s, then 2, 4, ...: each failure doubles the wait)."""
    import django_otp
    from django_otp import devices_for_user

    if any(not device.verify_is_allowed()[0] for device in devices_for_user(request.user)):
        audit.record(request, "mfa_failed", detail={"why": "too soon after a wrong code"})
        return TOO_FAST
    device = django_otp.match_token(request.user, _clean_code(code))
    if device is None:
        audit.record(request, "mfa_failed")
        return WRONG_CODE
    django_otp.login(request, device)
    audit.record(request, "mfa_verified", detail={"with": "recovery code" if _is_recovery(device) else "app"})
    return ""


TOO_FAST = "Too many wrong codes in a row: wait a little (a few seconds, longer after each wrong code) and try again."


def _is_recovery(device) -> bool:
    from django_otp.plugins.otp_static.models import StaticDevice

    return isinstance(device, StaticDevice)


def reset_mfa(user, *, by) -> int:
    """The medical director's "reset two-factor sign-in" (a lost phone): every authenticator app and recovery code of
    ``user`` is removed; sessions verified with them are verified no longer. If the role requires two-factor sign-in
    the person sets it up again at their next page. Audited; returns the number of devices removed."""
    from django_otp import devices_for_user

    devices = list(devices_for_user(user, confirmed=None))
    for device in devices:
        device.delete()
    audit.record(by, "mfa_reset", detail={"username": user.get_username(), "devices": len(devices)})
    return len(devices)
