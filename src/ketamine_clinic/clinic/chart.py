"""The tabs of the patient chart: (label, URL name taking patient_id, access area).

Each clinical app owns its tab page at the URL name listed here; a tab whose URL is not defined yet, or
whose area the user's role may not read, is not shown.
"""

from django.urls import reverse

from ketamine_clinic import access

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
        if access.can(user, area, "read"):
            tabs.append({"label": label, "url": reverse(url_name, args=[patient.pk]), "active": url_name == active_url_name})
    return tabs
