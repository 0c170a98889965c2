"""Top navigation: (label, URL name, access area). Shown to a user only if their role may read the area.

A URL name that is not (yet) defined is skipped, so each clinical app adds its page by defining the name.
"""

from django.urls import NoReverseMatch, reverse

from . import access

NAV = [
    ("Patients", "patients:list", "registry"),
    ("Schedule", "scheduling:day", "schedule"),
    ("Sessions board", "sessions:board", "clinical"),
    ("Measures due", "outcomes:due", "measures"),
    ("Controlled substances", "inventory:home", "inventory"),
    ("Consent documents", "assessment:consent_documents", "prescribing"),
    ("Follow-up", "followup:worklists", "clinical"),
    ("Clinic outcomes", "followup:dashboard", "clinic_reports"),
    ("Audit log", "audit:log", "audit"),
    ("Staff", "staff:list", "staff_admin"),
    ("My care", "portal:home", "self_report"),
]


def reverse_or_none(url_name: str, *args):
    try:
        return reverse(url_name, args=args)
    except NoReverseMatch:
        return None


def nav_links(user):
    links = []
    for label, url_name, area in NAV:
        # Patients' own pages are the portal; staff pages are not for them even where an area is readable.
        if user.is_patient != (url_name == "portal:home"):
            continue
        url = reverse_or_none(url_name)
        if url and access.can(user, area, "read"):
            links.append({"label": label, "url": url, "name": url_name})
    return links
