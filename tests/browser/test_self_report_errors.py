"""A patient sends the PHQ-9 with question 9 unanswered, on a tablet: the page comes back with the problem in
view and focused (a summary naming question 9, linked to it), not at the bottom of a page sitting at the top;
what was answered is kept; answering it saves."""

import pytest
from playwright.sync_api import expect


@pytest.mark.django_db(transaction=True)
def test_a_missing_answer_is_brought_into_view_and_focused(page, live_server, login, staff, make_patient):
    from ketamine_clinic.outcomes.models import MeasureResponse

    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]], with_login=True, phase="induction")
    page.set_viewport_size({"width": 768, "height": 1024})
    login(page, live_server, patient.user.username)
    page.goto(f"{live_server.url}/outcomes/self-report/phq9/")
    for number in range(1, 9):
        page.locator(f"#fs-item_{number} input[value='1']").check()
    page.click("main button:has-text('Submit')")

    summary = page.locator("#form-error-summary")
    expect(summary).to_contain_text("Question 9")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(page.locator("#fs-item_1 input[value='1']")).to_be_checked()
    assert not MeasureResponse.objects.filter(patient=patient).exists()

    summary.locator("a", has_text="Question 9").click()
    expect(page.locator("#fs-item_9")).to_be_in_viewport()
    page.locator("#fs-item_9 input[value='0']").check()
    page.click("main button:has-text('Submit')")
    page.wait_for_url("**/self-report/done/**")
    assert MeasureResponse.objects.filter(patient=patient, instrument="phq9").count() == 1
