"""Panels of the staff dashboard, each an HTMX-loaded fragment owned by its clinical app (URL names)."""

from ketamine_clinic.navigation import reverse_or_none

DASHBOARD_PANELS = [
    "outcomes:urgent_tasks_panel",
    "sessions:board_panel",
    "followup:worklist_panel",
]


def panel_urls():
    return [url for url in (reverse_or_none(name) for name in DASHBOARD_PANELS) if url]
