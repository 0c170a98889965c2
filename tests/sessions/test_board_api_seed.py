"""Today's board and panel, the sessions API (status codes, idempotency, 409/422), and the demo seed."""

import datetime as dt
import json

from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.sessions import services
from ketamine_clinic.sessions.models import DosingSession, VitalsReading


def test_board_shows_chair_state_due_and_alerts(staff, client_as, iv_session, helpers):
    helpers.start_dosing(iv_session, staff["nurse"])
    services.record_reading(
        iv_session, user=staff["nurse"], idempotency_key="b1", values={"sbp": 190, "dbp": 100}
    )
    page = client_as(staff["nurse"]).get(reverse("sessions:board")).content.decode()
    assert "Chair 1" in page and "Dosing" in page and "1 alert" in page and iv_session.patient.mrn in page
    panel = client_as(staff["prescriber"]).get(reverse("sessions:board_panel"))
    assert (
        panel.status_code == 200
        and "<html" not in panel.content.decode()
        and "Chair 1" in panel.content.decode()
    )


def test_board_hides_other_teams_patients_and_refuses_front_desk_and_patients(
    staff, client_as, iv_session, make_patient
):
    assert (
        iv_session.patient.mrn
        not in client_as(staff["other_nurse"]).get(reverse("sessions:board")).content.decode()
    )
    assert client_as(staff["front_desk"]).get(reverse("sessions:board")).status_code == 403
    pat = make_patient(with_login=True)
    assert client_as(pat.user).get(reverse("sessions:board")).status_code == 403


def test_chart_tab_lists_history(staff, client_as, iv_session, helpers):
    helpers.start_dosing(iv_session, staff["nurse"])
    page = (
        client_as(staff["therapist"])
        .get(reverse("sessions:chart", args=[iv_session.patient_id]))
        .content.decode()
    )
    assert "35.00 mg" in page and "Dosing" in page and "New session" not in page  # therapist reads only


def test_create_session_from_chart(staff, client_as, patient):
    # The happy path (a booked chair and nurse) is in test_new_session_goes_through_booking.py; a patient with
    # no eligibility or plan, and no chair, gets no session.
    client = client_as(staff["nurse"])
    r = client.post(
        reverse("sessions:create", args=[patient.pk]), {"route": "iv", "scheduled_for": "2026-03-02T09:00"}
    )
    assert r.status_code == 400
    assert DosingSession.objects.filter(patient=patient, route="iv").count() == 0
    r = client.post(
        reverse("sessions:create", args=[patient.pk]), {"route": "teleport", "scheduled_for": "x"}
    )
    assert r.status_code == 400


def api_post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_api_readings_idempotent_and_validated(staff, client_as, iv_session, helpers):
    helpers.start_dosing(iv_session, staff["nurse"])
    client = client_as(staff["nurse"])
    url = f"/api/sessions/{iv_session.pk}/readings"
    first = api_post(client, url, {"idempotency_key": "api-1", "sbp": 120, "dbp": 80, "hr": 115})
    assert first.status_code == 201 and first.json()["alerts"] == ["Heart rate 115 /min (alert: > 110)"]
    again = api_post(client, url, {"idempotency_key": "api-1", "sbp": 120, "dbp": 80, "hr": 115})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    bad = api_post(client, url, {"idempotency_key": "api-2", "sbp": 400, "dbp": 80})
    assert bad.status_code == 422 and "sbp" in bad.json()["detail"]
    assert api_post(client, url, {"sbp": 120}).status_code == 422
    assert VitalsReading.objects.filter(session=iv_session, is_baseline=False).count() == 1
    detail = client.get(f"/api/sessions/{iv_session.pk}").json()
    assert detail["state"] == "dosing" and len(detail["readings"]) == 2


def test_api_transitions_conflict_and_illegal(staff, client_as, iv_session):
    client = client_as(staff["nurse"])
    url = f"/api/sessions/{iv_session.pk}/transitions"
    ok = api_post(client, url, {"target": "checked_in", "version": 1})
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = api_post(client, url, {"target": "pre_dose_checks", "version": 1})
    assert stale.status_code == 409 and "changed by someone else" in stale.json()["detail"]
    illegal = api_post(client, url, {"target": "discharged", "version": 2})
    assert illegal.status_code == 422
    unknown = api_post(client, url, {"target": "flying", "version": 2})
    assert unknown.status_code == 422 and "Unknown session state" in json.dumps(unknown.json())
    # A body without target and version is malformed whoever sends it: the API checks login, then the schema
    # (422 naming the missing fields; the schema is public at /api/openapi.json), then the permission layer.
    empty = client_as(staff["therapist"]).post(url, "{}", content_type="application/json")
    assert empty.status_code == 422
    assert [(e["loc"][-1], e["msg"]) for e in empty.json()["detail"]] == [
        ("target", "Field required"),
        ("version", "Field required"),
    ]
    # A well-formed request from the therapist (on the care team, reads the session) is refused by permission.
    forbidden = api_post(client_as(staff["therapist"]), url, {"target": "pre_dose_checks", "version": 2})
    assert forbidden.status_code == 403
    assert forbidden.json()["detail"] == "Your role may not write clinical for this patient."
    iv_session.refresh_from_db()
    assert (iv_session.state, iv_session.version) == ("checked_in", 2)
    assert (
        api_post(
            client_as(staff["other_nurse"]), url, {"target": "pre_dose_checks", "version": 2}
        ).status_code
        == 404
    )


def test_api_today_lists_visible_sessions(staff, client_as, iv_session):
    rows = client_as(staff["nurse"]).get("/api/sessions/today").json()
    assert [r["id"] for r in rows] == [iv_session.pk]
    assert client_as(staff["other_nurse"]).get("/api/sessions/today").json() == []


def test_seed_creates_completed_sessions_with_alerts_and_is_idempotent(demo_chain):
    from ketamine_clinic.demo import sessions as sessions_seed
    from ketamine_clinic.invariants import all_violations

    clinic = demo_chain(patients=28, through="sessions")
    assert not sessions_seed.SKIPPED  # every booked past visit was given through the services
    assert all_violations() == []  # the seed writes only what the services allow: verify passes
    counts = (DosingSession.objects.count(), VitalsReading.objects.count())
    assert DosingSession.objects.filter(state="discharged", note__signed_at__isnull=False).count() >= 20
    assert VitalsReading.objects.exclude(alerts=[]).exists()
    assert DosingSession.objects.filter(interventions__kind="antiemetic").exists()
    # One past infusion was stopped early: less than the confirmed dose delivered, read from the pump.
    stopped = DosingSession.objects.get(state="stopped_early")
    assert stopped.delivered_mg < stopped.dose_mg and "pump volume infused" in stopped.delivery_basis
    assert "Delivered" in stopped.note.body and stopped.interventions.filter(kind="infusion_stopped").exists()
    assert not DosingSession.objects.filter(
        state__in=["monitoring", "ready_for_discharge", "discharged", "stopped_early"], delivered_mg=None
    ).exists()
    assert not DosingSession.objects.filter(state="dosing").exclude(delivered_mg=None).exists()
    today = timezone.localdate()
    assert (
        DosingSession.objects.filter(scheduled_for__date__gte=today - dt.timedelta(days=1))
        .exclude(state="discharged")
        .exists()
    )
    sessions_seed.seed(clinic)
    assert (DosingSession.objects.count(), VitalsReading.objects.count()) == counts


def test_board_panel_is_empty_not_an_error_for_front_desk(staff, client_as, iv_session):
    r = client_as(staff["front_desk"]).get(reverse("sessions:board_panel"))
    assert r.status_code == 200 and iv_session.patient.mrn not in r.content.decode()


def test_prediction_preview_embedded_while_confirming_dose(staff, client_as, iv_session, helpers):
    from urllib.parse import parse_qs, urlparse

    helpers.ready_pre_dose(iv_session, staff["nurse"])
    client = client_as(staff["nurse"])
    page = client.get(reverse("sessions:flowsheet", args=[iv_session.pk])).content.decode()
    start = page.index('id="prediction"')
    url = page[page.index('hx-get="', start) + 8 :].split('"')[0].replace("&amp;", "&")
    query = parse_qs(urlparse(url).query)
    assert query["dose_mg"] == ["35.0"] and float(query["duration_min"][0]) == 40
    assert query["start"][0].endswith("+00:00")  # "+" survived URL encoding
    fragment = client.get(url)
    assert fragment.status_code == 200 and "<svg" in fragment.content.decode()


def test_open_session_from_todays_dosing_appointment(staff, client_as, patient):
    from decimal import Decimal

    from ketamine_clinic.plans.models import TreatmentPlan
    from ketamine_clinic.scheduling.models import Appointment, Chair

    plan = TreatmentPlan.objects.create(
        patient=patient,
        protocol_key="iv_induction",
        route="iv",
        status="active",
        created_by=staff["prescriber"],
        dose_kind="mg_per_kg",
        dose_amount=Decimal("0.5"),
        dose_min=Decimal("0.4"),
        dose_max=Decimal("0.75"),
        infusion_duration_min=40,
        concentration_mg_per_ml=Decimal("50"),
    )
    chair = Chair.objects.create(name="Chair 7")
    appt = Appointment.objects.create(patient=patient, kind="dosing", starts_at=timezone.now(), chair=chair)
    client = client_as(staff["nurse"])
    board = client.get(reverse("sessions:board")).content.decode()
    assert 'id="waiting-appointments"' in board and patient.mrn in board
    url = reverse("sessions:open_appointment", args=[appt.pk])
    first = client.post(url)
    session = DosingSession.objects.get(appointment=appt)
    assert first.url == reverse("sessions:flowsheet", args=[session.pk])
    assert (session.route, session.plan, session.chair) == ("iv", plan, chair)
    client.post(url)
    assert DosingSession.objects.filter(appointment=appt).count() == 1
    assert 'id="waiting-appointments"' not in client.get(reverse("sessions:board")).content.decode()
    cancelled = Appointment.objects.create(
        patient=patient, kind="dosing", starts_at=timezone.now(), status="cancelled"
    )
    client.post(reverse("sessions:open_appointment", args=[cancelled.pk]))
    assert not DosingSession.objects.filter(appointment=cancelled).exists()
    assert client_as(staff["other_nurse"]).post(url).status_code == 404
