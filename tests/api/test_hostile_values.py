"""Every body field of every API operation, given each value a careless or hostile client sends, one at a time.

The body around it is plausible (ids of the URL walk's real objects, text, today's date), so a value that passes
the schema reaches the services. Nulls, negatives, 40 nines, 1e308, 100 KB of text, impossible dates, times with
an offset, wrong types: the answer is never a 500 and always a status the operation's schema documents.
Deterministic: the same requests every run.
"""

import json
import sys
from pathlib import Path

import pytest
from django.utils import timezone

sys.path.insert(0, str(Path(__file__).parents[1] / "access"))
import url_walk as walk  # noqa: E402

pytestmark = pytest.mark.django_db

NUMBERS = [None, -1, 0, 10**40, 1e308, "9" * 40, "1e308", "-0.001", "NaN", "abc", True]
TEXT = [None, "", "x" * 100_000, 12, ["a"], {"a": 1}]
DATES = [None, "", "2026-02-30", "0000-01-01", "9999-12-31", "tomorrow", 20261201]
TIMES = [None, "", "25:00", "10:00:00+05:00", "10:00Z", "2026-12-01T10:00:00+14:00", "2026-12-01T10:00"]
OTHER = [None, "", -1, 10**40, "x" * 100_000, [], {}, [None], {"": None}]


def _plausible(name, prop, world):
    """A value of ``prop`` that a real client would send, so the request gets past the fields around the one tried."""
    from ketamine_clinic.inventory.models import Lot
    from ketamine_clinic.scheduling.models import Chair

    ids = {
        "session_id": world.session.pk, "lot_id": Lot.objects.first().pk, "location_id": world.location.pk,
        "to_location_id": world.location.pk, "chair_id": Chair.objects.first().pk, "document_id": world.document.pk,
        "corrects": world.ledger_entry.sequence,
    }
    nurse = next(u for label, u in world.users.items() if label.startswith("nurse:")
                 and world.relation[label] == "care team")
    if name in ids:
        return ids[name]
    if name in ("staff_id", "user_id", "second_checker_id"):
        return nurse.pk
    if name.endswith("username"):
        return nurse.username
    if name.endswith("password"):
        return "demo-password-1"
    kinds = {s.get("type") for s in prop.get("anyOf", [prop])} - {"null"}
    fmt = {s.get("format") for s in prop.get("anyOf", [prop])}
    if "date-time" in fmt:
        return timezone.now().isoformat()
    if "date" in fmt:
        return timezone.localdate().isoformat()
    if "pattern" in prop or any("pattern" in s for s in prop.get("anyOf", ())):
        return "09:30"
    if "enum" in prop:
        return prop["enum"][0]
    if kinds & {"integer"}:
        return 1
    if kinds & {"number"}:
        return "1"
    if kinds & {"boolean"}:
        return False
    if kinds & {"object"}:
        return {}
    if kinds & {"array"}:
        return []
    return "Synthetic"


def _hostile(prop):
    kinds = {s.get("type") for s in prop.get("anyOf", [prop])} - {"null"}
    fmt = {s.get("format") for s in prop.get("anyOf", [prop])}
    if fmt & {"date-time"} or "pattern" in json.dumps(prop):
        return TIMES
    if fmt & {"date"}:
        return DATES
    if kinds & {"integer", "number"}:
        return NUMBERS
    if kinds == {"string"}:
        return TEXT
    return OTHER


def _resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].split("/")[-1]]
    return node


def test_no_body_field_given_a_bad_value_gets_a_500(client_as):
    world = walk.build_world()
    client = client_as(world.users["director:director"])
    schema = client.get("/api/openapi.json").json()
    problems, sent, by_services = [], 0, 0
    for route in walk.routes():
        if not route.startswith("api/") or route in walk.PUBLIC | walk.NOT_FOUND_FOR_EVERYONE:
            continue
        key = "/" + walk._PARAM.sub(lambda m: "{" + m.group(2) + "}", route)
        for method, operation in schema["paths"].get(key, {}).items():
            if "requestBody" not in operation:
                continue
            if "application/json" not in operation["requestBody"]["content"]:
                continue  # a FHIR resource, not fields (tests/interop/test_fhir_import.py sends it bad Bundles)
            body_schema = _resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])
            props = {n: _resolve(schema, p) for n, p in body_schema.get("properties", {}).items()}
            base = {n: _plausible(n, p, world) for n, p in props.items()}
            path = walk.fill(route, world)
            for name, prop in props.items():
                for value in _hostile(prop):
                    body = json.dumps({**base, name: value})
                    sent += 1
                    try:
                        response = client.generic(method.upper(), path, body, content_type="application/json")
                        status = response.status_code
                        if status == 422 and isinstance(response.json()["detail"], dict):
                            by_services += 1  # past the schema: refused by the clinic's rules
                    except Exception as exc:  # the test client re-raises a view's exception: a 500 to a client
                        status = f"500 ({type(exc).__name__}: {str(exc)[:120]})"
                    if str(status).startswith("5") or str(status) not in operation["responses"]:
                        problems.append((method.upper(), key, name, repr(value)[:40], status))
    print(f"hostile values: {sent} requests, {by_services} refused by the services, {len(problems)} problems")
    assert sent > 1000 and by_services > 200  # the plausible bodies do reach the services
    assert problems == [], "\n".join(map(str, problems))
