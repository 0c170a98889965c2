"""Stateless app servers in front of one PostgreSQL (issue 13 item 1): two real `ketamine-clinic serve` processes
(gunicorn, two workers each) on their own ports and one database of the test's own. A nurse signs in on both;
concurrent writes fired at both at once are neither lost nor duplicated: controlled-substance receipts all land
in the ledger exactly once, numbered without gaps, and the ledger verifies; the same chair and hour booked from
both servers at the same moment gives one booking and one clear refusal, never two bookings."""

import datetime as dt
import email.utils
import http.cookiejar
import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import psycopg
from deploy_drill import cli, snapshot

NURSE, PASSWORD = "nurse", "demo-password-1"  # the demo's nurse (no second factor for nurses)
RECEIPTS_PER_SERVER = 8
SLOTS = 4


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `ketamine-clinic serve` process, its access log in a file."""

    def __init__(self, env, log_path):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ketamine_clinic", "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", "2"],
            env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )

    def wait_healthy(self, deadline):
        """Poll /healthz until it answers 200 (or the process dies or the deadline passes); its Date header."""
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=5) as response:  # noqa: S310
                    if response.status == 200:
                        return email.utils.parsedate_to_datetime(response.headers["Date"])
            except OSError:
                time.sleep(0.1)  # not listening yet: poll again, bounded by the deadline
        raise AssertionError(f"{self.base} never became healthy:\n{self.log_path.read_text()[-3000:]}")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self._log.close()


class Nurse:
    """A signed-in browser session on one server: the session cookie and CSRF token its writes carry."""

    def __init__(self, server, username, password):
        self.base = server.base
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with opener.open(f"{self.base}/login/", timeout=30) as response:
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode()).group(1)
        form = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrfmiddlewaretoken": token, "next": ""}).encode()
        request = urllib.request.Request(f"{self.base}/login/", data=form, headers={"Referer": f"{self.base}/login/"})
        with opener.open(request, timeout=30):
            pass
        self.cookies = {c.name: c.value for c in jar}
        assert "sessionid" in self.cookies, "the nurse's login did not give a session"

    def call(self, method, path, payload=None, base=None):
        """(status, JSON answer) of an API call, on this server or another one (``base``) with the same session."""
        base = base or self.base
        headers = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "X-CSRFToken": self.cookies.get("csrftoken", ""),
            "Referer": f"{base}/",
            "Content-Type": "application/json",
        }
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(f"{base}{path}", data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - local test servers
                return response.status, _body(response.read())
        except urllib.error.HTTPError as error:
            return error.code, _body(error.read())


def _body(raw: bytes):
    """The JSON answer, or the text of one that is not JSON (a server error page), for the failure message."""
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return raw.decode(errors="replace")[:300]


def _at_once(calls):
    """Run the calls in threads released together; their answers in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=60)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _open_days(start: dt.date, n: int):
    day = start
    while n:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:  # the clinic's default calendar: Monday to Friday
            n -= 1
            yield day


def test_two_servers_one_database_lose_and_duplicate_nothing(postgres_clinic, tmp_path):
    env = postgres_clinic
    url = env["DATABASE_URL"]
    ledger_before = len(snapshot(env)["ledger"])
    servers = [Server(env, tmp_path / f"server-{i}.log") for i in (1, 2)]
    try:
        deadline = time.monotonic() + 120
        server_now = max(server.wait_healthy(deadline) for server in servers)
        a, b = (Nurse(server, NURSE, PASSWORD) for server in servers)
        # Stateless: a session signed in on one server is good on the other (sessions live in the database).
        status, patients = a.call("GET", "/api/patients/", base=servers[1].base)
        assert status == 200 and len(patients) >= 2, patients
        _, chairs = b.call("GET", "/api/schedule/chairs")
        chair = next(c for c in chairs if c.get("active", True))
        _, lots = a.call("GET", "/api/inventory/lots")
        _, stock = a.call("GET", "/api/inventory/stock")
        product_key, location_id = lots[0]["product_key"], stock[0]["location_id"]

        # Receipts from both servers at the same moment: each lands once, numbered without gaps.
        def receive(nurse, n):
            return lambda: nurse.call("POST", "/api/inventory/receive", {
                "product_key": product_key, "lot_number": f"DRILL-{n:02d}", "expires_on": "2031-01-31",
                "location_id": location_id, "containers": 2, "supplier": "Drill Pharma", "invoice": f"INV-{n}",
            })

        answers = _at_once([receive(nurse, i * 2 + k) for i in range(RECEIPTS_PER_SERVER)
                            for k, nurse in enumerate((a, b))])
        assert [status for status, _ in answers] == [201] * len(answers), answers
        sequences = sorted(body["sequence"] for _, body in answers)
        assert sequences == list(range(ledger_before + 1, ledger_before + len(answers) + 1))
        assert len(snapshot(env)["ledger"]) == ledger_before + len(answers)

        # The same chair and hour booked for two patients from the two servers at once: one booking, one refusal.
        zone = ZoneInfo("America/New_York")
        first, second = patients[0]["id"], patients[1]["id"]
        slots = []
        for i, day in enumerate(_open_days(server_now.astimezone(zone).date() + dt.timedelta(days=60), SLOTS)):
            starts_at = dt.datetime.combine(day, dt.time(9 + i), tzinfo=zone).isoformat()
            slots.append(starts_at)

            def book(nurse, patient, starts_at=starts_at):
                return lambda: nurse.call("POST", f"/api/schedule/patient/{patient}", {
                    "kind": "consult", "starts_at": starts_at, "duration_min": 60, "chair_id": chair["id"],
                })

            answers = _at_once([book(a, first), book(b, second)])
            assert sorted(status for status, _ in answers) == [201, 422], answers
            refusal = next(body for status, body in answers if status == 422)
            assert "already booked" in json.dumps(refusal), refusal
        with psycopg.connect(url) as db:
            booked = db.execute(
                "SELECT starts_at, count(*) FROM scheduling_appointment WHERE chair_id = %s AND starts_at = ANY(%s) "
                "GROUP BY starts_at", [chair["id"], [dt.datetime.fromisoformat(s) for s in slots]],
            ).fetchall()
        assert sorted(n for _, n in booked) == [1] * SLOTS
    finally:
        for server in servers:
            server.stop()
    verified = cli(env, "verify-ledger")
    assert verified.returncode == 0, verified.stderr
    assert f"Ledger intact: {ledger_before + 2 * RECEIPTS_PER_SERVER} entries" in verified.stdout
    for server in servers:  # both servers really took writes
        assert "POST /api/inventory/receive" in server.log_path.read_text()
