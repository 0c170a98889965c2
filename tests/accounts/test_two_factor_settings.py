"""Who must use two-factor sign-in: prescribers and the director on a clinic's server and in the tests; nobody by
default in the local demo (its printed passwords work), which tells them a clinic's server will require it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")
SERVER = {"DJANGO_SECRET_KEY": "k" * 50, "LEDGER_KEY": "l" * 32, "DJANGO_ALLOWED_HOSTS": "clinic.example"}


def required_roles(tmp_path, **env):
    code = "from ketamine_clinic import settings; print(','.join(sorted(settings.MFA_REQUIRED_ROLES)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": SRC, "KETAMINE_CLINIC_DATA_DIR": str(tmp_path), **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_who_must_use_two_factor_sign_in(tmp_path, settings):
    assert required_roles(tmp_path, **SERVER) == "director,prescriber"  # a clinic's server
    assert required_roles(tmp_path, KETAMINE_CLINIC_DEMO="1") == ""  # the local demo
    assert required_roles(tmp_path, KETAMINE_CLINIC_DEMO="1", MFA_REQUIRED_ROLES="prescriber") == "prescriber"
    assert required_roles(tmp_path, **SERVER, MFA_REQUIRED_ROLES="director,nurse") == "director,nurse"
    assert settings.MFA_REQUIRED_ROLES == {"director", "prescriber"}  # this test suite


def test_an_unknown_role_name_stops_the_server(tmp_path):
    code = "import ketamine_clinic.settings"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": SRC, "KETAMINE_CLINIC_DATA_DIR": str(tmp_path),
             **SERVER, "MFA_REQUIRED_ROLES": "prescribers"},
    )
    assert result.returncode != 0 and "MFA_REQUIRED_ROLES names unknown roles: prescribers" in result.stderr


@pytest.mark.django_db
def test_the_demo_tells_prescribers_a_clinic_server_requires_it(staff, client, settings):
    settings.DEMO = True
    settings.MFA_REQUIRED_ROLES = frozenset()
    assert client.post("/login/", {"username": "t_prescriber", "password": "demo-password-1"}).status_code == 302
    page = client.get("/patients/dashboard/")
    assert page.status_code == 200 and b'id="two-factor-notice"' in page.content
    assert b'href="/account/two-factor/"' in page.content
    client.post("/logout/")
    client.post("/login/", {"username": "t_nurse", "password": "demo-password-1"})
    assert b'id="two-factor-notice"' not in client.get("/patients/dashboard/").content
