"""The pregnancy-test step of the pre-dose checks (SPRAVATO PI 8.1; clinic-defined: female patients aged 12-55).

Every other session fixture is a man, so this step was never reached through the services. Here a woman of 40
and, for contrast, a man of 40 and a woman of 65 are booked (every booking rule), their session created from the
appointment and walked on an explicit past timeline: check-in, baseline, pre-dose checks, measures, the dose
confirmed with a second checker from a stock lot. Starting dosing then goes through the pre-dose gate:
no result recorded blocks the dose, a positive test is a hard stop for the nurse, a negative one lets dosing
start, a declined test is a caution that is written into the session's record when dosing starts."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketamine_clinic.sessions import services

pytestmark = pytest.mark.django_db

FORTY = dt.date(1985, 5, 17)
SIXTY_FIVE = dt.date(1960, 5, 17)


@pytest.fixture(autouse=True)
def open_every_day(settings):
    # The sessions are booked in the last hour, whatever the weekday the suite runs on.
    settings.CLINIC_CALENDAR = {"open_weekdays": [0, 1, 2, 3, 4, 5, 6]}


@pytest.fixture
def walked(staff, make_patient, helpers):
    """walked(sex, date_of_birth, pregnancy_test="") -> (session, time to start dosing): an IV session booked
    and walked through the services up to a confirmed, drawn dose; the pre-dose checks saved with the given
    pregnancy result ("" = none recorded)."""
    from ketamine_clinic.demo.assessment import ready_for_planning
    from ketamine_clinic.plans import services as plans
    from ketamine_clinic.scheduling import services as scheduling
    from ketamine_clinic.scheduling.models import Chair

    nurse = staff["nurse"]
    chairs = iter(range(1, 10))

    def make(sex, date_of_birth, pregnancy_test=""):
        at = timezone.now() - dt.timedelta(minutes=30)
        patient = make_patient(
            care_team=[staff["prescriber"], nurse], sex=sex, date_of_birth=date_of_birth, last_name=f"Preg{sex}"
        )
        ready_for_planning(staff["prescriber"], patient, "iv")
        plans.create_plan(
            staff["prescriber"], patient, protocol_key="iv_racemic_standard", start_date=timezone.localdate(at)
        )
        # Each walk books its own chair; a nurse runs one session at a time, so each test walks one session.
        chair = Chair.objects.create(name=f"Preg chair {next(chairs)}", room="Suite P")
        appointment = scheduling.book_session_now(
            nurse, patient, route="iv", chair=chair, staff=nurse, starts_at=at - dt.timedelta(minutes=2)
        )
        session, created = services.session_for_appointment(appointment, user=nurse)
        assert created
        helpers.stock_lot("iv")
        helpers.ready_pre_dose(session, nurse, at=at)  # check-in .. measures at +0..+4 min, no pregnancy result
        if pregnancy_test:
            services.save_pre_dose(
                session, {"pregnancy_test": pregnancy_test}, user=nurse, version=session.version,
                now=at + dt.timedelta(minutes=5),
            )
        helpers.confirm_dose(session, nurse, dose_mg=35, now=at + dt.timedelta(minutes=8))
        return session, at + dt.timedelta(minutes=10)

    return make


def pregnancy_findings(session, at):
    return [(f.level, f.message) for f in services.pre_dose_result(session, at).findings if f.code == "pregnancy"]


def start(session, user, at, **kwargs):
    return services.transition(session, "dosing", user=user, version=session.version, now=at, **kwargs)


def test_no_result_recorded_blocks_the_dose_for_a_woman_of_reproductive_age(walked, staff):
    session, at = walked("female", FORTY)
    assert pregnancy_findings(session, at) == [("missing", "Record the pregnancy test result.")]
    with pytest.raises(ValidationError, match="Record the pregnancy test result"):
        start(session, staff["nurse"], at)
    session.refresh_from_db()
    assert session.state == "pre_dose_checks" and session.dosing_started_at is None


def test_a_positive_test_is_a_hard_stop(walked, staff):
    session, at = walked("female", FORTY, pregnancy_test="positive")
    assert pregnancy_findings(session, at) == [("stop", "Pregnancy test positive.")]
    with pytest.raises(ValidationError, match="Pregnancy test positive"):
        start(session, staff["nurse"], at)
    session.refresh_from_db()
    assert session.state == "pre_dose_checks"


def test_a_negative_test_lets_dosing_start(walked, staff):
    session, at = walked("female", FORTY, pregnancy_test="negative")
    assert pregnancy_findings(session, at) == [("ok", "Pregnancy test negative.")]
    start(session, staff["nurse"], at)
    session.refresh_from_db()
    assert session.state == "dosing" and session.dosing_started_at == at


def test_a_declined_test_is_a_caution_kept_in_the_record(walked, staff):
    from ketamine_clinic.sessions.models import SessionEvent

    session, at = walked("female", FORTY, pregnancy_test="declined")
    assert pregnancy_findings(session, at) == [("caution", "Pregnancy test declined: prescriber to review.")]
    start(session, staff["nurse"], at)
    event = SessionEvent.objects.get(session=session, to_state="dosing")
    assert "Pregnancy test declined: prescriber to review." in event.reason


@pytest.mark.parametrize(
    "sex, born", [("male", FORTY), ("female", SIXTY_FIVE)], ids=["man of 40", "woman of 65"]
)
def test_the_step_does_not_apply_outside_the_clinic_rule(walked, staff, sex, born):
    session, at = walked(sex, born)
    assert pregnancy_findings(session, at) == []
    start(session, staff["nurse"], at)
    session.refresh_from_db()
    assert session.state == "dosing"


def test_the_flowsheet_form_records_the_result(walked, staff, client_as):
    """The pre-dose form on the flowsheet carries the result to the service (and the checklist shows it)."""
    from django.urls import reverse

    session, _at = walked("female", FORTY)
    client = client_as(staff["nurse"])
    response = client.post(
        reverse("sessions:predose", args=[session.pk]),
        {
            "version": session.version, "weight_kg": "70", "fasting_confirmed": "yes", "escort_confirmed": "yes",
            "escort_name": "Sam", "pregnancy_test": "negative",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200, response.content[:500]
    session.refresh_from_db()
    assert session.pregnancy_test == "negative"
    assert "Pregnancy test negative." in response.content.decode()
