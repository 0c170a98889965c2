"""Staff administration by the medical director: add, change role, deactivate (cannot sign in, history kept),
reactivate, set a password, reset two-factor, lift a lockout; through the pages, the API and the command line,
every change audited; nobody else may, and the clinic never loses its last director."""

import io
import json

import pytest
from django.test import Client

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.cli import main as cli


def _signs_in(username, password) -> bool:
    """Through the real login page (django-axes counts it): a redirect away from the login page."""
    response = Client().post("/login/", {"username": username, "password": password})
    return response.status_code == 302 and not response["Location"].startswith("/login/")


NEW = {"username": "rn.okafor", "first_name": "Ada", "last_name": "Okafor", "email": "ada@clinic.invalid",
       "role": "nurse", "credentials": "RN", "password": "a-first-password-9"}


@pytest.mark.django_db
def test_the_director_adds_a_nurse_who_can_then_sign_in(staff, client_as):
    director = client_as(staff["director"])
    assert "Add a staff member" in director.get("/staff/").content.decode()
    response = director.post("/staff/new/", NEW)
    nurse = User.objects.get(username="rn.okafor")
    assert response.status_code == 302 and response["Location"] == f"/staff/{nurse.pk}/"
    assert (nurse.role, nurse.credentials, nurse.is_active) == ("nurse", "RN", True)
    assert nurse.check_password("a-first-password-9")
    event = AuditEvent.objects.get(action="create", object_type="accounts.User", object_id=str(nurse.pk))
    assert event.username == "t_director" and event.detail == {"staff_added": "rn.okafor", "role": "nurse"}
    assert "rn.okafor" in director.get("/staff/").content.decode()
    assert _signs_in("rn.okafor", "a-first-password-9")


@pytest.mark.django_db
@pytest.mark.parametrize("change, message", [
    ({"username": "t_nurse"}, "is taken"),
    ({"username": "T_NURSE"}, "is taken"),
    ({"username": "has space"}, "Enter a valid username"),
    ({"role": "patient"}, "Select a valid choice"),
    ({"password": "short"}, "too short"),
    ({"email": "not-an-email"}, "Enter a valid email address"),
])
def test_a_refused_account_is_not_made_and_says_why(staff, client_as, change, message):
    before = User.objects.count()
    response = client_as(staff["director"]).post("/staff/new/", {**NEW, **change})
    assert response.status_code == 200 and message in response.content.decode()
    assert User.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["prescriber", "nurse", "therapist", "front_desk"])
def test_only_the_director_administers_staff(staff, client_as, make_patient, role):
    client = client_as(staff[role])
    assert client.get("/staff/").status_code == 403
    assert client.post("/staff/new/", NEW).status_code == 403
    assert client.post(f"/staff/{staff['nurse'].pk}/action/", {"action": "deactivate"}).status_code == 403
    assert client.get("/api/staff/").status_code == 403
    assert client.patch(f"/api/staff/{staff['nurse'].pk}", json.dumps({"role": "director"}),
                        content_type="application/json").status_code == 403
    assert not User.objects.filter(username="rn.okafor").exists()
    assert User.objects.get(pk=staff["nurse"].pk).role == "nurse" and User.objects.get(pk=staff["nurse"].pk).is_active
    patient = make_patient(with_login=True)
    assert client_as(patient.user).get("/staff/").status_code == 403


@pytest.mark.django_db
def test_deactivation_ends_sign_in_now_and_keeps_the_history(staff, client_as, make_patient):
    patient = make_patient(care_team=[staff["nurse"]])
    nurse = client_as(staff["nurse"])
    assert nurse.get(f"/patients/{patient.pk}/").status_code == 200
    response = client_as(staff["director"]).post(f"/staff/{staff['nurse'].pk}/action/", {"action": "deactivate"})
    assert response.status_code == 302
    # The signed-in session ends at its next page, and the password no longer signs in.
    assert nurse.get(f"/patients/{patient.pk}/")["Location"].startswith("/login/")
    assert not _signs_in("t_nurse", "demo-password-1")
    # What she did is still hers in the audit log; the account is still there.
    assert AuditEvent.objects.filter(username="t_nurse", patient=patient, action="view").exists()
    assert User.objects.filter(pk=staff["nurse"].pk, is_active=False).exists()
    assert AuditEvent.objects.filter(action="update", object_id=str(staff["nurse"].pk),
                                     detail__active=False).exists()
    # She cannot be put on a new care team while deactivated; reactivated, she signs in again.
    client_as(staff["director"]).post(f"/staff/{staff['nurse'].pk}/action/", {"action": "reactivate"})
    assert _signs_in("t_nurse", "demo-password-1")


@pytest.mark.django_db
def test_the_director_changes_a_role_and_sets_a_password(staff, client_as):
    director = client_as(staff["director"])
    member = staff["other_nurse"]
    details = {"first_name": "Nia", "last_name": "Moreau", "email": "", "role": "prescriber", "credentials": "NP"}
    assert director.post(f"/staff/{member.pk}/", details).status_code == 302
    member.refresh_from_db()
    assert (member.role, member.credentials, member.last_name) == ("prescriber", "NP", "Moreau")
    event = AuditEvent.objects.get(action="update", object_id=str(member.pk), detail__has_key="role_from")
    assert (event.detail["role_from"], event.detail["role_to"]) == ("nurse", "prescriber")

    mismatch = director.post(f"/staff/{member.pk}/password/", {"password": "new-password-77", "password_again": "x"})
    assert mismatch.status_code == 400 and "not the same" in mismatch.content.decode()
    ok = director.post(f"/staff/{member.pk}/password/", {"password": "new-password-77",
                                                          "password_again": "new-password-77"})
    assert ok.status_code == 302
    member.refresh_from_db()
    assert member.check_password("new-password-77") and not member.check_password("demo-password-1")


@pytest.mark.django_db
def test_the_clinic_keeps_a_director(staff, client_as):
    director = staff["director"]
    me = client_as(director)
    refused = me.post(f"/staff/{director.pk}/action/", {"action": "deactivate"})
    assert refused.status_code == 400 and "cannot deactivate your own account" in refused.content.decode()
    own_role = me.post(f"/staff/{director.pk}/", {"role": "nurse", "first_name": "", "last_name": "",
                                                  "email": "", "credentials": ""})
    assert own_role.status_code == 400 and "cannot change your own role" in own_role.content.decode()
    director.refresh_from_db()
    assert director.is_active and director.role == "director"
    # The command line (the server's operator) meets the last-director rule too.
    assert cli(["staff", "deactivate", "t_director"]) == 2
    director.refresh_from_db()
    assert director.is_active


@pytest.mark.django_db
def test_reset_two_factor_and_unlock_from_the_staff_page(staff, client_as, settings):
    from second_factor import authenticator_of

    from ketamine_clinic.accounts import services

    prescriber = staff["prescriber"]
    authenticator_of(prescriber)
    assert services.has_two_factor(prescriber)
    director = client_as(staff["director"])
    assert "Reset two-factor sign-in" in director.get(f"/staff/{prescriber.pk}/").content.decode()
    assert director.post(f"/staff/{prescriber.pk}/action/", {"action": "reset_two_factor"}).status_code == 302
    assert not services.has_two_factor(prescriber)
    assert AuditEvent.objects.filter(action="mfa_reset", detail__username="t_prescriber").exists()

    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/login/", {"username": "t_nurse", "password": "wrong-password-0"})
    assert services.is_locked_out(staff["nurse"])
    assert "Locked out" in director.get("/staff/").content.decode()
    assert director.post(f"/staff/{staff['nurse'].pk}/action/", {"action": "unlock"}).status_code == 302
    assert not services.is_locked_out(staff["nurse"])
    assert _signs_in("t_nurse", "demo-password-1")


@pytest.mark.django_db
def test_the_api_adds_lists_and_changes_staff(staff, client_as):
    api = client_as(staff["director"])
    created = api.post("/api/staff/", json.dumps(NEW), content_type="application/json")
    assert created.status_code == 201 and created.json()["role"] == "nurse" and "password" not in created.json()
    member_id = created.json()["id"]
    assert "rn.okafor" in [m["username"] for m in api.get("/api/staff/").json()]
    changed = api.patch(f"/api/staff/{member_id}", json.dumps({"role": "therapist", "is_active": False}),
                        content_type="application/json")
    assert changed.status_code == 200 and (changed.json()["role"], changed.json()["is_active"]) == ("therapist", False)
    taken = api.post("/api/staff/", json.dumps({**NEW, "username": "t_nurse"}), content_type="application/json")
    assert taken.status_code == 422 and "taken" in taken.json()["detail"]["username"][0]
    # Deactivating the last director with a role change in the same request changes neither.
    last = api.patch(f"/api/staff/{staff['director'].pk}", json.dumps({"credentials": "MD", "is_active": False}),
                     content_type="application/json")
    assert last.status_code == 422
    staff["director"].refresh_from_db()
    assert staff["director"].credentials == "" and staff["director"].is_active
    assert api.get("/api/staff/999999").status_code == 404


@pytest.mark.django_db
def test_the_command_line_makes_the_first_director(db, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("first-director-pass-1\n"))
    assert cli(["staff", "add", "--username", "md.first", "--role", "director", "--first-name", "Ines",
                "--last-name", "Baptiste", "--credentials", "MD", "--password-stdin"]) == 0
    assert "Added md.first" in capsys.readouterr().out
    director = User.objects.get(username="md.first")
    assert director.role == "director" and director.check_password("first-director-pass-1")
    assert AuditEvent.objects.filter(action="create", user=None, detail__staff_added="md.first").exists()

    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli(["staff", "add", "--username", "x", "--role", "nurse", "--password-stdin"]) == 2
    assert "too short" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("long-enough-pass-1\n"))
    assert cli(["staff", "add", "--username", "y", "--role", "patient", "--password-stdin"]) == 2
    assert "Choose a staff role" in capsys.readouterr().err
    assert not User.objects.filter(username__in=["x", "y"]).exists()
    assert cli(["staff", "list"]) == 0 and "md.first" in capsys.readouterr().out
