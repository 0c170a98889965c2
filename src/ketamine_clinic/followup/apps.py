from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "ketamine_clinic.followup"
    label = "followup"
