from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("", views.sessions, name="sessions"),
    path("session/<int:session_id>/", views.session_codes, name="session_codes"),
]
