from django.apps import AppConfig


class ClinicConfig(AppConfig):
    """The registry and the audit trail at work: finding and registering patients, care teams, the chart hub, the
    dashboard and the audit log's pages. The data they show live below the gate (``patients``, ``audit``); these
    pages and services sit above it (``access``), so the gate never imports a page."""

    name = "ketamine_clinic.clinic"
    label = "clinic"
