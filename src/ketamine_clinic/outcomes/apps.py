from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "ketamine_clinic.outcomes"
    label = "outcomes"
