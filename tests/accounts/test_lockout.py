"""Password guessing at the login page is stopped (django-axes): the 5th wrong password for one username locks it,
the 6th try is refused even with the right password, the answers do not tell which usernames exist, the lock
lifts after the cool-off (the clinic clock moved on) or when the medical director unlocks."""

import datetime as dt
import re

import pytest

from ketamine_clinic.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "demo-password-1"


def attempt(client, username, password, **headers):
    return client.post("/login/", {"username": username, "password": password}, **headers)


def signed_in(client):
    return "_auth_user_id" in client.session


def test_the_sixth_try_is_refused_even_with_the_right_password(staff, client, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        response = attempt(client, "t_nurse", "wrong-password")
        assert response.status_code == 200 and b"did not match" in response.content
    fifth = attempt(client, "t_nurse", "wrong-password")
    assert fifth.status_code == 429 and b"Too many failed sign-ins" in fifth.content
    sixth = attempt(client, "t_nurse", PASSWORD)
    assert sixth.status_code == 429 and not signed_in(client)
    page = sixth.content.decode()
    # The normal login page, in the clinic's words, with when to come back.
    assert 'id="id_username"' in page and "try again in 15 minutes or ask the medical director" in page.lower()
    assert sixth["Retry-After"] == str(15 * 60)
    assert AuditEvent.objects.filter(action="login_failed", detail__username="t_nurse").count() == 6
    assert AuditEvent.objects.filter(action="login_locked_out", detail__username="t_nurse").count() == 2


def test_the_lock_is_on_the_username_whatever_browser_or_address(staff, client):
    for i in range(5):
        attempt(client, "t_nurse", "wrong-password", HTTP_USER_AGENT=f"browser {i}", REMOTE_ADDR=f"10.0.0.{i}")
    response = attempt(client, "t_nurse", PASSWORD, HTTP_USER_AGENT="another", REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 429 and not signed_in(client)
    # Another person at the same workstation is not locked out by the nurse's typos.
    assert attempt(client, "t_therapist", PASSWORD, REMOTE_ADDR="10.0.0.1").status_code == 302


def _answers(client, username):
    """The status and page of each of six wrong tries, with what differs between any two clients (the CSRF token)
    and the username typed (shown back in the form) taken out."""
    answers = []
    for _ in range(6):
        response = attempt(client, username, "wrong-password")
        page = re.sub(r'(csrfmiddlewaretoken" value=|"X-CSRFToken": )"[^"]*"', "TOKEN", response.content.decode())
        answers.append((response.status_code, page.replace(username, "USERNAME")))
    return answers


def test_an_unknown_username_gets_exactly_the_answers_a_wrong_password_gets(staff, client):
    from django.test import Client

    known = _answers(client, "t_nurse")
    unknown = _answers(Client(), "t_nobody_here")
    assert [status for status, _ in known] == [200, 200, 200, 200, 429, 429]
    assert known == unknown


def test_the_lock_lifts_after_the_cool_off(staff, client, clinic_clock):
    for _ in range(5):
        attempt(client, "t_nurse", "wrong-password")
    clinic_clock.move_to(clinic_clock.now().replace(tzinfo=None) + dt.timedelta(minutes=14))
    assert attempt(client, "t_nurse", PASSWORD).status_code == 429  # still locked, and the cool-off restarts
    clinic_clock.move_to(clinic_clock.now().replace(tzinfo=None) + dt.timedelta(minutes=16))
    assert attempt(client, "t_nurse", PASSWORD).status_code == 302 and signed_in(client)


def test_the_medical_director_unlocks(staff, client):
    from ketamine_clinic.accounts.services import is_locked_out, unlock

    for _ in range(5):
        attempt(client, "t_nurse", "wrong-password")
    assert is_locked_out(staff["nurse"]) and not is_locked_out(staff["therapist"])
    assert unlock(staff["nurse"], by=staff["director"]) >= 1
    assert not is_locked_out(staff["nurse"])
    assert attempt(client, "t_nurse", PASSWORD).status_code == 302
    row = AuditEvent.objects.get(action="account_unlocked")
    assert row.user == staff["director"] and row.detail["username"] == "t_nurse"


def test_a_100_kb_username_is_answered_normally_and_logged_short(staff, client, settings):
    from ketamine_clinic import audit

    huge = "x" * 100_000
    response = attempt(client, huge, "wrong-password")
    assert response.status_code == 200 and b"did not match" in response.content
    failed = AuditEvent.objects.get(action="login_failed")
    assert len(failed.detail["username"]) == audit.DETAIL_MAX_CHARS and failed.detail["username"].startswith("xxx")
    # django-axes counts it on the username cut to the longest a username can be (its column holds 255).
    from axes.models import AccessAttempt

    assert [len(a.username) for a in AccessAttempt.objects.all()] == [150]
    # And whatever a caller hands audit.record is shortened there, once, nested values too.
    row = audit.record(staff["nurse"], "login_failed", detail={"username": huge, "tries": [huge], "n": 3})
    row.refresh_from_db()
    assert len(row.detail["username"]) == audit.DETAIL_MAX_CHARS and row.detail["username"].endswith("…[cut]")
    assert len(row.detail["tries"][0]) == audit.DETAIL_MAX_CHARS and row.detail["n"] == 3
    short = audit.record(staff["nurse"], "login_failed", detail={"username": "t_nurse"})
    assert short.detail == {"username": "t_nurse"}
