from django.urls import path

from . import views

app_name = "interop"

urlpatterns = [
    path("patient/<int:patient_id>/fhir-bundle", views.patient_bundle, name="patient_bundle"),
    path("import/", views.referral_import, name="referral_import"),
    path("import/confirm/", views.referral_import_confirm, name="referral_import_confirm"),
]
