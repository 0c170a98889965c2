"""An idle user is actually logged out: the real middleware, a short timeout, and a session whose last activity
is set in the past through the session store (no sleeps, no clock travel).

The middleware sets each authenticated session's expiry from the role (SESSION_SAVE_EVERY_REQUEST slides it on
every request), so the stored expiry is "last activity + timeout". Making the last activity ``idle`` ago is
storing the expiry the store computes for a session last modified then."""

import datetime as dt

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture
def short_timeouts(settings):
    settings.STAFF_SESSION_TIMEOUT_MIN = 2
    settings.PATIENT_SESSION_TIMEOUT_MIN = 5


def log_in(client, username):
    response = client.post("/login/", {"username": username, "password": "demo-password-1"})
    assert response.status_code == 302, "login failed"


def last_active(client, minutes_ago):
    """Make the client's session look last active ``minutes_ago`` (its stored expiry moves back with it)."""
    store = SessionStore(session_key=client.cookies["sessionid"].value)
    assert store.get("_auth_user_id"), "not a logged-in session"
    expiry = store.get_expiry_date(modification=timezone.now() - dt.timedelta(minutes=minutes_ago))
    store.get_model_class().objects.filter(session_key=store.session_key).update(expire_date=expiry)


def stored_expiry(client):
    store = SessionStore(session_key=client.cookies["sessionid"].value)
    return store.get_model_class().objects.get(session_key=store.session_key).expire_date


def test_idle_staff_member_is_logged_out(short_timeouts, staff, client):
    log_in(client, "t_nurse")
    assert client.get("/patients/").status_code == 200  # the middleware sets the 2-minute expiry
    last_active(client, minutes_ago=3)
    response = client.get("/patients/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session


def test_activity_within_the_timeout_keeps_the_user_in_and_slides_the_expiry(short_timeouts, staff, client):
    log_in(client, "t_nurse")
    client.get("/patients/")
    last_active(client, minutes_ago=1)  # the stored expiry is now one minute away
    before = timezone.now()
    assert client.get("/patients/").status_code == 200
    # That request counted as activity: the expiry is again the whole 2 minutes away, not 1.
    assert stored_expiry(client) >= before + dt.timedelta(minutes=2)


def test_the_timeout_follows_the_role(short_timeouts, staff, make_patient, client):
    """3 idle minutes log a nurse out (2-minute timeout) but not a patient (5-minute timeout)."""
    patient = make_patient(with_login=True)
    log_in(client, patient.user.username)
    own_record = f"/patients/{patient.pk}/"
    assert client.get(own_record).status_code == 200
    last_active(client, minutes_ago=3)
    assert client.get(own_record).status_code == 200

    client.logout()
    log_in(client, "t_nurse")
    client.get("/patients/")
    last_active(client, minutes_ago=3)
    assert client.get("/patients/").status_code == 302
