"""The flowsheet at the chair, on a tablet (768x1024 portrait, 1024x768 landscape) and on the desktop: the strip
(patient, state, time since dose, vitals due) and the vitals entry are on the first screen with the menu folded;
saving vitals keeps what was typed in another section and the page does not jump; an alerting reading shows in
the strip that stays in view, announced as an alert; the sections can be jumped to; touch targets are large.

Set SCREENSHOTS=docs/screenshots to write the README's pictures of the flowsheet at the three sizes."""

import importlib.util
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

_spec = importlib.util.spec_from_file_location(
    "sessions_test_helpers", Path(__file__).resolve().parents[1] / "sessions" / "conftest.py"
)
session_helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(session_helpers)

SIZES = {"tablet-portrait": (768, 1024), "tablet-landscape": (1024, 768), "desktop": (1366, 900)}


@pytest.fixture
def dosing_session(staff, make_patient):
    import dataclasses

    from django.utils import timezone

    from ketamine_clinic.scheduling.models import Chair
    from ketamine_clinic.sessions.models import DosingSession

    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]], sex="male", last_name="Tablet")
    session_helpers.make_consented_and_eligible(patient, staff["prescriber"])
    session = DosingSession.objects.create(
        patient=patient, route="iv", scheduled_for=timezone.now(), chair=Chair.objects.create(name="Chair 3"),
        dose_rule=dataclasses.asdict(session_helpers.IV_RULE),
    )
    return session_helpers.start_dosing(session, staff["nurse"])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", list(SIZES))
def test_the_nurse_charts_vitals_from_the_first_screen(page, live_server, login, staff, dosing_session, size):
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    login(page, live_server, "t_nurse")
    page.goto(f"{live_server.url}/sessions/{dosing_session.pk}/")

    strip = page.locator("#flowsheet-strip")
    expect(strip).to_contain_text("Tablet")
    expect(strip).to_contain_text("Dosing")
    expect(page.locator("#since-dose")).to_contain_text("Dosing for")
    expect(strip).to_contain_text("Vitals due")
    submit = page.locator("#vitals-form button[type=submit]")
    box = submit.bounding_box()
    assert box["y"] + box["height"] <= height, f"vitals entry below the first screen at {size}: {box}"
    if width <= 1100:
        expect(page.locator(".nav-toggle")).to_be_visible()
        expect(page.locator("#main-nav")).to_be_hidden()
    if os.environ.get("SCREENSHOTS"):
        page.screenshot(path=str(Path(os.environ["SCREENSHOTS"]) / f"flowsheet-{size}.png"))

    # A side-effect note typed but not yet saved survives saving vitals, and the page stays where it was.
    note = page.locator("#side_effect-form input[name=note]")
    note.fill("mild nausea, watching")
    page.mouse.wheel(0, 0)
    form = page.locator("#vitals-form")
    for name, value in (("sbp", 186), ("dbp", 104), ("hr", 88), ("spo2", 97), ("rr", 16)):
        form.locator(f"input[name={name}]").fill(str(value))
    before = page.evaluate("window.scrollY")
    submit.click()
    expect(page.locator("#vitals-table tbody tr")).to_have_count(1)
    assert abs(page.evaluate("window.scrollY") - before) < 5
    expect(note).to_have_value("mild nausea, watching")
    # The alert is in the strip, which stays in view, and is announced.
    alert = page.locator("#strip-alerts")
    expect(alert).to_have_text("1 vitals alert")
    expect(alert).to_have_attribute("role", "alert")
    expect(alert).to_be_in_viewport()
    # The next save of another section is not taken for someone else's change (the record version followed).
    page.locator("#side_effect-form button[type=submit]").click()
    expect(page.locator("#side_effect-list")).to_contain_text("mild nausea, watching")
    expect(page.locator("#flowsheet-messages")).not_to_contain_text("changed by someone else")


@pytest.mark.django_db(transaction=True)
def test_sections_can_be_jumped_to_and_targets_are_large(page, live_server, login, staff, dosing_session):
    page.set_viewport_size({"width": 768, "height": 1024})
    login(page, live_server, "t_nurse")
    page.goto(f"{live_server.url}/sessions/{dosing_session.pk}/")
    page.locator(".flowsheet-jump a[href=\"#dose\"]").click()
    expect(page.locator("#dose")).to_be_in_viewport()
    expect(page.locator("#flowsheet-strip")).to_be_in_viewport()  # sticky: still there after the jump
    for selector in ("#state-actions button", ".flowsheet-jump a", "#vitals-form button", ".nav-toggle"):
        for box in [el.bounding_box() for el in page.locator(selector).all() if el.is_visible()]:
            assert box["height"] >= 44, (selector, box)
    page.click(".nav-toggle")
    expect(page.locator("#main-nav")).to_be_visible()
    expect(page.locator(".nav-toggle")).to_have_attribute("aria-expanded", "true")


@pytest.mark.django_db(transaction=True)
def test_vitals_can_be_charted_with_the_keyboard_alone(page, live_server, login, staff, dosing_session):
    """No pointer: Tab reaches the vitals fields in order, typing fills them, Enter saves, and the focus is not
    lost to the top of the page afterwards (the section is swapped in place)."""
    login(page, live_server, "t_nurse")
    page.goto(f"{live_server.url}/sessions/{dosing_session.pk}/")
    presses = 0  # from the top of the page, Tab by Tab to the first vitals field
    while presses < 80 and page.evaluate("document.activeElement.name") != "sbp":
        page.keyboard.press("Tab")
        presses += 1
    assert page.evaluate("document.activeElement.name") == "sbp", "the vitals entry is not reachable by Tab"
    assert presses <= 40, f"{presses} Tabs to reach the vitals: too far down the order"
    order = []
    for value in ("128", "82", "76", "98", "15"):
        order.append(page.evaluate("document.activeElement.name"))
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    assert order == ["sbp", "dbp", "hr", "spo2", "rr"]
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#vitals-table tbody tr")).to_have_count(1)
    expect(page.locator("#vitals-table")).to_contain_text("128/82")
    # Every control on the flowsheet can be reached with Tab: none is taken out of the order.
    assert page.locator(".flowsheet [tabindex='-1']:is(button, input, select, textarea, a)").count() == 0
