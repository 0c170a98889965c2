from django.urls import path

from . import site_views as views

app_name = "clinic"

urlpatterns = [
    path("setting/", views.site_setting, name="site"),
]
