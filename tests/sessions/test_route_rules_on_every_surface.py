"""Issue 12 item 1, through the database and the pages: for every route, what a patient and a nurse read is the
route table's number (core.protocols.routes.ROUTE_RULES).

Per route, a patient is brought to an active plan through the real services (intake, decision, consent, plan),
a dosing visit is booked, and then: the published consent document (and its page), the .ics calendar the patient
downloads, the portal's appointment list and instructions page, and the nurse's pre-dose form all state the
route's minimum stay and fasting rule. Numbers are read back from the text (digits and units), so a hand-written
"two hours" or "2 hours" for a 60-minute route fails.
"""

import datetime as dt
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from ketamine_clinic.assessment import services as assessment
from ketamine_clinic.core.protocols.routes import ROUTE_RULES
from ketamine_clinic.core.protocols.templates import templates_for_route
from ketamine_clinic.demo.assessment import ready_for_planning
from ketamine_clinic.plans import services as plans
from ketamine_clinic.scheduling import services as scheduling

pytestmark = pytest.mark.django_db

ROUTES = sorted(ROUTE_RULES)
UNIT_MIN = {"h": 60, "hour": 60, "hours": 60, "min": 1, "minute": 1, "minutes": 1}
NUMBER = r"(\d+(?:\.\d+)?)\s*(hours?|minutes?|h|min)\b"


def _min(number, unit):
    return float(number) * UNIT_MIN[unit]


def stated(text: str) -> dict[str, set[float]]:
    """The minimum stay, food fast and liquids fast (minutes) every sentence of ``text`` states."""
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))
    return {
        "stay": {_min(n, u) for n, u in re.findall(rf"(?:stay|watched|rest)\b[^.]*?\bfor at least {NUMBER}", text)},
        "food": {_min(n, u) for n, u in re.findall(rf"[Dd]o not eat for at least {NUMBER}", text)},
        "drink": {_min(n, u) for n, u in re.findall(rf"do not drink [a-z ]+? for at least {NUMBER}", text)},
    }


def table(route) -> dict[str, set[float]]:
    rules = ROUTE_RULES[route]
    return {
        "stay": {rules.min_observation_min},
        "food": {rules.fasting.food_hours * 60},
        "drink": {rules.fasting.liquids_min},
    }


def next_weekday(n: int) -> dt.date:
    """A Tuesday to Thursday 1-3 weeks ahead (the clinic's default calendar is open Monday to Friday)."""
    today = timezone.localdate()
    return today + dt.timedelta(days=8 - today.weekday() + 7 * n)


@pytest.fixture
def planned(staff, make_patient):
    """planned(route) -> (patient with a portal login and an active plan for ``route``, booked dosing visit)."""

    def make(route):
        patient = make_patient(
            care_team=[staff["nurse"], staff["prescriber"], staff["therapist"]], with_login=True
        )
        ready_for_planning(staff["prescriber"], patient, route)
        template = templates_for_route(route)[0]
        plan = plans.create_plan(
            staff["prescriber"], patient, protocol_key=template.key, start_date=next_weekday(3)
        )
        start = timezone.make_aware(dt.datetime.combine(next_weekday(0), dt.time(9, 0)))
        appointment = scheduling.book(
            staff["nurse"], patient=patient, kind="dosing", starts_at=start, duration_min=template.chair_minutes,
            plan=plan,
        )
        return patient, appointment

    return make


@pytest.mark.parametrize("route", ROUTES)
def test_consent_document_and_its_page_state_the_table_rules(route, planned, client_as):
    patient, _ = planned(route)
    document = assessment.current_consent_document(route)
    assert stated(document.body) == table(route), document.body
    page = client_as(patient.user).get(reverse("assessment:consent", args=[patient.pk, route]))
    assert page.status_code == 200
    assert stated(page.content.decode()) == table(route)


@pytest.mark.parametrize("route", ROUTES)
def test_calendar_and_portal_reminders_state_the_table_rules(route, planned, client_as):
    patient, appointment = planned(route)
    client = client_as(patient.user)
    response = client.get(reverse("scheduling:ical", args=[patient.pk]))
    assert response.status_code == 200
    (event,) = [e for e in Calendar.from_ical(response.content).walk("VEVENT") if str(e["summary"]) == "Dosing session"]
    assert stated(str(event["description"])) == table(route), str(event["description"])
    assert "drive" in str(event["description"])
    page = client.get(reverse("portal:appointments"))
    assert page.status_code == 200
    assert stated(page.content.decode()) == table(route)


@pytest.mark.parametrize("route", ROUTES)
def test_portal_instructions_page_states_the_table_rules(route, planned, client_as):
    patient, _ = planned(route)
    page = client_as(patient.user).get(reverse("portal:instructions"))  # the patient's own plan's route
    assert page.status_code == 200
    assert stated(page.content.decode()) == table(route)


@pytest.mark.parametrize("route", ROUTES)
def test_pre_dose_form_fasting_label_is_the_table_rule(route):
    from ketamine_clinic.sessions.forms import PreDoseForm
    from ketamine_clinic.sessions.models import DosingSession

    label = PreDoseForm.for_session(DosingSession(route=route, version=0)).fields["fasting_confirmed"].label
    m = re.search(rf"no food {NUMBER}, no [a-z ]+? {NUMBER}", label)
    assert m, label
    rules = ROUTE_RULES[route]
    assert (_min(m[1], m[2]), _min(m[3], m[4])) == (rules.fasting.food_hours * 60, rules.fasting.liquids_min)


def test_sessions_and_verify_read_the_one_clock_rule():
    """Issue 12: "a clinical time cannot be in the future" lives in core.safety.event_time only."""
    from ketamine_clinic.core.safety import event_time
    from ketamine_clinic.sessions import invariants
    from ketamine_clinic.sessions.services import common as sessions  # the services' shared time check

    assert invariants.is_in_future is event_time.is_in_future
    assert event_time.CLOCK_SKEW is event_time.FUTURE_TOLERANCE
    assert sessions.event_time_problem is event_time.event_time_problem
    from ketamine_clinic.outcomes import forms as outcome_forms
    from ketamine_clinic.outcomes import services as outcomes

    assert outcomes.is_in_future is outcome_forms.is_in_future is event_time.is_in_future
