from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("two-factor/recovery-codes/", views.recovery_codes, name="recovery_codes"),
]
