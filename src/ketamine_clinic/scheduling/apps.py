from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "ketamine_clinic.scheduling"
    label = "scheduling"
