"""The clinic outcomes dashboard's figures match a hand computation on a small synthetic clinic."""

import datetime as dt

import pytest

from ketamine_clinic.followup.queries import dashboard_figures
from ketamine_clinic.patients.models import Diagnosis

pytestmark = pytest.mark.django_db

D = dt.timedelta


@pytest.fixture
def clinic(make_patient, staff, course, now):
    """Six patients; every figure below is worked out by hand in the test's comments."""
    start = now - D(days=100)

    def patient(code, phase):
        p = make_patient(care_team=[staff["prescriber"]], phase=phase)
        if code:
            Diagnosis.objects.create(patient=p, icd10_code=code, description="synthetic", is_primary=True)
        return p

    # P1 depression, IV: baseline 20 -> 8 after induction (response, no remission), relapse (15) at day 40.
    p1 = patient("F33.2", "maintenance")
    course.score(p1, start - D(hours=1), 20)
    course.induction(p1, start)
    course.score(p1, start + D(days=12), 8)
    course.score(p1, start + D(days=40), 15)
    # P2 depression, esketamine: baseline 18, 9 on day 5 (first response), 3 after induction (remission), 6 later.
    p2 = patient("F32.2", "maintenance")
    course.score(p2, start - D(hours=1), 18)
    course.induction(p2, start, route="intranasal")
    course.dose(p2, start + D(days=1), route="intranasal", state="aborted")  # no drug: not a dose
    course.score(p2, start + D(days=5), 9)
    course.score(p2, start + D(days=12), 3)
    course.score(p2, start + D(days=40), 6)
    # P3 PTSD, IV, followed on the PCL-5 (no remission cut-off): 50 -> 30, no response.
    p3 = patient("F43.10", "maintenance")
    course.score(p3, start - D(hours=1), 50, instrument="pcl5")
    course.score(p3, start - D(hours=1), 20)  # a PHQ-9 too: must not be used for a PTSD patient
    course.induction(p3, start)
    course.score(p3, start + D(days=12), 30, instrument="pcl5")
    course.score(p3, start + D(days=12), 2)
    # P4 anxiety, IV, GAD-7: 16 -> 4 (response and remission), 5 later.
    p4 = patient("F41.1", "discharged")
    course.score(p4, start - D(hours=1), 16, instrument="gad7")
    course.induction(p4, start)
    course.score(p4, start + D(days=12), 4, instrument="gad7")
    course.score(p4, start + D(days=40), 5, instrument="gad7")
    # P5 depression, IV, only 3 doses so far: responded on day 3 but is not evaluable "after induction".
    p5 = patient("F33.1", "induction")
    course.score(p5, start - D(hours=1), 20)
    for d in (0, 2, 4):
        course.dose(p5, start + D(days=d))
    course.score(p5, start + D(days=3), 9)
    # P6 screening, nothing else.
    patient(None, "screening")

    # Safety: 2 side effects and 1 alerting vitals reading on dosed sessions; 1 side effect on the aborted one.
    from ketamine_clinic.sessions.models import DosingSession, SideEffect, VitalsReading

    s1, s2 = DosingSession.objects.filter(patient=p1).order_by("scheduled_for")[:2]
    aborted = DosingSession.objects.get(patient=p2, state="aborted")
    for i, session in enumerate((s1, s2, aborted)):
        SideEffect.objects.create(
            session=session,
            entered_by=staff["nurse"],
            idempotency_key=f"se{i}",
            onset_at=session.scheduled_for,
            kind="nausea",
            severity="mild",
        )
    VitalsReading.objects.create(
        session=s1,
        entered_by=staff["nurse"],
        idempotency_key="v1",
        taken_at=s1.scheduled_for,
        sbp=182,
        dbp=100,
        alerts=["Systolic BP 182 mmHg"],
    )
    VitalsReading.objects.create(
        session=s1,
        entered_by=staff["nurse"],
        idempotency_key="v2",
        taken_at=s1.scheduled_for,
        sbp=120,
        dbp=80,
    )
    return [p1, p2, p3, p4, p5]


def test_figures_match_hand_computation(clinic, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):  # aggregate queries: the count does not grow with patients
        f = dashboard_figures()
    assert dict(f["phases"]) == {"Screening": 1, "Induction": 1, "Maintenance": 3, "Discharged": 1}
    # Evaluable after induction: P1-P4. Responders P1, P2, P4 = 3/4. Remission is undefined on the PCL-5,
    # so P3 leaves the denominator: P2, P4 remitted of P1, P2, P4 = 2/3.
    assert f["overall"] == {
        "n": 4,
        "responders": 3,
        "response_rate": 75.0,
        "remission_n": 3,
        "remitters": 2,
        "remission_rate": 66.7,
    }
    by_route = {r["group"]: r for r in f["by_route"]}
    assert (by_route["iv"]["n"], by_route["iv"]["responders"], by_route["iv"]["response_rate"]) == (
        3,
        2,
        66.7,
    )
    assert (by_route["iv"]["remission_n"], by_route["iv"]["remitters"], by_route["iv"]["remission_rate"]) == (
        2,
        1,
        50.0,
    )
    assert (by_route["intranasal"]["n"], by_route["intranasal"]["response_rate"]) == (1, 100.0)
    by_condition = {r["group"]: r for r in f["by_condition"]}
    assert set(by_condition) == {"Depression", "PTSD", "Anxiety"}
    assert (by_condition["Depression"]["n"], by_condition["Depression"]["response_rate"]) == (2, 100.0)
    assert by_condition["Depression"]["remission_rate"] == 50.0
    assert (by_condition["PTSD"]["response_rate"], by_condition["PTSD"]["remission_rate"]) == (0.0, None)
    assert by_condition["Anxiety"]["remission_rate"] == 100.0
    # Ever responded: P1 (day 12), P2 (day 5), P4 (day 12), P5 (day 3): mean 8.0 days from the first dose.
    assert f["responders_ever"] == 4
    # ... of P1-P5, who each have a baseline and a later score: its own denominator, shown beside it.
    assert (f["followed_since_first_dose"], f["ever_response_rate"]) == (5, 80.0)
    assert f["mean_days_to_response"] == pytest.approx(8.0, abs=0.05)
    # Durability: only P1 lost response (day 12 -> day 40 = 28 days); 3 still responding.
    assert (f["relapsed"], f["sustained"]) == (1, 3)
    assert f["mean_days_response_to_relapse"] == pytest.approx(28.0, abs=0.05)
    # Safety per session: 27 dosed sessions (4 x 6 + 3; the aborted one excluded); 2 side effects, 1 alert.
    assert f["sessions"] == 27
    assert (f["adverse_events"], f["adverse_events_per_100_sessions"]) == (2, 7.4)
    assert (f["alerts"], f["alerts_per_100_sessions"]) == (1, 3.7)


def test_dashboard_page_for_director_and_prescriber_only(clinic, staff, client_as):
    page = client_as(staff["director"]).get("/followup/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="response-rate">3 / 4 (75.0%)' in html
    assert html.count("<svg") >= 3  # phases, by route, by condition
    assert client_as(staff["prescriber"]).get("/followup/dashboard/").status_code == 200
    for role in ("nurse", "therapist", "front_desk"):
        assert client_as(staff[role]).get("/followup/dashboard/").status_code == 403, role
    api = client_as(staff["director"]).get("/api/followup/dashboard").json()
    assert api["overall"]["responders"] == 3


def test_empty_clinic_has_no_rates_rather_than_zero(db):
    f = dashboard_figures()
    assert f["overall"]["n"] == 0 and f["overall"]["response_rate"] is None
    assert f["mean_days_to_response"] is None and f["by_route"] == []
