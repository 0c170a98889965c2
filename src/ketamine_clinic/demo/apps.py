from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Installed only for the ``seed_demo`` management command; the package has no models."""

    name = "ketamine_clinic.demo"
    verbose_name = "Synthetic demo clinic"
