from django.urls import path

from . import views

app_name = "inventory"

urlpatterns = [
    path("", views.home, name="home"),
    path("receive/", views.receive, name="receive"),
    path("draw/", views.draw, name="draw"),
    path("waste/", views.waste, name="waste"),
    path("movement/", views.movement, name="movement"),
    path("counts/", views.counts, name="counts"),
    path("counts/new/<int:location_id>/", views.count_new, name="count_new"),
    path("discrepancies/", views.discrepancies, name="discrepancies"),
    path("discrepancies/<int:pk>/resolve/", views.resolve, name="resolve"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("log/", views.log, name="log"),
    path("report/", views.inventory_report, name="report"),
]
