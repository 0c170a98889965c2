import pytest

from ketamine_clinic.audit.models import AuditEvent


@pytest.mark.django_db
def test_login_sets_role_based_inactivity_timeout(staff, make_patient, client, settings):
    settings.STAFF_SESSION_TIMEOUT_MIN = 15
    settings.PATIENT_SESSION_TIMEOUT_MIN = 30
    response = client.post("/login/", {"username": "t_nurse", "password": "demo-password-1"})
    assert response.status_code == 302
    client.get("/patients/")
    assert client.session.get_expiry_age() == 15 * 60

    patient = make_patient(with_login=True)
    client.logout()
    client.post("/login/", {"username": patient.user.username, "password": "demo-password-1"})
    client.get("/patients/me/")
    assert client.session.get_expiry_age() == 30 * 60


@pytest.mark.django_db
def test_logins_and_failures_are_audited(staff, client):
    client.post("/login/", {"username": "t_nurse", "password": "wrong"})
    client.post("/login/", {"username": "t_nurse", "password": "demo-password-1"})
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["login_failed", "login"]
    failed = AuditEvent.objects.get(action="login_failed")
    assert failed.detail == {"username": "t_nurse"} and "wrong" not in str(failed.detail)


def test_passwords_are_hashed_with_argon2_in_production():
    from ketamine_clinic import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
