"""The tabs of the patient chart: (label, URL name taking patient_id, access area).

Each clinical app owns its tab page at the URL name listed here; a tab whose URL is not defined yet, or
whose area the user's role may not read, is not shown.
"""

from ketamine_clinic import access
from ketamine_clinic.navigation import reverse_or_none

CHART_TABS = [
    ("Overview", "patients:chart", "demographics"),
    ("Assessment & consent", "assessment:chart", "clinical"),
    ("Plan", "plans:chart", "clinical"),
    ("Appointments", "scheduling:chart", "schedule"),
    ("Sessions", "sessions:chart", "clinical"),
    ("Outcomes", "outcomes:chart", "measures"),
    ("Integration & follow-up", "followup:chart", "clinical"),
]


def chart_tabs(user, patient, active_url_name: str | None = None):
    tabs = []
    for label, url_name, area in CHART_TABS:
        url = reverse_or_none(url_name, patient.pk)
        if url and access.can(user, area, "read"):
            tabs.append({"label": label, "url": url, "active": url_name == active_url_name})
    return tabs
