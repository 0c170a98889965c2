from django.urls import path

from . import views

app_name = "prediction"

urlpatterns = [
    path("patient/<int:patient_id>/curve/", views.patient_curve, name="patient_curve"),
]
