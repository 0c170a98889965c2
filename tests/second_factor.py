"""Signing test users in as the clinic requires: a REALLY verified session for roles whose sign-in takes a second
factor (settings.MFA_REQUIRED_ROLES), through django-otp's own devices and session key; not a switch that turns
two-factor sign-in off. Imported by tests/conftest.py (client_as) and tests/browser/conftest.py (login)."""

from django.conf import settings


def authenticator_of(user):
    """The user's confirmed authenticator app, set up now if the user has none (as the enrolment page would)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def current_code(device) -> str:
    """The 6-digit code the person's app shows now (RFC 6238, from the device's own key, step and drift).

    django-otp refuses a code from a time step already used (replay); a test may sign the same person in twice in
    one 30-second step, which a person does not, so the device's record of the last step used is cleared first."""
    from django_otp.oath import TOTP

    type(device).objects.filter(pk=device.pk).update(last_t=-1)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def needs_second_factor(user) -> bool:
    return user.role in settings.MFA_REQUIRED_ROLES


def sign_in(client, user):
    """client.force_login(user), then, for a role that requires it, the second factor given as django_otp.login
    records it: the session names the verified device (django-otp's middleware reads it on every request)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    client.force_login(user)
    if needs_second_factor(user):
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = authenticator_of(user).persistent_id
        session.save()
    return client
