"""The chart page's "Export as FHIR" download: the same Bundle as the API and the command line."""

from django.http import HttpResponse

from ketamine_clinic import access

from . import services


@access.patient_view("clinical")
def patient_bundle(request, patient):
    body = services.export_patient(request, patient, via="chart page")
    response = HttpResponse(body, content_type="application/fhir+json")
    response["Content-Disposition"] = f'attachment; filename="{patient.mrn}-fhir-bundle.json"'
    return response
