"""Page speed of the busiest pages: median time and database queries per page, per role.

Run on demand, never in the test suite:

    .venv/bin/python benchmarks/pages.py                      # seed a demo into a temporary data dir (~30 s)
    .venv/bin/python benchmarks/pages.py --data-dir /tmp/demo  # reuse a seeded demo (seeded there if empty)
    .venv/bin/python benchmarks/pages.py -n 10 --only flowsheet --sql   # one page, its repeated SQL shown

Each page is requested once to warm up, then ``-n`` times with Django's test client (logged in with
``force_login``, so password hashing is not timed). Times are wall-clock medians in milliseconds; the
``x base`` column divides by the median of a baseline page measured in the same run (the login page, which
touches no table; at least 50 requests, as it takes about a millisecond), so runs on different or busy
machines compare by ratio. The baseline itself moves by up to +-50% between runs: compare query counts
first, and times only between runs made back to back.

Requests write audit events into the demo database as real use would; use a scratch data dir.
Always SQLite (``DATABASE_URL`` is ignored) unless ``--keep-database-url`` is given.
"""

import argparse
import datetime as dt
import html
import os
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", help="Demo data dir to reuse (seeded if it has no database yet).")
    parser.add_argument("-n", "--repeat", type=int, default=5, help="Timed requests per page (default 5).")
    parser.add_argument("--only", help="Only pages whose name contains this text.")
    parser.add_argument("--sql", action="store_true", help="Print each page's most repeated SQL statements.")
    parser.add_argument("--keep-database-url", action="store_true", help="Use DATABASE_URL if set.")
    return parser.parse_args(argv)


def setup(args):
    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="kc-bench-pages-"))
    os.environ["KETAMINE_CLINIC_DATA_DIR"] = str(data_dir)
    if not args.keep_database_url:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketamine_clinic.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from ketamine_clinic.patients.models import Patient

    call_command("migrate", interactive=False, verbosity=0)
    if not Patient.objects.exists():
        print(f"Seeding the demo clinic into {data_dir} ...", flush=True)
        call_command("seed_demo")
    return data_dir


def pick_ids():
    """Rows to open: the prescriber's patient (with an active plan) with the most sessions, and that patient's latest
    session."""
    from django.db.models import Count

    from ketamine_clinic.accounts.models import User
    from ketamine_clinic.plans.models import TreatmentPlan
    from ketamine_clinic.sessions.models import DosingSession

    prescriber = User.objects.get(username="prescriber")
    mine = DosingSession.objects.filter(patient__careteammember__user=prescriber)
    # Prefer a patient with an active plan, so the plan tab embeds a prediction curve to time.
    planned = mine.filter(patient__treatment_plans__status=TreatmentPlan.Status.ACTIVE)
    busiest = (planned if planned.exists() else mine).values("patient").annotate(n=Count("id", distinct=True))
    patient_id = busiest.order_by("-n").first()["patient"]
    session_id = DosingSession.objects.filter(patient_id=patient_id).order_by("-pk").values_list("pk", flat=True)[0]
    plan = TreatmentPlan.objects.filter(patient_id=patient_id).order_by("-pk").first()
    return {"patient": patient_id, "session": session_id, "plan": plan.pk if plan else None}


def pages(ids):
    """(name, username, url, extra headers). HTMX fragments carry the HX-Request header."""
    p, s = ids["patient"], ids["session"]
    hx = {"HTTP_HX_REQUEST": "true"}
    rows = [
        ("patient list", "director", "/patients/", {}),
        ("patient list (nurse)", "nurse", "/patients/", {}),
        ("patient search fragment", "director", "/patients/?q=a", hx),
        ("dashboard", "prescriber", "/patients/dashboard/", {}),
        ("panel: urgent tasks", "prescriber", "/outcomes/urgent-tasks/panel/", hx),
        ("panel: sessions board", "nurse", "/sessions/board/panel/", hx),
        ("panel: follow-up worklist", "prescriber", "/followup/panel/", hx),
        ("chart hub", "prescriber", f"/patients/{p}/", {}),
        ("chart: assessment", "prescriber", f"/assessment/patient/{p}/", {}),
        ("chart: plans", "prescriber", f"/plans/patient/{p}/", {}),
        ("chart: appointments", "frontdesk", f"/schedule/patient/{p}/", {}),
        ("chart: sessions", "nurse", f"/sessions/patient/{p}/", {}),
        ("chart: outcomes", "prescriber", f"/outcomes/patient/{p}/", {}),
        ("chart: follow-up", "therapist", f"/followup/patient/{p}/", {}),
        ("chart: prediction curve", "prescriber", ids["curve_url"], hx),
        ("sessions board", "nurse", "/sessions/", {}),
        ("flowsheet", "nurse", f"/sessions/{s}/", {}),
        ("flowsheet vitals chart", "nurse", f"/sessions/{s}/vitals/chart/", hx),
        ("schedule day", "frontdesk", "/schedule/day/", {}),
        ("measures due", "nurse", "/outcomes/due/", {}),
        ("inventory home", "nurse", "/inventory/", {}),
        ("inventory log", "director", "/inventory/log/", {}),
        ("inventory reconciliation", "director", "/inventory/reconciliation/", {}),
        ("inventory report", "director", "/inventory/report/", {}),
        ("inventory discrepancies", "director", "/inventory/discrepancies/", {}),
        ("follow-up worklists", "therapist", "/followup/", {}),
        ("outcomes dashboard", "director", "/followup/dashboard/", {}),
        ("audit log", "director", "/audit/", {}),
        ("portal home", "patient1", "/portal/", {}),
        ("portal appointments", "patient1", "/portal/appointments/", {}),
        ("portal scores", "patient1", "/portal/scores/", {}),
        ("portal messages", "patient1", "/portal/messages/", {}),
        ("portal journal", "patient1", "/portal/journal/", {}),
        ("api: patients", "director", "/api/patients/", {}),
        ("api: sessions today", "nurse", "/api/sessions/today", {}),
        ("api: schedule day", "frontdesk", "/api/schedule/day", {}),
        ("api: inventory entries", "director", f"/api/inventory/entries?start={ids['month_ago']}&end={ids['today']}", {}),
        ("api: inventory stock", "director", "/api/inventory/stock", {}),
        ("api: urgent tasks", "prescriber", "/api/outcomes/urgent-tasks", {}),
        ("api: audit events", "director", "/api/audit/events", {}),
        ("api: followup dashboard", "director", "/api/followup/dashboard", {}),
        ("api: plans of patient", "prescriber", f"/api/plans/patient/{p}", {}),
    ]
    return rows


def measure(client, url, headers, repeat):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url, **headers)  # warm-up (template loading, first-import costs)
    status = response.status_code
    times = []
    with CaptureQueriesContext(connection) as ctx:
        client.get(url, **headers)
    queries = [q["sql"] for q in ctx.captured_queries]
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url, **headers)
        times.append((time.perf_counter() - start) * 1000)
    return status, statistics.median(times), queries


def main(argv=None):
    args = parse_args(argv)
    data_dir = setup(args)
    from django.test import Client
    from django.utils import timezone

    from ketamine_clinic.accounts.models import User

    ids = pick_ids()
    clients = {}

    def client_for(username):
        if username not in clients:
            client = Client()
            if username:
                client.force_login(User.objects.get(username=username))
            clients[username] = client
        return clients[username]

    # The curve fragment as the plan page embeds it (with the plan's dose and model in its query string).
    plan_page = client_for("prescriber").get(f"/plans/patient/{ids['patient']}/").content.decode()
    found = re.search(r'hx-get="(/prediction/[^"]+)"', plan_page)
    ids["curve_url"] = html.unescape(found.group(1)) if found else f"/prediction/patient/{ids['patient']}/curve/"
    today = timezone.localdate()
    ids["today"], ids["month_ago"] = today, today - dt.timedelta(days=30)
    _, base_ms, base_queries = measure(client_for(None), "/login/", {}, max(args.repeat, 50))
    print(f"data dir {data_dir}; patient {ids['patient']}, session {ids['session']}; {args.repeat} requests per page")
    print(f"baseline: login page {base_ms:.1f} ms median, {len(base_queries)} queries\n")
    print(f"{'page':32} {'user':10} {'status':>6} {'queries':>7} {'ms':>8} {'x base':>7}")
    for name, username, url, headers in pages(ids):
        if args.only and args.only not in name:
            continue
        status, ms, queries = measure(client_for(username), url, headers, args.repeat)
        print(f"{name:32} {username:10} {status:>6} {len(queries):>7} {ms:>8.1f} {ms / base_ms:>7.1f}", flush=True)
        if args.sql:
            shapes = Counter(re.sub(r"'[^']*'|\b\d+(\.\d+)?\b", "?", sql) for sql in queries)
            for sql, n in shapes.most_common(5):
                if n > 1:
                    print(f"    {n:4} x {sql[:150]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
