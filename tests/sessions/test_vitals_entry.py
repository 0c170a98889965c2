"""Entering vitals on the flowsheet: saved at once, alerts raised, retries never duplicate, bad values refused."""

from django.urls import reverse

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.sessions import services
from ketamine_clinic.sessions.models import VitalsReading


def post_vitals(client, session, key, **values):
    return client.post(
        reverse("sessions:add_vitals", args=[session.pk]),
        {"idempotency_key": key, **values},
        HTTP_HX_REQUEST="true",
    )


def test_reading_saved_with_alert_and_audited(staff, client_as, iv_session, helpers):
    helpers.start_dosing(iv_session, staff["nurse"])
    response = post_vitals(
        client_as(staff["nurse"]), iv_session, "r1", sbp=184, dbp=100, hr=96, spo2=97, rr=16
    )
    assert response.status_code == 200
    reading = VitalsReading.objects.get(session=iv_session, idempotency_key="r1")
    assert reading.sbp == 184 and reading.alerts == ["Systolic BP 184 mmHg (alert: > 180)"]
    body = response.content.decode()
    assert 'id="active-alerts"' in body and "Systolic BP 184" in body
    assert AuditEvent.objects.filter(
        action="create", object_type="dosing.VitalsReading", object_id=str(reading.pk)
    ).exists()


def test_retried_submission_does_not_duplicate(staff, client_as, iv_session, helpers):
    helpers.start_dosing(iv_session, staff["nurse"])
    client = client_as(staff["nurse"])
    for _ in range(3):
        assert (
            post_vitals(client, iv_session, "same-key", sbp=130, dbp=80, hr=80, spo2=98, rr=14).status_code
            == 200
        )
    assert VitalsReading.objects.filter(session=iv_session, is_baseline=False).count() == 1


def test_implausible_values_rerender_with_field_errors_and_save_nothing(
    staff, client_as, iv_session, helpers
):
    helpers.start_dosing(iv_session, staff["nurse"])
    before = VitalsReading.objects.count()
    response = client_as(staff["nurse"]).post(
        reverse("sessions:add_vitals", args=[iv_session.pk]),
        {"idempotency_key": "bad", "sbp": "80", "dbp": "120", "hr": "999"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "less than or equal to 250" in body
    assert VitalsReading.objects.count() == before
    response = client_as(staff["nurse"]).post(
        reverse("sessions:add_vitals", args=[iv_session.pk]),
        {"idempotency_key": "bad2", "sbp": "80", "dbp": "120"},
    )
    assert response.status_code == 400 and "lower than systolic" in response.content.decode()
    assert VitalsReading.objects.count() == before


def test_alert_acknowledged_leaves_active_list(staff, client_as, iv_session, helpers):
    helpers.start_dosing(iv_session, staff["nurse"])
    reading, _ = services.record_reading(
        iv_session, user=staff["nurse"], idempotency_key="x", values={"spo2": 89, "hr": 80}
    )
    assert services.active_alerts(iv_session) == [reading]
    client_as(staff["nurse"]).post(reverse("sessions:acknowledge", args=[iv_session.pk, reading.pk]))
    reading.refresh_from_db()
    assert reading.alert_acknowledged_by == staff["nurse"] and services.active_alerts(iv_session) == []


def test_next_due_follows_iv_schedule(staff, iv_session, helpers):
    helpers.start_dosing(iv_session, staff["nurse"])
    due = services.next_due(iv_session)
    assert (due - iv_session.dosing_started_at).total_seconds() == 600


def test_closed_session_takes_no_readings(staff, client_as, iv_session):
    services.transition(iv_session, "aborted", user=staff["nurse"], version=1, reason="No show")
    response = post_vitals(client_as(staff["nurse"]), iv_session, "late", sbp=120, dbp=80)
    assert "takes no new entries" in response.content.decode()
    assert not VitalsReading.objects.filter(session=iv_session).exists()


def test_live_chart_fragment_is_svg(staff, client_as, iv_session, helpers):
    helpers.start_dosing(iv_session, staff["nurse"])
    services.record_reading(
        iv_session, user=staff["nurse"], idempotency_key="c1", values={"sbp": 190, "dbp": 100, "hr": 90}
    )
    body = (
        client_as(staff["nurse"]).get(reverse("sessions:vitals_chart", args=[iv_session.pk])).content.decode()
    )
    assert "<svg" in body and "<polyline" in body and 'r="5"' in body  # alert reading drawn larger


def test_late_entry_time_is_kept_and_future_refused(staff, client_as, iv_session, helpers, clinic_clock):
    import datetime as dt

    clinic_clock.move_to("2026-12-01T10:00")
    helpers.start_dosing(iv_session, staff["nurse"], at=clinic_clock.local("2026-12-01T09:30"))
    client = client_as(staff["nurse"])
    r = post_vitals(client, iv_session, "late-1", sbp=130, dbp=80, taken_time="09:53")  # 7 minutes ago
    assert r.status_code == 200
    saved = VitalsReading.objects.get(idempotency_key="late-1").taken_at
    assert saved == clinic_clock.local("2026-12-01T09:53")
    r = post_vitals(client, iv_session, "late-2", sbp=130, dbp=80, taken_time="10:30")
    assert "That time is in the future." in r.content.decode()
    assert not VitalsReading.objects.filter(idempotency_key="late-2").exists()
    r = post_vitals(client, iv_session, "late-3", sbp=130, dbp=80, taken_time="07:59")  # 2 h 1 min ago
    assert "Readings more than 2 hours old are charted as an observation instead." in r.content.decode()
    assert not VitalsReading.objects.filter(idempotency_key="late-3").exists()
    assert clinic_clock.now() - saved < dt.timedelta(minutes=8)


def test_a_reading_from_just_before_midnight_entered_just_after_it_is_kept(
    staff, client_as, iv_session, helpers, clinic_clock
):
    clinic_clock.move_to("2026-12-01T23:50")
    helpers.start_dosing(iv_session, staff["nurse"], at=clinic_clock.local("2026-12-01T23:30"))
    clinic_clock.move_to("2026-12-02T00:03")
    r = post_vitals(client_as(staff["nurse"]), iv_session, "night-1", sbp=130, dbp=80, taken_time="23:56")
    assert r.status_code == 200 and "in the future" not in r.content.decode()
    assert VitalsReading.objects.get(idempotency_key="night-1").taken_at == clinic_clock.local("2026-12-01T23:56")
