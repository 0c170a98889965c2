"""The FHIR REST endpoint's URL map, mounted at /fhir/ (FHIR's own paths: [type]/[id], [type]?params, metadata).

The typed reads come first, their ids the Bundle's ("patient-<n>", "encounter-<n>", ...); anything else under a type
is ``read_other`` (Observations, whose ids name their source, and 404 for the rest)."""

from django.urls import path

from . import fhir_views as views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("$export", views.bulk_export, name="export"),
    path("Patient/patient-<int:patient_id>", views.read_patient, name="patient"),
    path("Encounter/encounter-<int:session_id>", views.read_encounter, name="encounter"),
    path("MedicationAdministration/medicationadministration-<int:session_id>", views.read_administration,
         name="medication_administration"),
    path("QuestionnaireResponse/questionnaireresponse-<int:measure_response_id>", views.read_questionnaire_response,
         name="questionnaire_response"),
    path("<str:resource_type>", views.search, name="search"),
    path("<str:resource_type>/<str:resource_id>", views.read_other, name="read"),
]
