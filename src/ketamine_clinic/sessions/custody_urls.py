"""The session pages of the controlled-substance area, under /inventory/ with the "inventory" URL names: the
root URL map adds these to ``ketamine_clinic.inventory.urls`` (one namespace, the paths they always had)."""

from django.urls import path

from . import custody_views

urlpatterns = [
    path("draw/", custody_views.draw, name="draw"),
    path("waste/", custody_views.waste, name="waste"),
    path("movement/", custody_views.movement, name="movement"),
    path("reconciliation/", custody_views.reconciliation, name="reconciliation"),
]
