"""The read-only FHIR REST endpoint under /fhir/: application/fhir+json answers, every refusal an OperationOutcome
(404 unknown or not visible, 400 a bad search parameter, 403 the role, 405 anything but GET), never an HTML page.

Each view goes through the gate's decorators (anonymous users are sent to log in, as for the pages); the work is
``rest``'s."""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse

from ketamine_clinic import access
from ketamine_clinic.outcomes.models import MeasureResponse
from ketamine_clinic.sessions.models import DosingSession

from . import rest

FHIR_JSON = "application/fhir+json"


def _answer(resource, status=200):
    return HttpResponse(resource.model_dump_json(), status=status, content_type=FHIR_JSON)


def _refusal(status, code, text):
    return _answer(rest.outcome(code, text), status)


def fhir(view):
    """The endpoint's answers to what the gate and the search refuse, as OperationOutcomes; GET (and HEAD) only.
    Outside the gate's decorator, whose ``access_area`` it keeps (``wraps`` copies it)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = _refusal(405, "not-supported", "This FHIR endpoint is read-only: GET only.")
            response["Allow"] = "GET"
            return response
        try:
            return view(request, *args, **kwargs)
        except Http404 as exc:
            return _refusal(404, "not-found", str(exc) or "Not found.")
        except PermissionDenied as exc:
            return _refusal(403, "forbidden", str(exc) or "Your role may not read this.")
        except rest.BadSearch as exc:
            return _refusal(400, "invalid", str(exc))

    return wrapper


@fhir
@access.signed_in_view
def metadata(request):
    return _answer(rest.capability_statement())


@fhir
@access.patient_view(rest.AREA["Patient"])
def read_patient(request, patient):
    return _answer(rest.read_patient(patient))


_SESSIONS = DosingSession.objects.select_related("patient")


@fhir
@access.record_view(_SESSIONS, rest.AREA["Encounter"], kwarg="session_id")
def read_encounter(request, session):
    return _answer(rest.read_session_resource(session, "Encounter"))


@fhir
@access.record_view(_SESSIONS, rest.AREA["MedicationAdministration"], kwarg="session_id")
def read_administration(request, session):
    return _answer(rest.read_session_resource(session, "MedicationAdministration"))


@fhir
@access.record_view(MeasureResponse.objects.select_related("patient"), rest.AREA["QuestionnaireResponse"],
                    kwarg="measure_response_id")
def read_questionnaire_response(request, administration):
    return _answer(rest.read_questionnaire_response(administration))


@fhir
@access.signed_in_view
def read_other(request, resource_type, resource_id):
    """Observations (their ids name the record they come from) and any id the typed routes do not match: 404."""
    if resource_type != "Observation":
        raise Http404(f"No {resource_type} {resource_id} here.")
    return _answer(rest.read_observation(request, resource_id))


@fhir
@access.signed_in_view
def search(request, resource_type):
    pairs = [(k, v) for k in request.GET for v in request.GET.getlist(k)]
    return _answer(rest.search(request, resource_type, pairs, request.build_absolute_uri()))


@fhir
@access.staff_view("bulk_export")
def bulk_export(request):
    """The whole clinic as NDJSON, streamed as it is built (synchronous: no kick-off job and status URL)."""
    unknown = sorted(set(request.GET) - {"_type", "_outputFormat"})
    if unknown:
        raise rest.BadSearch(f"$export does not take {', '.join(unknown)} here (it takes _type and _outputFormat).")
    if request.GET.get("_outputFormat", "application/fhir+ndjson") not in (
            "application/fhir+ndjson", "application/ndjson", "ndjson"):
        raise rest.BadSearch("_outputFormat: only NDJSON (application/fhir+ndjson) is written.")
    kinds = rest.bulk_types(request.GET.get("_type"))
    resources = rest.start_bulk_export(request, kinds, via="FHIR $export")
    response = StreamingHttpResponse((line for _, line in resources), content_type="application/fhir+ndjson")
    response["Content-Disposition"] = 'attachment; filename="clinic-export.ndjson"'
    return response
