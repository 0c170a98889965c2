"""/api/docs renders the API's operations with every other host blocked, under the Content-Security-Policy."""

from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_swagger_ui_renders_every_operation_offline(page, live_server):
    from ketamine_clinic.api import api

    operations = sum(len(ops) for ops in api.get_openapi_schema()["paths"].values())
    own = urlsplit(live_server.url).netloc
    elsewhere, violations = [], []

    def only_this_server(route):
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:  # as on a clinic machine without internet
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{live_server.url}/api/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() == operations
    assert "ketamine-clinic API" in page.locator(".info .title").inner_text()
    assert elsewhere == []
    assert violations == []
