"""Content-Security-Policy: every page says scripts come only from the app's own static files, and no template
needs an inline script or an on*= handler to work (so the policy can forbid them without breaking a page)."""

import re
from pathlib import Path

import ketamine_clinic

PACKAGE = Path(ketamine_clinic.__file__).parent
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_pages_send_a_policy_that_forbids_inline_and_foreign_scripts(staff, client_as, make_patient):
    patient = make_patient(care_team=[staff["nurse"]])
    client = client_as(staff["nurse"])
    for url in ("/", f"/patients/{patient.pk}/", "/login/"):
        policy = _policy(client.get(url))
        assert policy["script-src"] == ["'self'"], url
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"], url
        assert "'unsafe-inline'" not in policy["default-src"] and "'unsafe-eval'" not in policy["script-src"]


def test_no_template_has_an_inline_script_or_event_handler():
    offenders = []
    for template in PACKAGE.rglob("templates/**/*.html"):
        text = template.read_text()
        for pattern in (INLINE_SCRIPT, HANDLER):
            offenders += [f"{template.relative_to(PACKAGE)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert offenders == []


def test_the_patterns_do_catch_what_they_look_for():
    # The scan above is only worth something if it would see an offender.
    assert INLINE_SCRIPT.search("<p><script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/clinic.js" defer></script>')
    assert HANDLER.search('<button onclick="window.print()">')
    assert not HANDLER.search('<button data-print type="button">')
