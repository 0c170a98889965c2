"""The printable progress report names the protocol as the clinic does and dates a plan from its start."""

import datetime as dt

import pytest

from ketamine_clinic.core.protocols.templates import get_template
from ketamine_clinic.demo.assessment import ready_for_planning
from ketamine_clinic.plans import services as plans


@pytest.mark.django_db
def test_report_shows_protocol_name_and_plan_start(staff, make_patient, client_as):
    patient = make_patient(care_team=[staff["prescriber"]], with_login=True)
    ready_for_planning(staff["prescriber"], patient, "iv")
    start = dt.date(2026, 3, 2)
    plans.create_plan(staff["prescriber"], patient, protocol_key="iv_racemic_standard", start_date=start)
    for user in (staff["prescriber"], patient.user):
        html = client_as(user).get(f"/followup/patient/{patient.pk}/report/").content.decode()
        assert get_template("iv_racemic_standard").name in html
        assert "iv_racemic_standard" not in html
        assert "(from 2026-03-02)" in html
