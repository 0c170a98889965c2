"""Walk every URL the project defines: nobody anonymous sees anything, and a patient opens nothing of
another patient's. Guards new pages against a forgotten permission check, whoever writes them."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

PUBLIC = {"/login/", "/logout/", "/api/docs", "/api/openapi.json"}


def _patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route


def _concrete(route: str, number: int) -> str | None:
    """Fill path converters with a number (object ids) or a plausible word; skip regex-only routes."""
    if route.startswith("^") or "(?P" in route:
        return None
    path = re.sub(r"<int:[^>]+>", str(number), route)
    path = re.sub(r"<(str|slug):[^>]+>", "iv", path)
    path = re.sub(r"<path:[^>]+>", "x", path)
    path = re.sub(r"\{[^}]+\}", str(number), path)  # ninja style
    if "<" in path:
        return None
    return "/" + path.lstrip("^").rstrip("$")


@pytest.mark.django_db
def test_anonymous_users_get_nothing(client, staff, make_patient):
    patient = make_patient(care_team=[staff["prescriber"]])
    checked = 0
    for route in sorted(set(_patterns())):
        path = _concrete(route, patient.pk)
        if path is None or path in PUBLIC or path.startswith("/static"):
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            checked += 1
            assert response.status_code in (301, 302, 401, 403, 404, 405), (method, path, response.status_code)
            if response.status_code in (301, 302):
                assert "/login/" in response.url or response.url.endswith("/"), (path, response.url)
    assert checked > 50  # the walk really covered the project


@pytest.mark.django_db
def test_a_patient_opens_nothing_of_another_patient(client_as, staff, make_patient):
    me = make_patient(care_team=[staff["prescriber"]], with_login=True)
    other = make_patient(care_team=[staff["prescriber"]], with_login=True)
    client = client_as(me.user)
    leaks = []
    for route in sorted(set(_patterns())):
        if "patient" not in route:
            continue
        path = _concrete(route, other.pk)
        if path is None:
            continue
        response = client.get(path)
        body = response.content.decode(errors="replace") if response.status_code == 200 else ""
        if response.status_code == 200 and (other.mrn in body or other.first_name in body):
            leaks.append(path)
    assert leaks == []
