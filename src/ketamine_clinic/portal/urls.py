from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("appointments/", views.appointments, name="appointments"),
    path("appointments/<int:appointment_id>/request/", views.appointment_request, name="appointment_request"),
    path("instructions/", views.instructions, name="instructions"),
    path("scores/", views.scores, name="scores"),
    path("consents/", views.consents, name="consents"),
    path("messages/", views.message_thread, name="messages"),
    path("journal/", views.journal, name="journal"),
    path("journal/new/", views.journal_new, name="journal_new"),
    path("journal/<int:entry_id>/", views.journal_edit, name="journal_edit"),
    path("journal/<int:entry_id>/share/", views.journal_share, name="journal_share"),
]
