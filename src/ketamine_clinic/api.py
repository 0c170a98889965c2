"""The JSON API (django-ninja) at /api/, OpenAPI schema at /api/openapi.json, docs at /api/docs.

Every endpoint needs a logged-in session (cookie; ninja's session auth checks CSRF on writes) and goes through the same permission
layer as the pages (``ketamine_clinic.access``). Validation errors come back as 422 with the field named.

Every error answer has one shape, ``Error`` (``{"detail": ...}``), and every operation's schema lists the errors it
can answer (see ``ClinicAPI.get_openapi_schema``), so a client knows them from the schema alone.
"""

import functools

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from ninja import NinjaAPI
from ninja.security import django_auth

from .accounts.api import router as staff_router
from .api_types import Error
from .assessment.api import router as assessment_router
from .billing.api import router as billing_router
from .clinic.api import router as patients_router
from .clinic.audit_api import router as audit_router
from .clinic.site_api import router as site_router
from .followup.api import router as followup_router
from .interop.api import router as fhir_router
from .inventory.api import router as inventory_router
from .notifications.api import router as notifications_router
from .outcomes.api import router as outcomes_router
from .plans.api import router as plans_router
from .portal.api import router as portal_router
from .prediction.api import router as prediction_router
from .scheduling.api import router as scheduling_router
from .sessions.api import router as sessions_router
from .sessions.custody_api import router as session_custody_router
from .sessions.rems_api import router as session_rems_router
from .validation import error_messages

# Why each error can be answered, and which operations can answer it (see ClinicAPI.get_openapi_schema).
ERRORS = {
    "400": "The request body is not JSON.",
    "401": "Not logged in.",
    "403": "Your role may not do this.",
    "404": "Not found, or not one of your patients (the same answer, so ids reveal nothing).",
    "409": "Someone else changed this record since you read it: read it again and retry.",
    "422": "A value is refused: wrong type or range, or a clinic rule.",
}


def _one_transaction(view):
    """Run ``view`` and render its answer in one transaction: an answer that fails after the write (a 500)
    takes the write back with it, so a client that retries a 500 never duplicates what it sent.

    (A refused request, 4xx, keeps what was written on purpose: the audit log's "denied" records. The services
    take their own refused writes back with their own atomic blocks.)
    """

    @functools.wraps(view)
    def run(request, *args, **kwargs):
        with transaction.atomic():
            response = view(request, *args, **kwargs)
            if response.status_code >= 500:  # ninja's debug traceback answer: no exception, still a failure
                transaction.set_rollback(True)
        return response

    return run


class ClinicAPI(NinjaAPI):
    """NinjaAPI whose every request is one transaction (``_one_transaction``) and whose schema documents, on
    every operation, the error answers it can give (with ``Error``)."""

    def _get_urls(self):
        urls = super()._get_urls()
        for pattern in urls:
            pattern.callback = _one_transaction(pattern.callback)
        return urls

    def get_openapi_schema(self, **kwargs):
        schema = super().get_openapi_schema(**kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = Error.model_json_schema()
        ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                codes = ["401", "403"]  # every operation needs a session, and a role that may use it
                if "requestBody" in operation:
                    codes.append("400")
                # Path ids name an object; body ids too (a lot, a storage location, a session).
                if "requestBody" in operation or any(p["in"] == "path" for p in operation.get("parameters", ())):
                    codes.append("404")
                # Any value sent can be refused; a read without parameters can still break a clinic rule.
                codes.append("422")
                responses = {str(code): answer for code, answer in operation["responses"].items()}
                for code in codes:
                    responses.setdefault(code, {})
                for code, answer in responses.items():
                    if code in ERRORS:  # added here, or declared by the router (409): the common shape
                        answer.update({"description": ERRORS[code], **ref})
                operation["responses"] = responses
        return schema


api = ClinicAPI(
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
    return api.create_response(request, {"detail": error_messages(exc)}, status=422)


api.add_router("/patients/", patients_router)
api.add_router("/audit/", audit_router)
api.add_router("/staff/", site_router)  # the clinic setting: the director's, before the accounts' /{staff_id} takes its path
api.add_router("/staff/", staff_router)
api.add_router("/assessment/", assessment_router)
api.add_router("/plans/", plans_router)
api.add_router("/schedule/", scheduling_router)
api.add_router("/sessions/", sessions_router)
api.add_router("/sessions/", session_rems_router)  # the SPRAVATO REMS monitoring form of a session
api.add_router("/outcomes/", outcomes_router)
api.add_router("/inventory/", inventory_router)
api.add_router("/inventory/", session_custody_router)  # draw, waste, movements, reconciliation: sessions' drug
api.add_router("/followup/", followup_router)
api.add_router("/portal/", portal_router)
api.add_router("/prediction/", prediction_router)
api.add_router("/fhir/", fhir_router)
api.add_router("/billing/", billing_router)
api.add_router("/notifications/", notifications_router)
