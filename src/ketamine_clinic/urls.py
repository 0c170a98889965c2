"""URL map: one prefix per clinical area; each app owns the paths under its prefix."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import access, health, views
from .api import api
from .inventory import urls as inventory_urls
from .sessions import custody_urls

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("login/", access.public(auth_views.LoginView.as_view(template_name="registration/login.html")), name="login"),
    path("logout/", access.public(auth_views.LogoutView.as_view()), name="logout"),
    path("account/", include("ketamine_clinic.accounts.urls")),
    path("staff/", include("ketamine_clinic.accounts.staff_urls")),
    path("api/", api.urls),
    path("audit/", include("ketamine_clinic.clinic.audit_urls")),
    path("patients/", include("ketamine_clinic.clinic.urls")),
    path("clinic/", include("ketamine_clinic.clinic.site_urls")),
    path("assessment/", include("ketamine_clinic.assessment.urls")),
    path("plans/", include("ketamine_clinic.plans.urls")),
    path("schedule/", include("ketamine_clinic.scheduling.urls")),
    path("sessions/", include("ketamine_clinic.sessions.urls")),
    path("outcomes/", include("ketamine_clinic.outcomes.urls")),
    # The session pages of the controlled-substance area (draw, waste, movement, reconciliation) live with the
    # sessions they serve; one "inventory" namespace, the same paths.
    path("inventory/", include((inventory_urls.urlpatterns + custody_urls.urlpatterns, "inventory"))),
    path("followup/", include("ketamine_clinic.followup.urls")),
    path("portal/", include("ketamine_clinic.portal.urls")),
    path("prediction/", include("ketamine_clinic.prediction.urls")),
    path("interop/", include("ketamine_clinic.interop.urls")),
    path("fhir/", include("ketamine_clinic.interop.fhir_urls")),
    path("billing/", include("ketamine_clinic.billing.urls")),
    path("notifications/", include("ketamine_clinic.notifications.urls")),
]
