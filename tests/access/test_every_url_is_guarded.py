"""Walk every URL the project defines, filled with real objects of one patient (A), as everybody.

Guards new pages against a forgotten permission check, whoever writes them:
- anonymous users are sent to the login page (pages) or refused (API), whatever the route;
- another patient and staff off A's care team get 404 (or 403) for every route naming one of A's objects
  (patient, dosing session, plan, appointment, vitals reading, previous treatment, administration, urgent
  task, journal entry, booster suggestion), and no page or API answer, to anyone, names a patient they may
  not see (by MRN, or by A's or B's name);
- nobody gets a 500.
The world and the route table are in ``url_walk.py``; a route the table does not know fails the walk.
"""

import pytest
import url_walk as walk
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from second_factor import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return walk.build_world()


def _client(user=None):
    client = Client()
    if user is not None:
        sign_in(client, user)  # with the second factor where the role requires it
    return client


def test_the_walk_knows_every_route():
    routes = walk.routes()
    cannot = {route: why for route in routes if (why := walk.unfillable(route))}
    assert cannot == {}, "New routes the URL walk cannot fill: add them to url_walk.ROUTES (and their parameters)."
    assert sorted(set(walk.ROUTES) - set(routes)) == [], "walk.ROUTES names routes that no longer exist"
    assert len(routes) > 140


def test_anonymous_users_are_sent_to_log_in(world):
    login_url = resolve_url(settings.LOGIN_URL)
    anonymous, director = _client(), _client(world.users["director:director"])
    schema = walk.api_methods()
    problems, checked = [], 0
    for route in walk.routes():
        if route in walk.PUBLIC:
            continue
        path = walk.fill(route, world)
        if route in walk.NOT_FOUND_FOR_EVERYONE:
            for client in (anonymous, director):
                status = walk.request(client, "GET", path)[0]
                if status != 404:
                    problems.append(("GET", path, status, "expected 404 for everyone"))
            continue
        for method in walk.methods_of(route, schema):
            status, body, location = walk.request(anonymous, method, path)
            checked += 1
            if route.startswith("api/"):
                ok = status in (401, 403)
            else:
                ok = walk.is_login_redirect(status, location, path, login_url)
            # A method the route refuses to everyone (GET on a POST-only page) shows nothing either.
            if not ok and status == 405:
                ok = walk.request(director, method, path)[0] == 405
            if not ok:
                problems.append((method, path, status, location or body[:200]))
    assert problems == [], "\n" + "\n".join(map(repr, problems))
    assert checked > 250  # the walk really covered the project (pages twice, API once per method)


def test_nobody_opens_what_is_not_theirs(world):
    """Phase 1: those who may not see A (B, staff off A's team) walk everything first, while all of A's
    objects still exist; phase 2: A, A's care team, the director and the front desk (their posts may change
    A's records). Every answer is read for patients its reader may not see."""
    schema = walk.api_methods()
    routes = [r for r in walk.routes() if r not in walk.PUBLIC | walk.NOT_FOUND_FOR_EVERYONE]
    blind = [label for label, rel in world.relation.items() if rel in ("other patient", "off team")]
    sighted = [label for label, rel in world.relation.items() if rel in ("owner", "care team", "sees all")]
    assert {world.relation[label] for label in blind} == {"other patient", "off team"}
    problems, reached = [], {}
    for label in blind + sighted:
        client = _client(world.users[label])
        for route in routes:
            path = walk.fill(route, world)
            for method in walk.methods_of(route, schema):
                status, body, location = walk.request(client, method, path)
                if status >= 500:
                    problems.append((label, method, path, status, body[-600:]))
                    continue
                if named := walk.leaks(world, label, body):
                    problems.append((label, method, path, status, f"names {named}"))
                if not walk.names_patient_object(route):
                    continue
                if label in blind and status not in (403, 404):
                    # Refused before the object is looked up, alike for any id (405, or 422 on an empty body,
                    # or a GET on a POST-only page sent back to its list): existence is not revealed.
                    probe, _, probe_location = walk.request(client, method, walk.fill(route, world, missing=True))
                    if not ((status, location) == (probe, probe_location) and status in (302, 400, 405, 422)):
                        problems.append((label, method, path, status, f"expected 404/403 (unknown id: {probe})"))
                if label in sighted and status not in (404, 405):
                    reached[route] = status
    assert problems == [], "\n" + "\n".join(map(repr, problems))
    # The fill is right: each route naming A's objects was found (neither 404 nor 405) by someone who may see
    # A, else the 404s above would prove nothing.
    assert sorted({r for r in routes if walk.names_patient_object(r)} - set(reached)) == []
