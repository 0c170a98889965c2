from django.urls import path

from . import views

app_name = "interop"

urlpatterns = [
    path("patient/<int:patient_id>/fhir-bundle", views.patient_bundle, name="patient_bundle"),
]
