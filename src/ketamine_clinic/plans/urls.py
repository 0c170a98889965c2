from django.urls import path

from . import views

app_name = "plans"

urlpatterns = [
    path("patient/<int:patient_id>/", views.chart, name="chart"),
    path("patient/<int:patient_id>/new/", views.create, name="create"),
    path("patient/<int:patient_id>/pdmp/", views.pdmp_check, name="pdmp_check"),
    path("plan/<int:plan_id>/change/", views.change, name="change"),
    path("plan/<int:plan_id>/status/", views.status, name="status"),
    path("plan/<int:plan_id>/titration/", views.titration_decision, name="titration"),
]
