"""The controlled-substance pages under /inventory/. The pages about a session's drug (draw/, waste/,
movement/, reconciliation/) are ``ketamine_clinic.sessions.custody_urls``, joined to these in the root URL map
under the same "inventory" namespace."""

from django.urls import path

from . import views

app_name = "inventory"

urlpatterns = [
    path("", views.home, name="home"),
    path("receive/", views.receive, name="receive"),
    path("counts/", views.counts, name="counts"),
    path("counts/new/<int:location_id>/", views.count_new, name="count_new"),
    path("discrepancies/", views.discrepancies, name="discrepancies"),
    path("discrepancies/<int:pk>/resolve/", views.resolve, name="resolve"),
    path("log/", views.log, name="log"),
    path("report/", views.inventory_report, name="report"),
]
