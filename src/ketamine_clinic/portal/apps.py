from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "ketamine_clinic.portal"
    label = "portal"
