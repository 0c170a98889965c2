"""Top navigation: (label, URL name, access area). Shown to a user only if their role may read the area."""

from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from . import access

NAV = [
    ("Patients", "patients:list", "registry"),
    ("Schedule", "scheduling:day", "schedule"),
    ("Sessions board", "sessions:board", "clinical"),
    ("REMS forms", "sessions:rems_due", "clinical"),
    ("Measures due", "outcomes:due", "measures"),
    ("Controlled substances", "inventory:home", "inventory"),
    ("Consent documents", "assessment:consent_documents", "prescribing"),
    ("Follow-up", "followup:worklists", "clinical"),
    ("Clinic outcomes", "followup:dashboard", "clinic_reports"),
    ("Billing", "billing:sessions", "billing"),
    ("Audit log", "audit:log", "audit"),
    ("Outbox", "notifications:outbox", "outbox"),
    ("Staff", "staff:list", "staff_admin"),
    ("Clinic setting", "clinic:site", "clinic_settings"),
    ("My care", "portal:home", "self_report"),
]


def nav_links(user):
    links = []
    for label, url_name, area in NAV:
        # Patients' own pages are the portal; staff pages are not for them even where an area is readable.
        if user.is_patient != (url_name == "portal:home"):
            continue
        if access.can(user, area, "read"):
            links.append({"label": label, "url": reverse(url_name), "name": url_name})
    return links


def back_to(request, fallback: str) -> str:
    """The page a form came from (its ``next``), if it is on this site; else ``fallback``. A ``next`` pointing
    elsewhere is ignored, so a crafted link cannot send staff off-site after they act."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback
