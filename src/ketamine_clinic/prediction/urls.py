from django.urls import path

from . import views

app_name = "prediction"

urlpatterns = [
    path("patient/<int:patient_id>/curve/", views.patient_curve, name="patient_curve"),
    path("session/<int:session_id>/curve/", views.session_curve, name="session_curve"),
    path("patient/<int:patient_id>/protocols/", views.protocol_comparison, name="protocol_comparison"),
]
