"""Schemathesis against the live OpenAPI schema: no answer is a 500, and every answer is what the schema says.

The API is loaded from /api/openapi.json of the WSGI app itself and every operation is sent generated requests
(valid ones, with the path filled by real objects of the URL walk's world, and invalid ones) as the medical
director, whose session reaches every endpoint. Bounded and derandomized, so CI sees the same requests each run.
"""

import sys
import time
from pathlib import Path

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

sys.path.insert(0, str(Path(__file__).parents[1] / "access"))
import url_walk as walk  # noqa: E402  (the URL walk's world: every object the routes name, for patient A)

pytestmark = pytest.mark.django_db(transaction=False)

EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 8}
GENERATED_IDS = 3  # examples per operation whose path ids are generated too (0, negative, huge)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CSRF = "k" * 32  # the double-submit token: the same secret in the cookie and the header


def _path_values(world):
    values = {name: getattr(world, attr).pk for name, attr in walk.PATIENT_BEARING.items()}
    values |= {name: getattr(world, attr).pk for name, attr in walk.CLINIC_WIDE.items() if isinstance(name, str)}
    values |= {name: getattr(world, attr) for name, attr in walk.WORDS.items()}
    return values


@pytest.fixture
def wsgi_app():
    """The project's WSGI app, kept on the test's database connection (as Django's test client does: the end of
    the start and end of a request would otherwise close the connection that holds the test's transaction)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


class Fuzz:
    """Sends generated requests for one operation after another and collects, rather than raises, what fails."""

    def __init__(self, session_id):
        self.cookies = {"sessionid": session_id, "csrftoken": CSRF}
        self.failures, self.sent, self.statuses, self.failing_requests = {}, 0, {}, 0

    def run(self, operation, strategy, count):
        @settings(max_examples=count, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def send(case):
            self.sent += 1
            response = case.call(cookies=self.cookies, headers={"X-CSRFToken": CSRF})
            self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as group:  # collected, so one run reports every failing operation
                self.failing_requests += 1
                for failure in group.exceptions:
                    key = (operation.label, failure.title, response.status_code)
                    self.failures.setdefault(key, f"{failure.message[:1500]}\n{case.as_curl_command()[:1500]}")

        send()


def test_no_api_answer_is_a_server_error_or_off_schema(client_as, wsgi_app):
    world = walk.build_world()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app)
    fuzz = Fuzz(client_as(world.users["director:director"]).cookies["sessionid"].value)
    values = _path_values(world)
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        real = {p.name: values[p.name] for p in operation.path_parameters if p.name in values}
        for mode, count in EXAMPLES.items():
            # Mostly on the world's real objects (so requests reach the services), a few on generated ids.
            fuzz.run(operation, operation.as_strategy(generation_mode=mode, path_parameters=real), count)
        if real:
            fuzz.run(operation, operation.as_strategy(), GENERATED_IDS)
    elapsed = time.monotonic() - started
    server_errors = sum(1 for _, title, _ in fuzz.failures if title == "Server error")
    print(f"schemathesis: {fuzz.sent} requests in {elapsed:.0f} s, statuses {sorted(fuzz.statuses.items())}, "
          f"{fuzz.failing_requests} failing requests, {len(fuzz.failures)} distinct failures (operation, check, "
          f"status), {server_errors} of them server errors")
    assert fuzz.sent > 1000
    assert not fuzz.failures, "\n\n".join(f"{k}\n{v}" for k, v in fuzz.failures.items())
