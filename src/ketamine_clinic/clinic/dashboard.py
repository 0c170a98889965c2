"""Panels of the staff dashboard, each an HTMX-loaded fragment owned by its clinical app.

Each panel is (URL name, access area). A panel is offered only to roles that may read its area: the dashboard
loads every panel it lists, and a panel the role may not read would answer 403 and sit at "Loading…" forever
(the front desk's dashboard did exactly that).
"""

from django.urls import reverse

from ketamine_clinic import access

DASHBOARD_PANELS = [
    ("outcomes:urgent_tasks_panel", "measures", None),
    ("sessions:board_panel", "clinical", None),
    ("followup:worklist_panel", "clinical", None),
    # The desk's day (arrivals, rides home, tomorrow's calls): for those who run the desk, not every clinician.
    ("scheduling:arrivals_panel", "schedule", frozenset({"front_desk", "director"})),
]


def panel_urls(user=None):
    """The panel URLs ``user`` may load (every panel when ``user`` is None)."""
    urls = []
    for name, area, roles in DASHBOARD_PANELS:
        if user is None or (access.can(user, area, "read") and (roles is None or user.role in roles)):
            urls.append(reverse(name))
    return urls
