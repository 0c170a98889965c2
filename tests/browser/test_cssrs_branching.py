"""The C-SSRS screener's branching runs in the browser under the Content-Security-Policy: the script is the
app's own static file (no inline script), questions 3-5 appear only after "yes" to question 2, and answering
"no" again hides them and clears what was ticked. No policy violation is reported on the page."""

import pytest
from playwright.sync_api import expect


@pytest.mark.django_db(transaction=True)
def test_screener_branching_works_under_the_policy(page, live_server, login, staff, make_patient):
    patient = make_patient(care_team=[staff["nurse"]], last_name="Quillon")
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    login(page, live_server, "t_nurse")
    response = page.goto(f"{live_server.url}/outcomes/patient/{patient.pk}/administer/cssrs_screener/")
    assert "script-src 'self'" in response.headers["content-security-policy"]

    follow_up = page.locator("#fs-item_3")
    expect(follow_up).to_be_hidden()
    page.locator("#fs-item_2 input[value='1']").check()
    expect(follow_up).to_be_visible()
    follow_up.locator("input[value='1']").check()
    page.locator("#fs-item_2 input[value='0']").check()
    expect(follow_up).to_be_hidden()
    assert follow_up.locator("input:checked").count() == 0
    assert violations == []
