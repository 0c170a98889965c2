"""A prescriber accepts a booster suggestion (booking a dosing appointment) or declines it with a reason."""

import datetime as dt

import pytest
from django.utils import timezone

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.followup import services
from ketamine_clinic.followup.models import BoosterSuggestion
from ketamine_clinic.scheduling.models import Appointment

pytestmark = pytest.mark.django_db


def open_day(now, days):
    """09:00 clinic time ``days`` ahead, moved on to Monday from a weekend (bookings need an open clinic day)."""
    day = timezone.localtime(now).date() + dt.timedelta(days=days)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))


@pytest.fixture
def fading(make_patient, staff, course, now):
    """Induction 60 days ago, responded (20 -> 4), now back to 14 (above the threshold of 10)."""
    patient = make_patient(
        care_team=[staff["prescriber"], staff["nurse"], staff["therapist"]], phase="maintenance"
    )
    start = now - dt.timedelta(days=60)
    course.score(patient, start - dt.timedelta(hours=1), 20)
    course.induction(patient, start)
    course.score(patient, start + dt.timedelta(days=12), 4)
    course.score(patient, now - dt.timedelta(days=1), 14)
    # A booster is a dosing visit: scheduling books it only with current eligibility, consent and an active plan.
    from ketamine_clinic.demo.assessment import ready_for_planning
    from ketamine_clinic.plans import services as plans

    ready_for_planning(staff["prescriber"], patient, "iv")
    plans.create_plan(
        staff["prescriber"], patient, protocol_key="iv_racemic_standard", start_date=timezone.localdate(start)
    )
    return patient


def test_fading_response_raises_one_open_booster_suggestion_with_reason(fading, staff):
    s = services.refresh_suggestion(fading, actor=staff["nurse"])
    assert s.kind == BoosterSuggestion.Kind.BOOSTER and s.is_open
    assert "back above the response threshold of 10" in s.reason and "lost 62%" in s.reason
    assert (s.baseline, s.nadir, s.current) == (20, 4, 14)
    # Re-running with the same data keeps the same suggestion rather than piling up duplicates.
    assert services.refresh_suggestion(fading) == s
    assert BoosterSuggestion.objects.filter(patient=fading).count() == 1
    assert AuditEvent.objects.filter(action="create", object_type="followup.BoosterSuggestion").count() == 1


def test_prescriber_accepts_and_a_dosing_appointment_is_booked(fading, staff, client_as, now):
    s = services.refresh_suggestion(fading)
    when = open_day(now, 3)
    response = client_as(staff["prescriber"]).post(
        f"/followup/suggestion/{s.pk}/accept/",
        {
            "starts_at": when.strftime("%Y-%m-%dT%H:%M"),
            "duration_min": "120",
            "note": "Book with usual chair",
        },
    )
    assert response.status_code == 302
    s.refresh_from_db()
    assert s.status == "accepted" and s.decided_by == staff["prescriber"]
    appt = s.appointment
    assert appt.kind == Appointment.Kind.DOSING and appt.status == Appointment.Status.BOOKED
    assert appt.patient == fading and appt.duration_min == 120
    assert AuditEvent.objects.filter(
        action="create", object_type="scheduling.Appointment", object_id=str(appt.pk)
    ).exists()
    decision = AuditEvent.objects.get(
        action="update", object_type="followup.BoosterSuggestion", object_id=str(s.pk)
    )
    assert decision.detail["status"] == "accepted" and decision.user == staff["prescriber"]


def test_accepting_needs_a_future_time(fading, staff, client_as, now):
    s = services.refresh_suggestion(fading)
    past = (now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client_as(staff["prescriber"]).post(
        f"/followup/suggestion/{s.pk}/accept/", {"starts_at": past, "duration_min": "120"}
    )
    assert response.status_code == 400
    assert "must be booked in the future" in response.content.decode()
    s.refresh_from_db()
    assert s.is_open and not Appointment.objects.filter(patient=fading).exists()


def test_decline_needs_a_reason_and_is_audited(fading, staff, client_as):
    s = services.refresh_suggestion(fading)
    client = client_as(staff["prescriber"])
    response = client.post(f"/followup/suggestion/{s.pk}/decline/", {"reason": "  "})
    assert response.status_code == 400
    assert "Give the reason for declining" in response.content.decode()
    s.refresh_from_db()
    assert s.is_open
    response = client.post(
        f"/followup/suggestion/{s.pk}/decline/", {"reason": "Patient travelling; review in 2 weeks"}
    )
    assert response.status_code == 302
    s.refresh_from_db()
    assert s.status == "declined" and s.decision_note == "Patient travelling; review in 2 weeks"
    event = AuditEvent.objects.get(
        action="update", object_type="followup.BoosterSuggestion", object_id=str(s.pk)
    )
    assert event.detail == {"status": "declined", "reason": "Patient travelling; review in 2 weeks"}
    # The same finding is not raised again after a decline; a new score would be.
    assert services.refresh_suggestion(fading) is None
    # A decided suggestion cannot be decided twice.
    response = client.post(
        f"/followup/suggestion/{s.pk}/accept/", {"starts_at": "2099-01-01T09:00", "duration_min": "60"}
    )
    assert response.status_code == 400 and "already declined" in response.content.decode()


def test_only_prescribers_on_the_care_team_decide(fading, staff, client_as):
    s = services.refresh_suggestion(fading)
    data = {"reason": "no"}
    assert client_as(staff["nurse"]).post(f"/followup/suggestion/{s.pk}/decline/", data).status_code == 403
    assert (
        client_as(staff["therapist"]).post(f"/followup/suggestion/{s.pk}/decline/", data).status_code == 403
    )
    assert (
        client_as(staff["other_prescriber"]).post(f"/followup/suggestion/{s.pk}/decline/", data).status_code
        == 404
    )
    s.refresh_from_db()
    assert s.is_open


def test_non_responder_gets_review_and_accepting_needs_a_note(make_patient, staff, course, now, client_as):
    patient = make_patient(care_team=[staff["prescriber"]], phase="induction")
    start = now - dt.timedelta(days=20)
    course.score(patient, start - dt.timedelta(hours=1), 22)
    course.induction(patient, start)
    course.score(patient, start + dt.timedelta(days=12), 17)
    s = services.refresh_suggestion(patient)
    assert s.kind == BoosterSuggestion.Kind.REVIEW and "No response after 6 doses" in s.reason
    client = client_as(staff["prescriber"])
    response = client.post(f"/followup/suggestion/{s.pk}/accept/", {"duration_min": "120", "note": ""})
    assert response.status_code == 400 and "Write what the review decided" in response.content.decode()
    response = client.post(
        f"/followup/suggestion/{s.pk}/accept/", {"duration_min": "120", "note": "Switch to esketamine"}
    )
    assert response.status_code == 302
    s.refresh_from_db()
    assert s.status == "accepted" and s.appointment is None


def test_suggestion_superseded_when_response_recovers(fading, course, now):
    s = services.refresh_suggestion(fading)
    course.dose(fading, now - dt.timedelta(hours=20))
    course.score(fading, now - dt.timedelta(hours=2), 5)
    assert services.refresh_suggestion(fading) is None
    s.refresh_from_db()
    assert s.status == "superseded" and "no longer propose" in s.decision_note


def test_chart_tab_shows_reason_and_decision_forms_to_prescriber_only(fading, staff, client_as):
    services.refresh_suggestion(fading)
    page = client_as(staff["prescriber"]).get(f"/followup/patient/{fading.pk}/").content.decode()
    assert "Response fading" in page and "Accept and book booster" in page
    page = client_as(staff["nurse"]).get(f"/followup/patient/{fading.pk}/").content.decode()
    assert "Response fading" in page and "Accept and book booster" not in page


@pytest.mark.django_db(transaction=True)
def test_new_score_refreshes_suggestion_automatically(make_patient, staff, course, now):
    patient = make_patient(care_team=[staff["prescriber"]], phase="maintenance")
    start = now - dt.timedelta(days=60)
    course.score(patient, start - dt.timedelta(hours=1), 20)
    course.induction(patient, start)
    course.score(patient, start + dt.timedelta(days=12), 4)
    assert not BoosterSuggestion.objects.exists()  # responding: nothing to decide
    course.score(patient, now - dt.timedelta(hours=1), 15)  # saved and committed: the rules run
    s = BoosterSuggestion.objects.get(patient=patient)
    assert s.kind == "booster" and s.current == 15


def test_booking_follows_scheduling_rules(fading, staff, client_as, now):
    """A booster too close to another booked dose is refused with the scheduling app's message."""
    s = services.refresh_suggestion(fading)
    when = open_day(now, 3)
    Appointment.objects.create(
        patient=fading, kind="dosing", starts_at=when + dt.timedelta(hours=5), status="booked"
    )
    response = client_as(staff["prescriber"]).post(
        f"/followup/suggestion/{s.pk}/accept/",
        {"starts_at": when.strftime("%Y-%m-%dT%H:%M"), "duration_min": "120"},
    )
    assert response.status_code == 400
    assert "Doses must be at least" in response.content.decode()
    s.refresh_from_db()
    assert s.is_open


def test_api_accept_and_decline(fading, staff, client_as, now):
    s = services.refresh_suggestion(fading)
    nurse = client_as(staff["nurse"])
    assert (
        nurse.post(
            f"/api/followup/suggestions/{s.pk}/decline", {"reason": "x"}, content_type="application/json"
        ).status_code
        == 403
    )
    listed = nurse.get("/api/followup/suggestions").json()
    assert [row["id"] for row in listed] == [s.pk] and listed[0]["kind"] == "booster"
    api = client_as(staff["prescriber"])
    bad = api.post(
        f"/api/followup/suggestions/{s.pk}/decline", {"reason": ""}, content_type="application/json"
    )
    assert bad.status_code == 422 and "reason" in bad.json()["detail"]
    when = open_day(now, 4).isoformat()
    ok = api.post(
        f"/api/followup/suggestions/{s.pk}/accept", {"starts_at": when}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["status"] == "accepted" and ok.json()["appointment_id"]
    again = api.post(
        f"/api/followup/suggestions/{s.pk}/decline", {"reason": "late"}, content_type="application/json"
    )
    assert again.status_code == 422
