from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "ketamine_clinic.assessment"
    label = "assessment"
