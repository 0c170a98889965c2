from django.urls import path

from . import views

app_name = "followup"

urlpatterns = [
    path("", views.worklists, name="worklists"),
    path("panel/", views.worklist_panel, name="worklist_panel"),
    path("refresh/", views.refresh_all, name="refresh_all"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("patient/<int:patient_id>/", views.chart, name="chart"),
    path("patient/<int:patient_id>/notes/new/", views.note_new, name="note_new"),
    path("patient/<int:patient_id>/notes/<int:note_id>/sign/", views.note_sign, name="note_sign"),
    path("patient/<int:patient_id>/refresh/", views.refresh, name="refresh"),
    path("patient/<int:patient_id>/report/", views.report, name="report"),
    path("patient/<int:patient_id>/messages/", views.message_thread, name="messages"),
    path("patient/<int:patient_id>/messages/reply/", views.message_reply, name="message_reply"),
    path("suggestion/<int:suggestion_id>/accept/", views.suggestion_accept, name="suggestion_accept"),
    path("suggestion/<int:suggestion_id>/decline/", views.suggestion_decline, name="suggestion_decline"),
]
