"""Malformed values posted to the main pages' forms, one field at a time, as the user whose work the form is.

Each form is read from its page as a browser would (its fields, their current values, the first choice of each
list), then every field in turn is sent empty, missing, as 40 nines, 1e308, a negative number, 100 KB of text,
an impossible date or time, or a choice the list does not have. No answer may be a 500, and a refused post
(anything but a redirect to the next page) leaves every table of the clinic as it was: nothing is partly saved.
Deterministic: the same posts every run.
"""

import sys
import traceback
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.utils import timezone

sys.path.insert(0, str(Path(__file__).parents[1] / "access"))
import url_walk as walk  # noqa: E402

pytestmark = pytest.mark.django_db

NUMBER = ["", "9" * 40, "1e308", "-1", "abc", "0", "9999"]  # the last two fit the field: the rules refuse them
TEXT = ["", "x" * 100_000]
DATE = ["2026-02-30", "0000-01-01", "31/12/2026"]
TIME = ["25:61", "10:00+05:00"]
DATETIME = ["2026-13-01T10:00", "2026-12-01T10:00+05:00", "yesterday"]
CHOICE = ["no-such-choice", "9" * 40]
BAD = {"number": NUMBER, "text": TEXT, "textarea": TEXT, "date": DATE, "time": TIME, "datetime-local": DATETIME,
       "select": CHOICE, "radio": CHOICE, "email": ["not-an-email", "x" * 100_000], "tel": TEXT}
PLAUSIBLE_VITALS = {"sbp": "122", "dbp": "78", "hr": "70", "spo2": "98", "rr": "14"}
# Audit events and sign-in records are written for every request, refused or not; the clinic's own records are
# the ones a refused post must leave alone.
NOT_RECORDS = {"AuditEvent"}


class _Forms(HTMLParser):
    """The POST forms of a page: [(action, {name: (kind, default, [choices])})]."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select, self._textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self._form = (a.get("action") or "", {})
            self.forms.append(self._form)
        if self._form is None or not a.get("name") or a["name"] == "csrfmiddlewaretoken":
            if tag == "option" and self._select is not None:
                self._option(a)
            return
        fields = self._form[1]
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio"):
                previous = fields.get(a["name"], (kind, None, []))
                chosen = a.get("value", "on") if "checked" in a else previous[1]
                fields[a["name"]] = (kind, chosen, previous[2] + [a.get("value", "on")])
            else:
                if a.get("inputmode") in ("decimal", "numeric"):
                    kind = "number"  # typed as text, read as a number (amounts in mg)
                fields[a["name"]] = (kind, a.get("value", ""), [])
        elif tag == "select":
            self._select = a["name"]
            fields[a["name"]] = ("select", None, [])
        elif tag == "textarea":
            self._textarea = a["name"]
            fields[a["name"]] = ("textarea", "", [])
        elif tag == "option" and self._select is not None:
            self._option(a)

    def _option(self, a):
        kind, chosen, choices = self._form[1][self._select]
        value = a.get("value", "")
        if chosen is None or "selected" in a:
            chosen = value
        self._form[1][self._select] = (kind, chosen, choices + [value])

    def handle_data(self, data):
        if self._textarea is not None:
            kind, _, choices = self._form[1][self._textarea]
            self._form[1][self._textarea] = (kind, data, choices)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _flowsheet_stages(world, clinic_clock):
    """A's next booked dosing visit, opened at its time and walked through the services (as the demo seed walks
    its visits), stopping at each stage whose forms the flowsheet shows: yields the session at each stop."""
    import types

    from ketamine_clinic.core.pharmacology.dosing import plan_dose
    from ketamine_clinic.demo import sessions as seed
    from ketamine_clinic.scheduling.models import Appointment
    from ketamine_clinic.sessions import services

    nurse, prescriber = _on_team(world, "nurse"), _on_team(world, "prescriber")
    visit = Appointment.objects.filter(patient=world.a, kind=Appointment.Kind.DOSING, dosing_session__isnull=True,
                                       cancelled_at__isnull=True).order_by("starts_at").first()
    session, _ = services.session_for_appointment(visit, user=nurse)
    walk = seed.Walk(None, session, nurse=nurse, checker=prescriber, prescriber=prescriber, witness=prescriber)

    def at(minutes):  # the clinic clock a minute after the step, so nothing is "in the future"
        clinic_clock.move_to(timezone.localtime(walk.at(minutes + 1)).replace(tzinfo=None))

    at(0)
    seed._measures_for_today(types.SimpleNamespace(staff={"nurse": [nurse]}, now=timezone.now()), visit)
    walk.move("checked_in", 0)
    yield session  # the pre-dose checks form
    session.refresh_from_db()
    walk.move("pre_dose_checks", 3)
    at(8)
    yield session  # the pre-dose checks and dose forms
    session.refresh_from_db()
    # What the fuzz's accepted posts left of the checks (the form takes partial entries) is entered in full.
    services.save_pre_dose(session, {"weight_kg": world.a.weight_kg, "fasting_confirmed": True,
                                     "escort_confirmed": True, "escort_name": "Synthetic escort",
                                     "pregnancy_test": "negative"}, user=nurse, version=session.version,
                           now=walk.at(5))
    walk.reading(8, seed.VitalSigns(sbp=122, dbp=78, hr=70, spo2=98, rr=14), baseline=True)
    rule = world.plan.dose_rule()
    dose = plan_dose(rule, weight_kg=float(world.a.weight_kg), route=session.route)
    services.record_dose(session, dose_mg=round(dose.dose_mg, 2), user=nurse, lot_id=seed._lots()[session.route].pk,
                         second_checker=prescriber, second_checker_password=seed.DEMO_PASSWORD,
                         expected_version=session.version, now=walk.at(10))
    walk.move("dosing", seed.DOSING_AT)
    at(seed.DOSING_AT)
    yield session  # vitals, side effects, interventions, observations
    session.refresh_from_db()
    end = seed._end_minute(session.route, rule, stopped=False)
    at(end)
    walk.move("monitoring", end)
    observe = seed.rules_for(session.route).min_observation_min
    at(end + observe)
    walk.move("ready_for_discharge", end + observe)
    yield session  # the discharge checklist


def _on_team(world, role):
    return next(u for label, u in world.users.items() if label.startswith(f"{role}:")
                and world.relation[label] == "care team")


def _counts():
    return {m.__name__: m.objects.count() for m in apps.get_models()
            if m.__module__.startswith("ketamine_clinic") and m.__name__ not in NOT_RECORDS}


def _pages(world):
    director, front_desk = world.users["director:director"], world.users["front_desk:frontdesk"]
    prescriber, nurse = _on_team(world, "prescriber"), _on_team(world, "nurse")
    a, plan = world.a.pk, world.plan.pk
    return [
        (front_desk, "/patients/new/"),
        (prescriber, f"/assessment/patient/{a}/intake/"),
        (prescriber, f"/plans/patient/{a}/new/"),
        (prescriber, f"/plans/plan/{plan}/change/"),
        (front_desk, f"/schedule/patient/{a}/"),  # the booking form
        (nurse, "/inventory/draw/"),
        (nurse, "/inventory/waste/"),
        (nurse, f"/inventory/counts/new/{world.location.pk}/"),
        (director, "/inventory/receive/"),
        (nurse, f"/outcomes/patient/{a}/administer/phq9/"),
        (world.users["owner"], "/portal/journal/new/"),
    ]


def _post(client, path, data):
    """(status, body) of one post; an exception inside the view (the test client re-raises it) is a 500."""
    try:
        response = client.post(path, data)
    except Exception:  # noqa: BLE001
        return 500, traceback.format_exc(limit=-4)
    return response.status_code, response.content.decode(errors="replace")


def _filled(name, kind, default, choices):
    """What a person fills in where the page leaves a field empty, so the other fields' bad values get past the
    required ones and reach the clinic's rules (which then refuse some of them: nothing may be saved then)."""
    if default is not None and default.strip():
        return default
    now = timezone.localtime()
    if kind in ("radio", "select"):
        return next((c for c in choices if c), default)
    if "phone" in name:
        return "(202) 555-0143"
    if "birth" in name:
        return "1985-05-17"
    if name in PLAUSIBLE_VITALS:
        return PLAUSIBLE_VITALS[name]
    return {
        "text": "Synthetic entry", "textarea": "Synthetic entry", "password": "demo-password-1", "number": "1",
        "date": now.date().isoformat(), "time": now.strftime("%H:%M"),
        "datetime-local": now.strftime("%Y-%m-%dT%H:%M"),
    }.get(kind, default)


def _variants(fields):
    base = {name: _filled(name, kind, default, choices) for name, (kind, default, choices) in fields.items()
            if kind != "checkbox" or default is not None}
    for name, (kind, _, _) in fields.items():
        yield name, "(missing)", {k: v for k, v in base.items() if k != name}
        for value in BAD.get(kind, TEXT):
            yield name, value, {**base, name: value}


class Fuzz:
    def __init__(self):
        self.problems, self.posts, self.forms, self.statuses = [], 0, set(), {}

    def page(self, client, page, skip=()):
        """Every POST form of ``page`` (but those posting to a path ending in ``skip``), each field in turn given
        each bad value."""
        response = client.get(page)
        assert response.status_code == 200, (page, response.status_code)
        parser = _Forms()
        parser.feed(response.content.decode())
        for action, fields in parser.forms:
            target = urlsplit(action).path or page
            if not fields or target.startswith(("/logout", "/login")) or target.endswith(tuple(skip)):
                continue
            self.forms.add(target)
            for name, value, data in _variants(fields):
                before = _counts()
                self.posts += 1
                status, body = _post(client, target, data)
                self.statuses.setdefault(target, {}).setdefault(status, 0)
                self.statuses[target][status] += 1
                shown = repr(value)[:30]
                if status >= 500:
                    self.problems.append((target, name, shown, "500", body[-400:]))
                elif status not in (301, 302, 303) and _counts() != before:
                    changed = {k: (before[k], n) for k, n in _counts().items() if before[k] != n}
                    self.problems.append((target, name, shown, f"{status} but saved", changed))


def test_malformed_form_posts_get_no_500_and_save_nothing(client_as, clinic_clock):
    world = walk.build_world()
    fuzz = Fuzz()
    # The flowsheet first: what the other forms accept (a new intake, a plan change) would hold A's dose.
    for session in _flowsheet_stages(world, clinic_clock):
        # Not the state changes: the walk moves the session on from each stage. Signed in afresh at each stage:
        # the clock moved on past the inactivity timeout.
        fuzz.page(client_as(_on_team(world, "nurse")), f"/sessions/{session.pk}/", skip=["/state/", "/acknowledge/"])
    for user, page in _pages(world):
        fuzz.page(client_as(user), page)
    print(f"form fuzz: {fuzz.posts} posts to {len(fuzz.forms)} forms, {len(fuzz.problems)} problems")
    for target, statuses in sorted(fuzz.statuses.items()):
        print(f"  {target}: {sorted(statuses.items())}")
    assert len(fuzz.forms) >= 18 and fuzz.posts > 500
    assert fuzz.problems == [], "\n".join(map(str, fuzz.problems))
