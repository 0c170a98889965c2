from django.apps import AppConfig


class PredictionConfig(AppConfig):
    """Predicted concentration curves for a patient (no models: pages and API over core.pharmacology)."""

    name = "ketamine_clinic.prediction"
    label = "prediction"
