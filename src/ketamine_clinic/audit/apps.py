from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ketamine_clinic.audit"
    label = "audit"
