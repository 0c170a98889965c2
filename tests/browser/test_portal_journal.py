"""A patient completes a due PHQ-9 from the portal, writes a private and a shared journal entry; the therapist
then sees the shared entry and not the private one."""

import pytest
from playwright.sync_api import expect


@pytest.mark.django_db(transaction=True)
def test_patient_phq9_and_journal_sharing_reach_therapist(page, live_server, login, staff, make_patient):
    patient = make_patient(
        care_team=[staff["prescriber"], staff["nurse"], staff["therapist"]],
        with_login=True,
        last_name="Stillwater",
        phase="maintenance",
    )
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the portal is used on mobile

    # 1. The portal home lists the PHQ-9 as due; the patient completes it from there.
    login(page, live_server, patient.user.username)
    page.goto(f"{live_server.url}/portal/")
    page.click("text=Complete the PHQ-9")
    page.wait_for_url("**/outcomes/self-report/phq9/")
    for number, value in enumerate([1, 1, 1, 0, 1, 0, 0, 1, 0], start=1):  # total 5, no item 9
        page.check(f"input[name=item_{number}][value='{value}']")
    page.click("main button[type=submit]")
    page.wait_for_url("**/outcomes/self-report/done/**")
    assert page.inner_text("#score").strip() == "5"
    page.goto(f"{live_server.url}/portal/")
    assert "Complete the PHQ-9" not in page.inner_text("main")

    # 2. A private entry, saved from the form (sharing box left unticked).
    page.goto(f"{live_server.url}/portal/journal/new/")
    page.select_option("select[name=timing]", "before_session")
    page.fill("textarea[name=body]", "PRIVATE: worried about my job, not ready to talk about it")
    page.fill("input[name=mood]", "4")
    page.click("main button[type=submit]")
    page.wait_for_url("**/portal/journal/")
    assert "Entry saved (private to you)" in page.inner_text("main")

    # 3. A second entry, then shared with the therapist from the journal list.
    page.click("text=Write after a session")
    page.fill("textarea[name=body]", "SHARED: felt calm and saw my family differently")
    page.fill("input[name=mood]", "7")
    page.check("input[name=tags][value=insight]")
    page.check("input[name=tags][value=relationships]")
    page.click("main button[type=submit]")
    page.wait_for_url("**/portal/journal/")
    entry = page.locator("article.journal-entry", has_text="SHARED: felt calm")
    entry.locator("button", has_text="Share with my therapist and prescriber").click()
    page.wait_for_url("**/portal/journal/")
    assert (
        "Shared with your care team"
        in page.locator("article.journal-entry", has_text="SHARED: felt calm").inner_text()
    )
    assert "Private" in page.locator("article.journal-entry", has_text="PRIVATE: worried").inner_text()
    # On the phone the top bar's links and "Log out" are folded into the menu.
    expect(page.locator("text=Log out")).to_be_hidden()
    page.click(".nav-toggle")
    page.click("text=Log out")
    page.wait_for_load_state("networkidle")

    # 4. The therapist opens the follow-up tab: the shared entry is there, the private one is not.
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, live_server, "t_therapist")
    page.goto(f"{live_server.url}/followup/patient/{patient.pk}/")
    shared = page.locator("section", has_text="Journal entries shared by the patient")
    text = shared.inner_text()
    assert "SHARED: felt calm and saw my family differently" in text
    assert "Insight" in text and "mood 7/10" in text
    assert "PRIVATE" not in page.content()
