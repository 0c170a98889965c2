"""Through the real login page: what a nurse and a patient may and may not see."""

import pytest
from playwright.sync_api import expect


@pytest.fixture
def clinic(staff, make_patient):
    mine = make_patient(care_team=[staff["prescriber"], staff["nurse"]], with_login=True, last_name="Kestrel",
                        allergies="Penicillin (rash)")
    not_mine = make_patient(care_team=[staff["other_nurse"]], with_login=True, last_name="Juniper")
    make_patient(care_team=[staff["prescriber"], staff["nurse"]], last_name="Larkspur")  # hers, not "kest"
    return mine, not_mine


@pytest.mark.django_db(transaction=True)
def test_nurse_sees_her_patients_and_their_chart(page, live_server, login, clinic):
    mine, not_mine = clinic
    login(page, live_server, "t_nurse")
    page.goto(f"{live_server.url}/patients/")
    rows = page.locator("#patient-rows")
    assert "Kestrel" in rows.inner_text() and "Larkspur" in rows.inner_text()
    assert "Juniper" not in rows.inner_text()

    # Live search (HTMX) narrows the list without a page load: typing sends one HTMX request for the rows,
    # the rows are swapped in place (Larkspur leaves, Kestrel stays) and the search is pushed to the URL.
    page.evaluate("window.__no_page_load = true")
    with page.expect_response(lambda r: "/patients/?" in r.url and "q=kest" in r.url) as searched:
        page.fill("#id_q", "kest")
    assert searched.value.status == 200 and searched.value.request.headers.get("hx-request") == "true"
    expect(rows).not_to_contain_text("Larkspur")
    expect(rows).to_contain_text(mine.mrn)
    expect(page).to_have_url(f"{live_server.url}/patients/?q=kest&phase=")
    assert page.evaluate("window.__no_page_load") is True

    page.click("text=Kestrel")
    page.wait_for_url(f"**/patients/{mine.pk}/")
    assert "Penicillin" in page.inner_text(".patient-banner")
    assert page.locator("text=Clinical summary").is_visible()

    response = page.goto(f"{live_server.url}/patients/{not_mine.pk}/")
    assert response.status == 404


@pytest.mark.django_db(transaction=True)
def test_patient_sees_only_their_own_record(page, live_server, login, clinic):
    mine, not_mine = clinic
    login(page, live_server, mine.user.username)
    page.goto(f"{live_server.url}/patients/me/")
    assert mine.mrn in page.inner_text(".patient-banner")
    assert "Care team" not in page.content()
    assert page.goto(f"{live_server.url}/patients/{not_mine.pk}/").status == 404
    assert page.goto(f"{live_server.url}/patients/").status == 403
    assert page.goto(f"{live_server.url}/api/patients/{not_mine.pk}").status == 404
