from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("patient/<int:patient_id>/", views.chart, name="chart"),
    path("patient/<int:patient_id>/intake/", views.intake, name="intake"),
    path("patient/<int:patient_id>/previsit/", views.previsit, name="previsit"),
    path("patient/<int:patient_id>/treatments/", views.treatment_add, name="treatment_add"),
    path(
        "patient/<int:patient_id>/treatments/<int:treatment_id>/remove/",
        views.treatment_remove,
        name="treatment_remove",
    ),
    path("patient/<int:patient_id>/decision/", views.decision, name="decision"),
    path(
        "patient/<int:patient_id>/mismatch/<str:fact>/resolve/",
        views.resolve_mismatch,
        name="resolve_mismatch",
    ),
    path("patient/<int:patient_id>/consent/<str:route>/", views.consent, name="consent"),
    path("patient/<int:patient_id>/rems-enrolment/", views.rems_enrolment, name="rems_enrolment"),
    path("consent-documents/", views.consent_documents, name="consent_documents"),
    path("consent-documents/new/", views.consent_document_new, name="consent_document_new"),
]
