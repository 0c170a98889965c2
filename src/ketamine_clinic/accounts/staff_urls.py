from django.urls import path

from . import staff_views

app_name = "staff"

urlpatterns = [
    path("", staff_views.staff_list, name="list"),
    path("new/", staff_views.staff_create, name="create"),
    path("<int:staff_id>/", staff_views.staff_detail, name="detail"),
    path("<int:staff_id>/password/", staff_views.staff_password, name="password"),
    path("<int:staff_id>/action/", staff_views.staff_action, name="action"),
]
