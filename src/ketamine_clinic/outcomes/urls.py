from django.urls import path

from . import views

app_name = "outcomes"

urlpatterns = [
    path("patient/<int:patient_id>/", views.chart, name="chart"),
    path("patient/<int:patient_id>/administer/<str:instrument>/", views.administer, name="administer"),
    path("due/", views.due, name="due"),
    path("urgent-tasks/panel/", views.urgent_tasks_panel, name="urgent_tasks_panel"),
    path("urgent-tasks/<int:task_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("self-report/", views.self_report_home, name="self_report_home"),
    path("self-report/done/<int:measure_response_id>/", views.self_report_done, name="self_report_done"),
    path("self-report/<str:instrument>/", views.self_report, name="self_report"),
]
