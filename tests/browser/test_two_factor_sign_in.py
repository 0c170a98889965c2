"""Two-factor sign-in as a prescriber meets it: the password, then the page to set up an authenticator app (the
secret read off the page and turned into a code as the app would), the recovery codes, the chart; next time the
code is asked after the password, and a recovery code works instead."""

import base64
import re

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

PASSWORD = "demo-password-1"


def code_from(secret_text):
    """What an authenticator app shows for the secret key printed on the page (RFC 6238, 30 s, 6 digits)."""
    key = base64.b32decode(secret_text.replace(" ", "") + "=" * (-len(secret_text.replace(" ", "")) % 8))
    return f"{TOTP(key).token():06d}"


def sign_in_with_password(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.mark.django_db(transaction=True)
def test_a_prescriber_sets_up_two_factor_then_signs_in_with_it(page, live_server, staff, make_patient, _browser):
    patient = make_patient(care_team=[staff["prescriber"]], last_name="Quartzmoor")
    sign_in_with_password(page, live_server, "t_prescriber")
    expect(page).to_have_url(re.compile(r"/account/two-factor/\?next="))
    expect(page.locator("text=Your role requires two-factor sign-in")).to_be_visible()
    assert page.locator(".qr svg").count() == 1
    secret = page.inner_text("#totp-secret")
    assert page.get_attribute("#totp-uri", "href").startswith("otpauth://totp/")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")  # nothing else is reachable before it is set up
    expect(page).to_have_url(re.compile(r"/account/two-factor/"))
    page.fill("#id_code", code_from(secret))
    page.click("#confirm-code")
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.click("text=Continue")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(page.locator(".patient-banner")).to_contain_text("Quartzmoor")

    # Another browser: the password alone is not enough; a recovery code is (the app's code was just used).
    context = _browser.new_context()
    other = context.new_page()
    try:
        sign_in_with_password(other, live_server, "t_prescriber")
        expect(other).to_have_url(re.compile(r"/account/verify/"))
        other.goto(f"{live_server.url}/patients/{patient.pk}/")
        expect(other).to_have_url(re.compile(r"/account/verify/\?next="))
        other.fill("#id_code", codes[0])
        other.click("#verify-code")
        other.wait_for_url(f"**/patients/{patient.pk}/")
        expect(other.locator(".patient-banner")).to_contain_text("Quartzmoor")
    finally:
        context.close()
