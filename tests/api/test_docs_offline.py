"""/api/docs works on a machine without internet: Swagger UI comes from the app's own static files.

(Before, ninja linked Swagger UI from a CDN: a blank page offline, and a script from another origin that the
Content-Security-Policy, script-src 'self', refuses anyway.)
"""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.django_db


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls, self.inline_scripts = [], []
        self._in_script = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href"):
            if attrs.get(name):
                self.urls.append(attrs[name])
        if tag == "script" and not attrs.get("src"):
            self._in_script = attrs.get("type", "text/javascript")

    def handle_data(self, data):
        if self._in_script is not None and data.strip():
            self.inline_scripts.append((self._in_script, data.strip()[:60]))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None


def test_the_docs_page_loads_only_same_origin_assets_that_the_app_serves(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = _Assets()
    page.feed(response.content.decode())
    assert any("swagger-ui-bundle" in url for url in page.urls), page.urls
    other_hosts = [url for url in page.urls if urlsplit(url).netloc or url.startswith("//")]
    assert other_hosts == []
    for url in page.urls:  # each one is there, from the app server itself (WhiteNoise)
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(b"".join(asset.streaming_content) if asset.streaming else asset.content) > 100, url


def test_the_docs_page_needs_no_inline_script_under_the_content_security_policy(client):
    response = client.get("/api/docs")
    page = _Assets()
    page.feed(response.content.decode())
    # The only inline <script> is Swagger's settings as JSON data, which a browser never runs.
    assert [kind for kind, _ in page.inline_scripts] == ["application/json"]
    policy = response.get("Content-Security-Policy", "")
    if policy:  # when the policy is on (settings.CONTENT_SECURITY_POLICY), scripts come from this origin only
        script_src = next(d for d in policy.split(";") if d.strip().startswith(("script-src", "default-src")))
        assert "'unsafe-inline'" not in script_src
