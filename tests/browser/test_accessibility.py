"""Accessibility (WCAG 2.1 AA) of the key pages of every role, checked with axe-core in Chromium: no serious or
critical violation. (axe-core finds about half of what WCAG asks; the keyboard and focus behaviour that matters
most at the chair is tested in test_flowsheet_tablet.py and test_self_report_errors.py.)"""

import importlib.util
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

_spec = importlib.util.spec_from_file_location(
    "sessions_test_helpers", Path(__file__).resolve().parents[1] / "sessions" / "conftest.py"
)
session_helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(session_helpers)

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
           "resultTypes": ["violations"]}


@pytest.fixture
def world(staff, make_patient):
    import dataclasses

    from django.utils import timezone

    from ketamine_clinic.outcomes import services as outcomes
    from ketamine_clinic.scheduling.models import Chair
    from ketamine_clinic.sessions.models import DosingSession

    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"], staff["therapist"]], with_login=True,
                           sex="male", last_name="Axeworth", phase="induction")
    session_helpers.make_consented_and_eligible(patient, staff["prescriber"])
    session = DosingSession.objects.create(
        patient=patient, route="iv", scheduled_for=timezone.now(), chair=Chair.objects.create(name="Chair 4"),
        dose_rule=dataclasses.asdict(session_helpers.IV_RULE),
    )
    session_helpers.start_dosing(session, staff["nurse"])
    outcomes.record_measure_response(patient=patient, instrument="phq9", answers=[1] * 8 + [2], user=staff["nurse"])
    return patient, session


PAGES = {
    "nurse": ["/", "/patients/", "/sessions/", "/sessions/{session}/", "/outcomes/due/"],
    "prescriber": ["/patients/{patient}/", "/outcomes/patient/{patient}/", "/plans/patient/{patient}/",
                   "/inventory/"],
    "front_desk": ["/", "/patients/new/", "/schedule/day/", "/schedule/patient/{patient}/"],
    "therapist": ["/followup/patient/{patient}/", "/followup/"],
    "director": ["/audit/", "/staff/", "/followup/dashboard/"],
    "patient": ["/portal/", "/outcomes/self-report/phq9/", "/portal/journal/", "/login/"],
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", list(PAGES))
def test_key_pages_have_no_serious_accessibility_violation(page, live_server, login, staff, world, role):
    patient, session = world
    username = patient.user.username if role == "patient" else staff[role].username
    login(page, live_server, username)
    axe = Axe()
    problems = []
    for path in PAGES[role]:
        url = live_server.url + path.format(patient=patient.pk, session=session.pk)
        response = page.goto(url)
        assert response.status == 200, (role, path, response.status)
        page.wait_for_load_state("networkidle")
        results = axe.run(page, options=WCAG_AA)
        for v in results.response["violations"]:
            if v["impact"] in ("serious", "critical"):
                targets = [(n["target"], n["html"][:160], n.get("failureSummary", "")[:200]) for n in v["nodes"]][:3]
                problems.append(f"{path}: {v['id']} ({v['impact']}): {v['help']} at {targets}")
    assert problems == [], "\n" + "\n".join(problems)
