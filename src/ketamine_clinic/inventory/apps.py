from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "ketamine_clinic.inventory"
    label = "inventory"
