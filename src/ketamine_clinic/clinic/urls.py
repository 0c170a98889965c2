from django.urls import path

from . import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("new/", views.patient_create, name="create"),
    path("me/", views.my_record, name="me"),
    path("<int:patient_id>/", views.chart, name="chart"),
    path("<int:patient_id>/edit/", views.patient_edit, name="edit"),
    path("<int:patient_id>/diagnoses/", views.diagnosis_add, name="diagnosis_add"),
    path("<int:patient_id>/care-team/", views.care_team_change, name="care_team"),
]
