from django.apps import AppConfig


class SessionsConfig(AppConfig):
    name = "ketamine_clinic.sessions"
    label = "dosing"  # "sessions" is taken by django.contrib.sessions
