"""The JSON API (django-ninja) at /api/, OpenAPI schema at /api/openapi.json, docs at /api/docs.

Every endpoint needs a logged-in session (cookie; ninja's session auth checks CSRF on writes) and goes through the same permission
layer as the pages (``ketamine_clinic.access``). Validation errors come back as 422 with the field named.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.security import django_auth

from .accounts.api import router as staff_router
from .assessment.api import router as assessment_router
from .audit.api import router as audit_router
from .followup.api import router as followup_router
from .inventory.api import router as inventory_router
from .outcomes.api import router as outcomes_router
from .patients.api import router as patients_router
from .plans.api import router as plans_router
from .portal.api import router as portal_router
from .prediction.api import router as prediction_router
from .scheduling.api import router as scheduling_router
from .sessions.api import router as sessions_router

api = NinjaAPI(
    title="ketamine-clinic API",
    version="1",
    description="Clinical records of a ketamine-therapy programme. Supports clinicians' decisions; never replaces them.",
    auth=django_auth,
)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return api.create_response(request, {"detail": str(exc) or "You do not have permission to do that."}, status=403)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": str(exc) or "Not found."}, status=404)


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": detail}, status=422)


api.add_router("/patients/", patients_router)
api.add_router("/audit/", audit_router)
api.add_router("/staff/", staff_router)
api.add_router("/assessment/", assessment_router)
api.add_router("/plans/", plans_router)
api.add_router("/schedule/", scheduling_router)
api.add_router("/sessions/", sessions_router)
api.add_router("/outcomes/", outcomes_router)
api.add_router("/inventory/", inventory_router)
api.add_router("/followup/", followup_router)
api.add_router("/portal/", portal_router)
api.add_router("/prediction/", prediction_router)
