"""A prescriber sees the titration suggestion on the plan page and accepts it: a new plan version at 0.75 mg/kg."""

import dataclasses
import datetime as dt
from decimal import Decimal

from playwright.sync_api import expect


def test_prescriber_accepts_the_titration_suggestion(page, live_server, login, staff, make_patient):
    from django.utils import timezone

    from ketamine_clinic.demo.assessment import ready_for_planning
    from ketamine_clinic.outcomes.models import MeasureResponse
    from ketamine_clinic.plans import services
    from ketamine_clinic.sessions.models import DosingSession

    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]])
    ready_for_planning(staff["prescriber"], patient, "iv")
    plan = services.create_plan(
        staff["prescriber"],
        patient,
        protocol_key="iv_racemic_standard",
        start_date=timezone.localdate() - dt.timedelta(days=6),
    )
    now = timezone.now()
    MeasureResponse.objects.create(
        patient=patient, instrument="phq9", total=14, answers=[], taken_at=now - dt.timedelta(days=7)
    )
    for days in (5, 3):
        DosingSession.objects.create(
            patient=patient,
            plan=plan,
            route="iv",
            state="discharged",
            scheduled_for=now - dt.timedelta(days=days),
            dose_rule=dataclasses.asdict(plan.dose_rule()),
        )
    MeasureResponse.objects.create(
        patient=patient, instrument="phq9", total=13, answers=[], taken_at=now - dt.timedelta(days=1)
    )

    login(page, live_server, "t_prescriber")
    page.goto(f"{live_server.url}/plans/patient/{patient.pk}/")
    expect(page.locator("#titration-reason")).to_contain_text("PHQ-9 14 -> 13 (7% reduction")
    expect(page.locator("#titration-disclaimer")).to_contain_text("the prescriber decides")
    expect(page.locator("#titration-accept-form textarea")).to_have_value(
        "Titration per protocol: " + page.locator("#titration-reason").inner_text()
    )
    page.click("#titration-accept")
    page.wait_for_url(f"**/plans/patient/{patient.pk}/")
    expect(page.locator("#plan-dose")).to_contain_text("0.75 mg/kg")
    expect(page.locator("#titration-decisions")).to_contain_text("Accepted (version 2)")
    plan.refresh_from_db()
    assert plan.version == 2 and plan.dose_amount == Decimal("0.75")
