"""The medical director adds a nurse, registers a new patient with her on the care team, and the nurse signs in
with the password the director gave her and sees that chart. Then the director puts a new prescriber on the team:
his role requires two-factor sign-in, so at his first sign-in he sets up an authenticator app (the code typed is
computed from the secret the page shows, as his phone would), and then he sees the chart too."""

import base64

import pytest
from playwright.sync_api import expect


def _totp_from_page_secret(secret_text: str) -> str:
    from django_otp.oath import TOTP

    secret = secret_text.replace(" ", "").upper()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{TOTP(key).token():06d}"


def _add_staff(page, live_server, username, role, password):
    page.goto(f"{live_server.url}/staff/new/")
    page.fill("#id_username", username)
    page.fill("#id_first_name", "Ada" if role == "nurse" else "Bram")
    page.fill("#id_last_name", "Okafor" if role == "nurse" else "Lindqvist")
    page.select_option("#id_role", role)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    expect(page.locator("#staff-status")).to_contain_text("Active.")


def _sign_out(page):
    page.click("text=Log out")
    page.wait_for_url("**/login/**")


@pytest.mark.django_db(transaction=True)
def test_director_adds_a_nurse_and_a_prescriber_who_then_see_the_new_chart(page, live_server, login, staff):
    login(page, live_server, "t_director")
    _add_staff(page, live_server, "rn.okafor", "nurse", "nurse-first-pass-4")

    page.goto(f"{live_server.url}/patients/new/")
    page.fill("#id_mrn", "BRW0001")
    page.fill("#id_first_name", "Perpetua")
    page.fill("#id_last_name", "Wintergreen")
    page.fill("#id_date_of_birth", "1979-04-12")
    page.select_option("#id_sex", "female")
    page.select_option("#id_team-nurse", label="Ada Okafor")
    page.click("main button[type=submit]")
    expect(page.locator("main")).to_contain_text("Registered Perpetua Wintergreen")
    chart_url = page.url
    _sign_out(page)

    login(page, live_server, "rn.okafor", "nurse-first-pass-4")
    page.goto(chart_url)
    expect(page.locator("h1")).to_contain_text("Wintergreen")
    _sign_out(page)

    login(page, live_server, "t_director")
    _add_staff(page, live_server, "dr.lindqvist", "prescriber", "prescriber-pass-77")
    page.goto(chart_url)
    page.select_option("select[name=user]", label="Bram Lindqvist")
    page.click("text=Update care team")
    expect(page.locator("main")).to_contain_text("Added Bram Lindqvist to the care team")
    _sign_out(page)

    # His first sign-in: the password, then every page leads to setting up two-factor sign-in.
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "dr.lindqvist")
    page.fill("#id_password", "prescriber-pass-77")
    page.click("main button[type=submit]")
    page.goto(chart_url)
    assert "/account/two-factor/" in page.url
    page.fill("#id_code", _totp_from_page_secret(page.locator("#totp-secret").inner_text()))
    page.click("text=Turn on two-factor sign-in")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.goto(chart_url)
    expect(page.locator("h1")).to_contain_text("Wintergreen")
