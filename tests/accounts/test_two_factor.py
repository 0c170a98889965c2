"""Two-factor sign-in (django-otp): set up with a real code from the device's key, the code asked after the password,
wrong codes refused, recovery codes working once, required roles sent to set it up first, the API refusing an
unverified session, and nothing asked of a nurse who has not turned it on."""

import datetime as dt
import re

import pytest
from django.test import Client
from second_factor import current_code

from ketamine_clinic.accounts import services
from ketamine_clinic.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "demo-password-1"


def password_login(client, username):
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, "the password step failed"
    return response


def enrol(client, user):
    """Set up the app through the page, as a person does: read the secret off the page, type the code it gives."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    page = client.get("/account/two-factor/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    shown = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page.content.decode()).group(1)
    assert shown.replace(" ", "") == services.secret_text(device).replace(" ", "")
    assert "otpauth://totp/" in page.content.decode() and "<svg" in page.content.decode()
    response = client.post("/account/two-factor/", {"code": current_code(device)})
    assert response.status_code == 200 and b"Your recovery codes" in response.content
    return re.findall(r"<li><code>([a-z0-9]+)</code></li>", response.content.decode())


def test_a_prescriber_is_sent_to_set_up_two_factor_before_anything_else(staff, client, settings):
    assert "prescriber" in settings.MFA_REQUIRED_ROLES and "director" in settings.MFA_REQUIRED_ROLES
    password_login(client, "t_prescriber")
    response = client.get("/patients/")
    assert response.status_code == 302 and response["Location"] == "/account/two-factor/?next=%2Fpatients%2F"
    api = client.get("/api/patients/")
    assert api.status_code == 403 and "two-factor" in api.json()["detail"].lower()
    assert client.post("/logout/").status_code == 302  # logging out stays open


def wait_a_little(clinic_clock, seconds=5):
    clinic_clock.move_to(clinic_clock.now().replace(tzinfo=None) + dt.timedelta(seconds=seconds))


def test_enrolment_then_recovery_codes_once_then_the_code_at_every_sign_in(staff, client, clinic_clock):
    password_login(client, "t_prescriber")
    codes = enrol(client, staff["prescriber"])
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/patients/").status_code == 200  # this session is verified now
    page = client.get("/account/two-factor/").content.decode()
    assert "is on" in page and not any(code in page for code in codes)  # shown once only
    assert AuditEvent.objects.filter(action="mfa_enrolled", user=staff["prescriber"]).exists()

    client.post("/logout/")
    other = Client()
    password_login(other, "t_prescriber")
    response = other.get("/patients/dashboard/")
    assert response.status_code == 302 and response["Location"].startswith("/account/verify/")
    assert other.get("/account/two-factor/")["Location"].startswith("/account/verify/")  # no second app unverified
    assert other.get("/api/patients/").status_code == 403
    from django_otp.plugins.otp_totp.models import TOTPDevice

    app = TOTPDevice.objects.get(user=staff["prescriber"], confirmed=True)
    wrong = f"{(int(current_code(app)) + 1) % 1_000_000:06d}"
    refused = other.post("/account/verify/", {"code": wrong, "next": "/patients/"})
    assert refused.status_code == 200 and b"not right" in refused.content
    assert other.get("/patients/").status_code == 302
    assert AuditEvent.objects.filter(action="mfa_failed", user=staff["prescriber"]).count() == 1
    # django-otp does not even check the next code for a second after a wrong one: right but too soon is refused.
    too_soon = other.post("/account/verify/", {"code": current_code(app), "next": "/patients/"})
    assert too_soon.status_code == 200 and b"wait a little" in too_soon.content
    wait_a_little(clinic_clock)
    accepted = other.post("/account/verify/", {"code": current_code(app), "next": "/patients/"})
    assert accepted.status_code == 302 and accepted["Location"] == "/patients/"
    assert other.get("/patients/").status_code == 200 and other.get("/api/patients/").status_code == 200


def test_a_recovery_code_works_once(staff, client):
    password_login(client, "t_director")
    codes = enrol(client, staff["director"])
    first = Client()
    password_login(first, "t_director")
    assert first.post("/account/verify/", {"code": codes[0]}).status_code == 302
    assert first.get("/patients/").status_code == 200
    again = Client()
    password_login(again, "t_director")
    assert again.post("/account/verify/", {"code": codes[0]}).status_code == 200  # used up
    assert again.get("/patients/").status_code == 302
    assert services.recovery_codes_left(staff["director"]) == 9
    assert AuditEvent.objects.filter(action="mfa_verified", detail__with="recovery code").count() == 1


def test_a_wrong_first_code_does_not_turn_it_on(staff, client):
    password_login(client, "t_prescriber")
    client.get("/account/two-factor/")
    response = client.post("/account/two-factor/", {"code": "000000x"})
    assert response.status_code == 200 and b"not right" in response.content
    assert not services.has_two_factor(staff["prescriber"])
    assert client.get("/patients/").status_code == 302


def test_a_nurse_is_not_asked_but_may_turn_it_on(staff, client, settings):
    assert "nurse" not in settings.MFA_REQUIRED_ROLES
    password_login(client, "t_nurse")
    assert client.get("/patients/").status_code == 200
    assert client.get("/api/patients/").status_code == 200
    codes = enrol(client, staff["nurse"])
    assert len(codes) == 10
    later = Client()
    password_login(later, "t_nurse")
    assert later.get("/patients/")["Location"].startswith("/account/verify/")  # on for her now


def test_a_patient_may_turn_it_on_too(make_patient, client):
    patient = make_patient(with_login=True)
    password_login(client, patient.user.username)
    assert client.get(f"/patients/{patient.pk}/").status_code == 200
    assert len(enrol(client, patient.user)) == 10


def test_the_director_resets_a_lost_phone(staff, client):
    password_login(client, "t_prescriber")
    enrol(client, staff["prescriber"])
    assert client.get("/patients/").status_code == 200
    assert services.reset_mfa(staff["prescriber"], by=staff["director"]) == 2  # the app and the recovery codes
    # The session verified with the removed app is verified no longer: set it up again first.
    assert client.get("/patients/")["Location"].startswith("/account/two-factor/")
    row = AuditEvent.objects.get(action="mfa_reset")
    assert row.user == staff["director"] and row.detail["username"] == "t_prescriber"


def test_new_recovery_codes_replace_the_old(staff, client, clinic_clock):
    password_login(client, "t_prescriber")
    old = enrol(client, staff["prescriber"])
    response = client.post("/account/two-factor/recovery-codes/")
    new = re.findall(r"<li><code>([a-z0-9]+)</code></li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    other = Client()
    password_login(other, "t_prescriber")
    assert other.post("/account/verify/", {"code": old[0]}).status_code == 200
    wait_a_little(clinic_clock)
    assert other.post("/account/verify/", {"code": new[0]}).status_code == 302


def test_the_test_suite_logins_are_really_verified(staff, client_as):
    from django_otp import DEVICE_ID_SESSION_KEY

    client = client_as(staff["director"])
    assert client.get("/patients/").status_code == 200
    assert client.session[DEVICE_ID_SESSION_KEY].startswith("otp_totp.totpdevice/")
    assert client_as(staff["nurse"]).get("/patients/").status_code == 200
