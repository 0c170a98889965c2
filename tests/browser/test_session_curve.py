"""The flowsheet's predicted curve follows the pump through the real pages: once dosing starts it is drawn from
the record; the nurse halves the rate and the curve is fetched again (new URL) with a lower peak; the end of
dosing with the pump's volume infused draws the delivered dose; in monitoring the discharge hint is shown."""

import pytest
from playwright.sync_api import expect
from test_iv_session import confirm_dose_on_page, enter_vitals, fill_pre_dose, infusion_day, move  # noqa: F401 (the fixture is used by name)


def _curve(page):
    return page.locator("#prediction #session-curve")


@pytest.mark.django_db(transaction=True)
def test_the_curve_follows_a_charted_rate_change(page, live_server, login, infusion_day, staff):  # noqa: F811

    session = infusion_day
    login(page, live_server, "t_nurse")
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    move(page, "checked_in", "Checked in")
    move(page, "pre_dose_checks", "Pre-dose checks")
    fill_pre_dose(page)
    enter_vitals(page, 124, 78, 72, 98, 14)
    confirm_dose_on_page(page, staff["prescriber"])
    expect(page.locator("#confirmed-dose")).to_contain_text("35.00 mg")
    expect(_curve(page)).to_have_count(0)  # before dosing: no curve of the session's own

    move(page, "dosing", "Dosing")
    curve = _curve(page)
    expect(curve).to_have_attribute("data-given-mg", "35.00")  # still running: the whole bag, projected
    expect(curve.locator("svg polyline.plasma")).to_be_visible()
    first_url = page.locator("#prediction [hx-get]").get_attribute("hx-get")
    first_cmax = float(curve.get_attribute("data-cmax"))
    first_record = curve.get_attribute("data-record")

    iv = page.locator("#intervention-form")
    iv.locator("select[name=kind]").select_option("rate_reduced")
    iv.locator("input[name=new_rate_ml_per_h]").fill("75")
    iv.locator("button[type=submit]").click()
    expect(page.locator("#intervention-list")).to_contain_text("Rate reduced (new rate 75.0 mL/h)")
    # The flowsheet re-rendered the prediction with the record's new stamp: the fragment was fetched again.
    expect(_curve(page)).not_to_have_attribute("data-record", first_record)
    assert page.locator("#prediction [hx-get]").get_attribute("hx-get") != first_url
    expect(page.locator("#curve-basis")).to_contain_text("75 mL/h from")
    assert float(_curve(page).get_attribute("data-cmax")) < first_cmax  # halved almost at once: a lower peak

    # End of dosing with the pump's volume infused: the curve draws the 31.50 mg delivered.
    page.locator("#delivery-monitoring input[name=volume_infused_ml]").fill("90")
    move(page, "monitoring", "Monitoring / observation")
    expect(_curve(page)).to_have_attribute("data-given-mg", "31.50")
    expect(page.locator("#discharge-hint")).to_contain_text("a prediction to check, never a gate")
    expect(page.locator("#discharge-hint")).to_contain_text("Predicted below 50 ng/mL at")
    # A reading back near baseline: the hint is fetched again with the charted recovery in it.
    expect(page.locator("#discharge-hint")).to_contain_text("vitals not yet back within 20% of baseline")
    enter_vitals(page, 126, 79, 72, 98, 14)
    expect(page.locator("#discharge-hint")).to_contain_text("vitals back within 20% of baseline since")
