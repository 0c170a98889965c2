"""The outbox: a failed send is kept with its error and retried from the page; who may see it; the API; the
patient's reminder choice (page and API)."""

import re

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def _page_the_prescriber(make_patient, staff):
    from ketamine_clinic.outcomes import services

    patient = make_patient(care_team=[staff["prescriber"]])
    services.record_measure_response(patient=patient, instrument="phq9", answers=[0] * 8 + [2], user=staff["nurse"])
    return patient


def test_a_failed_send_is_kept_with_its_error_and_retried_from_the_outbox(
    make_patient, staff, emails, smtp_server, run_worker, client_as, settings
):
    from aiosmtpd.controller import Controller

    from ketamine_clinic.audit.models import AuditEvent
    from ketamine_clinic.notifications.models import Message

    inbox, controller = smtp_server
    controller.stop()  # the mail server is down
    patient = _page_the_prescriber(make_patient, staff)
    run_worker()
    failed = Message.objects.get(user=staff["prescriber"])
    assert failed.status == "failed" and failed.attempts == 1 and failed.sent_at is None
    assert "refused" in failed.last_error.lower() or "connect" in failed.last_error.lower()
    assert inbox.messages == []

    director = client_as(staff["director"])
    page = director.get("/notifications/outbox/?status=failed").content.decode()
    assert failed.last_error in page and "Retry" in page

    restarted = Controller(inbox, hostname="127.0.0.1", port=controller.port)  # the server is back
    restarted.start()
    try:
        response = director.post("/notifications/outbox/?status=failed", {"message": failed.pk})
        assert response.status_code == 302 and response["Location"] == "/notifications/outbox/?status=failed"
        run_worker()
    finally:
        restarted.stop()
    failed.refresh_from_db()
    assert failed.status == "sent" and failed.attempts == 2 and failed.last_error == ""
    assert [m["Subject"] for m in inbox.to(emails["prescriber"])] == ["ketamine-clinic: an urgent task needs you"]
    retry = AuditEvent.objects.get(object_type="notifications.Message", object_id=str(failed.pk), action="update",
                                   detail__retry=True)
    assert retry.user == staff["director"] and retry.patient == patient


def test_a_sent_message_cannot_be_retried(make_patient, staff, emails, inbox, run_worker, client_as):
    from ketamine_clinic.notifications.models import Message

    _page_the_prescriber(make_patient, staff)
    run_worker()
    sent = Message.objects.get(user=staff["prescriber"])
    response = client_as(staff["director"]).post("/notifications/outbox/", {"message": sent.pk}, follow=True)
    assert "Only a failed message can be retried." in response.content.decode()
    run_worker()
    assert len(inbox.to(emails["prescriber"])) == 1


def test_the_outbox_is_the_directors(make_patient, staff, emails, inbox, run_worker, client_as):
    _page_the_prescriber(make_patient, staff)
    run_worker()
    page = client_as(staff["director"]).get("/notifications/outbox/")
    assert page.status_code == 200 and emails["prescriber"] in page.content.decode()
    assert client_as(staff["nurse"]).get("/notifications/outbox/").status_code == 403
    assert 'href="/notifications/outbox/"' in client_as(staff["director"]).get("/", follow=True).content.decode()  # the menu
    assert 'href="/notifications/outbox/"' not in client_as(staff["nurse"]).get("/", follow=True).content.decode()
    assert client_as(staff["nurse"]).post("/notifications/outbox/", {"message": 1}).status_code == 403
    patient = make_patient(care_team=[staff["prescriber"]], with_login=True)
    assert client_as(patient.user).get("/notifications/outbox/").status_code == 403

    api = client_as(staff["director"]).get("/api/notifications/outbox?status=sent").json()
    assert {m["address"] for m in api} >= {emails["prescriber"], emails["director"]}
    assert all(m["status"] == "sent" for m in api)
    assert client_as(staff["director"]).get("/api/notifications/outbox?status=lost").status_code == 422
    assert client_as(staff["nurse"]).get("/api/notifications/outbox").status_code == 403
    assert client_as(patient.user).get("/api/notifications/outbox").status_code == 403


def test_the_patient_chooses_how_to_be_reminded(make_patient, staff, client_as):
    from ketamine_clinic.audit.models import AuditEvent
    from ketamine_clinic.notifications.models import ContactPreference

    patient = make_patient(care_team=[staff["prescriber"]], with_login=True, email="me@example.test", phone="")
    client = client_as(patient.user)
    assert "Reminders" in client.get("/portal/").content.decode()  # the portal links the page
    page = client.get("/notifications/reminders/").content.decode()
    assert re.search(r'value="email"[^>]*checked', page) and not re.search(r'value="none"[^>]*checked', page)

    refused = client.post("/notifications/reminders/", {"channel": "sms"})
    assert refused.status_code == 200 and "no phone number on your record" in refused.content.decode()
    assert not ContactPreference.objects.exists()

    assert client.post("/notifications/reminders/", {"channel": "none"}).status_code == 302
    assert ContactPreference.objects.get(patient=patient).reminders_opted_out
    assert AuditEvent.objects.filter(patient=patient, object_type="notifications.ContactPreference",
                                     action="update").exists()

    assert client.get("/api/notifications/me/reminders").json()["channel"] == "none"
    answer = client.put("/api/notifications/me/reminders", {"channel": "email"}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["channel"] == "email"
    bad = client.put("/api/notifications/me/reminders", {"channel": "pigeon"}, content_type="application/json")
    assert bad.status_code == 422
    assert client_as(staff["prescriber"]).get("/notifications/reminders/").status_code == 403
    assert client_as(staff["prescriber"]).get("/api/notifications/me/reminders").status_code == 403
