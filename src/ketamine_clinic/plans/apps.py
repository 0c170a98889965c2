from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "ketamine_clinic.plans"
    label = "plans"
