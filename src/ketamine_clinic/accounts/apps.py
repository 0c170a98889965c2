from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ketamine_clinic.accounts"
    label = "accounts"
