"""FHIR export through the JSON API: ``GET /api/fhir/patient/{patient_id}/bundle`` (a FHIR R4 Bundle)."""

from django.http import HttpResponse
from ninja import Router

from ketamine_clinic import access

from . import services

router = Router(tags=["fhir"])


# Answered as application/fhir+json (FHIR's own media type), so the schema says so instead of ninja's JSON.
FHIR_JSON = {"responses": {"200": {"description": "A FHIR R4 Bundle (type collection) of the patient's record.",
                                   "content": {"application/fhir+json": {"schema": {"type": "object"}}}}}}


@router.get("/patient/{patient_id}/bundle", openapi_extra=FHIR_JSON,
            summary="The patient's record as a FHIR R4 Bundle (collection), audited as an export")
def patient_bundle(request, patient_id: int):
    patient = access.open_patient(request, patient_id, "clinical")
    body = services.export_patient(request, patient, via="API")
    return HttpResponse(body, content_type="application/fhir+json")
