"""FHIR through the JSON API: ``GET /api/fhir/patient/{patient_id}/bundle`` (a FHIR R4 Bundle out) and a referral's
Bundle in, ``POST /api/fhir/import/preview`` then ``POST /api/fhir/import``."""

from django.http import HttpResponse
from ninja import Field, Router, Schema
from ninja.responses import Status

from ketamine_clinic import access

from . import importing, services

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


# A referral's Bundle in: the request body is the Bundle itself (application/fhir+json or application/json).
FHIR_BODY = {"requestBody": {"required": True, "description": "A FHIR R4 Bundle: the referral (Patient, Condition, "
                             "AllergyIntolerance, MedicationStatement, Observation).",
                             "content": {"application/fhir+json": {"schema": {"type": "object"}}}}}


class ImportItem(Schema):
    kind: str
    text: str
    path: str


class ImportPreviewOut(Schema):
    summary: str
    patient_id: int | None = Field(None, description="The matched chart; null for a new patient")
    matched_by: str = Field(description='"MRN", "name and birth date", or "" for a new patient')
    create: list[ImportItem]
    already: list[ImportItem] = Field(description="On the chart already: not added again")
    not_imported: list[ImportItem] = Field(description="What the clinic keeps no place for")


class ImportOut(ImportPreviewOut):
    patient_id: int


def _items(items):
    return [ImportItem(kind=i.kind, text=i.text, path=i.path) for i in items]


def _preview_out(plan, patient_id=None):
    return {"summary": plan.summary, "patient_id": patient_id or (plan.patient.pk if plan.patient else None),
            "matched_by": plan.matched_by, "create": _items(plan.create), "already": _items(plan.already),
            "not_imported": _items(plan.not_imported)}


@router.post("/import/preview", response=ImportPreviewOut, openapi_extra=FHIR_BODY,
             summary="What importing a referral's Bundle would create or merge (nothing is written)")
def import_preview(request):
    access.require(request.user, "registry", access.WRITE)
    return _preview_out(importing.preview(request, request.body))


@router.post("/import", response={201: ImportOut, 200: ImportOut}, openapi_extra=FHIR_BODY,
             summary="Import a referral's Bundle: a new or matched patient, in one transaction, audited; an invalid "
                     "Bundle is refused whole (422) with the FHIR path of each problem")
def import_bundle(request):
    access.require(request.user, "registry", access.WRITE)
    patient, plan = importing.import_bundle(request, request.body, via="API")
    return Status(201 if plan.patient is None else 200, _preview_out(plan, patient.pk))
