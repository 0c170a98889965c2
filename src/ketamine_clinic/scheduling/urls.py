from django.urls import path

from . import views

app_name = "scheduling"

urlpatterns = [
    path("day/", views.day, name="day"),
    path("arrivals/panel/", views.arrivals_panel, name="arrivals_panel"),
    path("requests/<int:request_id>/handled/", views.change_request_handled, name="change_request_handled"),
    path("patient/<int:patient_id>/", views.chart, name="chart"),
    path("patient/<int:patient_id>/book/", views.book, name="book"),
    path("patient/<int:patient_id>/calendar.ics", views.ical, name="ical"),
    path("plan/<int:plan_id>/generate/", views.generate, name="generate"),
    path("appointment/<int:appointment_id>/reschedule/", views.reschedule, name="reschedule"),
    path("appointment/<int:appointment_id>/cancel/", views.cancel, name="cancel"),
]
