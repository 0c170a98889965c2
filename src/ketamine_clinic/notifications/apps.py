from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "ketamine_clinic.notifications"
    label = "notifications"
    verbose_name = "Notifications"
