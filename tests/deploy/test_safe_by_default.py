"""Run it for real: a clinic's server refuses to start without its secrets, the deployment check is clean with
production settings, pages with patient data are never cached, /healthz tells a load balancer the truth, and
`ketamine-clinic serve` serves the app (and its static files) with gunicorn."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "src")
PRODUCTION = {
    "DJANGO_SECRET_KEY": "q8Vf2-LmZ0pX7rT4wYbN6cH1sJ9dK3gE5uA_oIiRtWzQxC8vB2nM7lP4kO0jU6hG",
    "LEDGER_KEY": "ledger-" + "s" * 40,
    "DJANGO_ALLOWED_HOSTS": "clinic.example.org",
}


def _python(code, env_extra, tmp_path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": SRC,
           "KETAMINE_CLINIC_DATA_DIR": str(tmp_path), **env_extra}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


SETUP = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='ketamine_clinic.settings'; django.setup(); print('ok')"


def test_a_clinic_server_refuses_to_start_without_its_secrets_and_names_them(tmp_path):
    result = _python(SETUP, {}, tmp_path)
    assert result.returncode != 0
    assert "refuses to start without DJANGO_SECRET_KEY, LEDGER_KEY, DJANGO_ALLOWED_HOSTS" in result.stderr
    partial = _python(SETUP, {"DJANGO_SECRET_KEY": PRODUCTION["DJANGO_SECRET_KEY"]}, tmp_path)
    assert "without LEDGER_KEY, DJANGO_ALLOWED_HOSTS" in partial.stderr
    short = _python(SETUP, {**PRODUCTION, "LEDGER_KEY": "short"}, tmp_path)
    assert "LEDGER_KEY must be at least 16 characters" in short.stderr
    assert _python(SETUP, PRODUCTION, tmp_path).stdout.strip() == "ok"


def test_the_cli_says_so_without_a_traceback(tmp_path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": SRC, "KETAMINE_CLINIC_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "ketamine_clinic", "verify"], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "refuses to start without DJANGO_SECRET_KEY" in result.stderr


def test_deploy_check_reports_no_warnings_with_production_settings(tmp_path):
    code = (
        "import django, os, sys; os.environ['DJANGO_SETTINGS_MODULE']='ketamine_clinic.settings'; django.setup();"
        "from django.core.management import call_command;"
        "call_command('check', '--deploy', '--fail-level', 'WARNING')"
    )
    result = _python(code, PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_pages_and_api_with_patient_data_are_not_cached(staff, client_as, make_patient):
    patient = make_patient(care_team=[staff["nurse"]])
    client = client_as(staff["nurse"])
    for url in (f"/patients/{patient.pk}/", f"/api/patients/{patient.pk}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_healthz_is_ok_then_fails_when_the_ledger_head_does_not_verify(client, db, staff):
    from ketamine_clinic.demo.inventory import ensure_products
    from ketamine_clinic.inventory import services
    from ketamine_clinic.inventory.models import LedgerHead, StorageLocation

    services.receive(
        actor=staff["nurse"], product=ensure_products()["ketamine-50-10"], lot_number="H-1",
        expires_on=__import__("datetime").date(2030, 1, 1), location=StorageLocation.objects.create(name="S"),
        containers=2, supplier="S", invoice="I",
    )
    ok = client.get("/healthz")
    assert ok.status_code == 200 and ok.json() == {"status": "ok", "database": "ok", "migrations": "ok",
                                                   "ledger": "ok"}
    assert "no-cache" in ok["Cache-Control"] or "max-age=0" in ok["Cache-Control"]
    LedgerHead.objects.filter(pk=1).update(count=5)  # as if entries had been deleted around the application
    bad = client.get("/healthz")
    assert bad.status_code == 503 and bad.json()["status"] == "fail" and "head" in bad.json()["ledger"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url):
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - local test server
        return response.status, response.headers, response.read()


def test_serve_runs_gunicorn_with_static_files_and_healthz(tmp_path):
    port = _free_port()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": SRC, "KETAMINE_CLINIC_DATA_DIR": str(tmp_path),
           **PRODUCTION, "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "DJANGO_HTTPS": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "ketamine_clinic", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, _, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.2)  # polling for the server to listen, bounded by the deadline
        assert status == 200, server.stdout.read() if server.poll() is not None else "server did not answer"
        assert json.loads(body)["status"] == "ok"
        status, headers, _ = _get(f"http://127.0.0.1:{port}/static/django_htmx/htmx-2.min.js")
        assert status == 200 and "javascript" in headers["Content-Type"]
        status, headers, body = _get(f"http://127.0.0.1:{port}/login/")
        assert status == 200 and b'name="username"' in body
    finally:
        server.terminate()
        server.wait(timeout=30)
    log = server.stdout.read()
    assert "Booting worker" in log and "GET /healthz" in log  # gunicorn's workers and access log
