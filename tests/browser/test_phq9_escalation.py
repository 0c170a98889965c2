"""A patient reports thoughts of self-harm on the PHQ-9 in the browser; the prescriber sees the urgent task on
the dashboard, and the Outcomes chart shows the new point on the trajectory."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect


def _open_dashboard(page, live_server):
    """Open the staff dashboard and wait for its urgent-tasks panel, which HTMX loads after the page: the
    panel's own response must be a 200 (no retry: the test database is a file in WAL mode, see conftest)."""
    with page.expect_response(lambda r: "/outcomes/urgent-tasks/panel/" in r.url) as panel:
        page.goto(f"{live_server.url}/")
    assert panel.value.status == 200


@pytest.fixture
def patient_with_history(staff, make_patient):
    from ketamine_clinic.outcomes import services

    patient = make_patient(
        care_team=[staff["prescriber"], staff["nurse"]],
        with_login=True,
        last_name="Larkspur",
        phase="induction",
    )
    # Baseline two weeks ago: PHQ-9 22, no item 9.
    services.record_measure_response(
        patient=patient,
        instrument="phq9",
        answers=[3, 3, 3, 3, 3, 3, 2, 2, 0],
        user=staff["nurse"],
        taken_at=timezone.now() - dt.timedelta(days=14),
    )
    return patient


@pytest.mark.django_db(transaction=True)
def test_patient_item9_reaches_prescriber_and_chart(page, live_server, login, staff, patient_with_history):
    patient = patient_with_history

    # 1. The patient fills in the PHQ-9: "several days" on items 1-8 except two, "more than half the days" on 9.
    login(page, live_server, patient.user.username)
    page.goto(f"{live_server.url}/outcomes/self-report/phq9/")
    answers = [1, 1, 1, 1, 1, 1, 0, 0, 2]  # total 8
    for number, value in enumerate(answers, start=1):
        page.check(f"input[name=item_{number}][value='{value}']")
    page.click("main button[type=submit]")
    page.wait_for_url("**/outcomes/self-report/done/**")
    assert "Your care team has been alerted" in page.inner_text("main")
    assert "988" in page.inner_text(".crisis")
    assert page.inner_text("#score").strip() == "8"

    page.click("text=Log out")
    page.wait_for_load_state("networkidle")

    # 2. The prescriber's dashboard shows the urgent task (HTMX panel).
    login(page, live_server, "t_prescriber")
    task = page.locator(".urgent-task", has_text="Larkspur")
    _open_dashboard(page, live_server)
    expect(task).to_be_visible()
    assert "PHQ-9 item 9" in task.inner_text() and "item 9 = 2" in task.inner_text()

    # 3. The chart shows the new point after the baseline, and the open task banner.
    task.locator("a", has_text="Larkspur").click()
    page.wait_for_url(f"**/outcomes/patient/{patient.pk}/")
    points = page.locator("svg[data-instrument=phq9] circle.point")
    assert points.count() == 2
    assert [points.nth(i).get_attribute("data-total") for i in range(2)] == ["22", "8"]
    assert page.locator(".urgent-task").first.is_visible()

    # 4. Acknowledge with a documented action; the task leaves the dashboard.
    page.click("text=Acknowledge with action")
    page.click("main button[type=submit]")  # empty action: refused with a message
    assert "This field is required" in page.inner_text("main")
    page.fill(
        "textarea[name=action_taken]", "Called patient, C-SSRS repeated (low risk), safety plan reviewed"
    )
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/outcomes/patient/{patient.pk}/")
    _open_dashboard(page, live_server)
    expect(page.locator("text=No open urgent tasks for you")).to_be_visible()
    expect(page.locator(".urgent-task", has_text="Larkspur")).to_have_count(0)


@pytest.mark.django_db(transaction=True)
def test_cssrs_self_report_shows_follow_up_questions_only_after_yes(
    page, live_server, login, patient_with_history
):
    login(page, live_server, patient_with_history.user.username)
    page.goto(f"{live_server.url}/outcomes/self-report/cssrs_screener/")
    assert not page.locator("#fs-item_3").is_visible() and not page.locator("#fs-item_7").is_visible()
    page.check("input[name=item_1][value='1']")
    page.check("input[name=item_2][value='1']")
    assert page.locator("#fs-item_3").is_visible() and page.locator("#fs-item_5").is_visible()
    for n in (3, 4, 5, 6):
        page.check(f"input[name=item_{n}][value='0']")
    assert not page.locator("#fs-item_7").is_visible()
    page.click("main button[type=submit]")
    page.wait_for_url("**/outcomes/self-report/done/**")
    assert page.inner_text("#score").strip() == "low"
    assert "Your care team has been alerted" in page.inner_text("main")
