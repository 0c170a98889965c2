"""Every page goes through the gate (issue 14): each URL pattern's view carries ``access_area``, which only
``ketamine_clinic.access``'s decorators set (patient_view, record_view, own_record_view, staff_view,
signed_in_view, public). A view without it decides access by hand, or not at all.

Walks the URL conf itself (``get_resolver()``, into every include), so a new page is checked the day it is added.
Skipped: ``/api/`` (ninja's dispatcher: its endpoints call ``access.open_patient``/``open_record``/``require``, and
``test_every_url_is_guarded`` walks them as every role), ``/static/`` and Django's own admin/static views.
"""

from django.urls import URLPattern, URLResolver, get_resolver

from ketamine_clinic import access

SKIPPED_PREFIXES = ("api/", "static/")
DJANGOS_OWN = ("django.contrib.admin", "django.contrib.staticfiles", "django.views.static")

# Every area a decorator of access.py may set: the permission table's areas and the two that are no area.
GATE_AREAS = set(access.PERMISSIONS) | {"public", "signed_in"}


def _patterns(resolver=None, prefix="", namespace=""):
    """(route, "namespace:name", callback) of every URL pattern, includes expanded."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry, route, inner)
        elif isinstance(entry, URLPattern):
            yield route, f"{namespace}{entry.name}" if entry.name else "", entry.callback


def _checked():
    for route, name, callback in _patterns():
        if route.startswith(SKIPPED_PREFIXES) or getattr(callback, "__module__", "").startswith(DJANGOS_OWN):
            continue
        yield route, name or route, callback


def test_the_walk_sees_the_project():
    names = {name for _, name, _ in _checked()}
    assert len(names) > 80
    assert {"home", "healthz", "login", "patients:chart", "portal:home", "plans:change"} <= names


def test_every_view_goes_through_the_gate():
    outside = sorted(
        f"{name} ({route}) -> {callback.__module__}.{callback.__qualname__}"
        for route, name, callback in _checked()
        if getattr(callback, "access_area", None) not in GATE_AREAS
    )
    assert outside == [], "Views that do not go through access.py's decorators:\n" + "\n".join(outside)
