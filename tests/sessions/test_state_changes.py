"""Moving a session through its states from the flowsheet: legal moves, clear refusals, stale versions."""

from django.urls import reverse

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.sessions.models import DosingSession, SessionEvent


def post_state(client, session, target, version=None, **extra):
    data = {"target": target, "version": session.version if version is None else version, **extra}
    return client.post(reverse("sessions:transition", args=[session.pk]), data)


def test_nurse_checks_in_and_event_and_audit_are_written(staff, client_as, iv_session):
    client = client_as(staff["nurse"])
    response = post_state(client, iv_session, "checked_in")
    assert response.status_code == 302
    iv_session.refresh_from_db()
    assert iv_session.state == "checked_in" and iv_session.version == 2 and iv_session.checked_in_at
    assert iv_session.nurse == staff["nurse"]
    event = SessionEvent.objects.get(session=iv_session)
    assert (event.from_state, event.to_state, event.by) == ("scheduled", "checked_in", staff["nurse"])
    assert AuditEvent.objects.filter(
        action="update", object_id=str(iv_session.pk), user=staff["nurse"]
    ).exists()


def test_illegal_move_is_refused_with_message_and_nothing_changes(staff, client_as, iv_session):
    client = client_as(staff["nurse"])
    response = post_state(client, iv_session, "monitoring")
    assert response.status_code == 400
    assert "cannot go from" in response.content.decode() and "Checked in" in response.content.decode()
    iv_session.refresh_from_db()
    assert iv_session.state == "scheduled" and iv_session.version == 1


def test_stale_version_is_refused_not_overwritten(staff, client_as, iv_session):
    nurse_a, nurse_b = client_as(staff["nurse"]), client_as(staff["prescriber"])
    assert post_state(nurse_a, iv_session, "checked_in", version=1).status_code == 302
    # The second person still has version 1 on screen and tries to abort.
    response = post_state(nurse_b, iv_session, "aborted", version=1, reason="no show")
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    iv_session.refresh_from_db()
    assert iv_session.state == "checked_in" and iv_session.version == 2


def test_abort_needs_a_reason_and_keeps_it(staff, client_as, iv_session):
    client = client_as(staff["nurse"])
    assert post_state(client, iv_session, "aborted").status_code == 400
    assert post_state(client, iv_session, "aborted", reason="Patient unwell, rebook").status_code == 302
    iv_session.refresh_from_db()
    assert iv_session.state == "aborted" and iv_session.end_reason == "Patient unwell, rebook"


def test_htmx_post_returns_flowsheet_body(staff, client_as, iv_session):
    client = client_as(staff["nurse"])
    response = client.post(
        reverse("sessions:transition", args=[iv_session.pk]),
        {"target": "checked_in", "version": 1},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-state="checked_in"' in body and "<html" not in body


def test_therapist_reads_but_cannot_change_state(staff, client_as, iv_session):
    therapist = client_as(staff["therapist"])
    assert therapist.get(reverse("sessions:flowsheet", args=[iv_session.pk])).status_code == 200
    assert post_state(therapist, iv_session, "checked_in").status_code == 403
    assert DosingSession.objects.get(pk=iv_session.pk).state == "scheduled"


def test_staff_outside_care_team_get_404(staff, client_as, iv_session):
    other = client_as(staff["other_nurse"])
    assert other.get(reverse("sessions:flowsheet", args=[iv_session.pk])).status_code == 404
    assert post_state(other, iv_session, "checked_in").status_code == 404
