"""The read-only FHIR REST endpoint's work: the CapabilityStatement, reads and searches (searchset Bundles) and the
bulk NDJSON export, every resource built by the Bundle's own builder (``services.patient_resources``).

Logical ids are the Bundle's (``Patient/patient-12``, ``Encounter/encounter-40``, ``Observation/vitals-7-bp``...):
a resource read here and the same resource in an exported Bundle have one id.

Permission: the pages' gate. The faces (``fhir_views``) load the record through ``access``; searches list only
``access.visible_patients`` and check the area with ``access.can``; every read is audited "view", every search
"list" (with the ids shown), the bulk export "export".
"""

from __future__ import annotations

import dataclasses
import re
import zoneinfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle, BundleEntry, BundleEntrySearch, BundleLink
from fhir.resources.R4B.capabilitystatement import (
    CapabilityStatement,
    CapabilityStatementRest,
    CapabilityStatementRestResource,
    CapabilityStatementRestResourceInteraction,
    CapabilityStatementRestResourceOperation,
    CapabilityStatementRestResourceSearchParam,
    CapabilityStatementSoftware,
)
from fhir.resources.R4B.operationoutcome import OperationOutcome, OperationOutcomeIssue

from ketamine_clinic import access, audit
from ketamine_clinic.core.interop import search as date_search

from . import services

# What each type's read and search open: the area of the record it is part of (access.PERMISSIONS).
AREA = {
    "Patient": "demographics",
    "Encounter": "clinical",
    "MedicationAdministration": "clinical",
    "Observation": "clinical",
    "QuestionnaireResponse": "measures",
}
# The search parameters each type answers (anything else is refused with 400: a silently ignored filter would show
# more than was asked for). _count caps the entries of the answer.
SEARCH_PARAMS = {
    "Patient": {"_id": "token", "identifier": "token"},
    "Encounter": {"patient": "reference"},
    "MedicationAdministration": {"patient": "reference"},
    "Observation": {"patient": "reference", "code": "token", "date": "date"},
    "QuestionnaireResponse": {"patient": "reference"},
}
COMMON_PARAMS = {"_count", "_format"}
DEFAULT_COUNT, MAX_COUNT = 100, 1000
SEARCH_DOCS = {
    "_id": "The logical id (patient-<n>).",
    "identifier": "The medical record number, as [system|]MRN.",
    "patient": "Patient/<id> or <id>: whose record (a patient's own by default when a patient searches).",
    "code": "[system|]code of Observation.code (LOINC or the clinic's own code systems).",
    "date": "Observation.effective, with the prefixes eq, ne, gt, lt, ge, le, sa, eb; repeat for a range.",
}
# The resource types the bulk export writes, one NDJSON line each (every type of the patient Bundle).
BULK_TYPES = ("Patient", "Condition", "AllergyIntolerance", "MedicationStatement", "Procedure", "Consent",
              "CarePlan", "Appointment", "Encounter", "MedicationAdministration", "Medication", "Observation",
              "QuestionnaireResponse", "DocumentReference", "Practitioner")
FHIR_VERSION = "4.0.1"  # what the resources are (services.py: the R4B models, only R4-unchanged resources)


class BadSearch(ValueError):
    """A search parameter the endpoint does not answer or cannot read: 400, its message in words."""


class Gone(Http404):
    """No such resource (or not one this user may see): 404."""


# --- answers --------------------------------------------------------------------------------------------------
def outcome(code: str, text: str, severity: str = "error") -> OperationOutcome:
    """An OperationOutcome of one issue (https://hl7.org/fhir/R4/operationoutcome.html; ``code`` from IssueType:
    not-found, forbidden, invalid, not-supported, exception)."""
    return OperationOutcome(issue=[OperationOutcomeIssue(severity=severity, code=code, diagnostics=text)])


def capability_statement() -> CapabilityStatement:
    interactions = [CapabilityStatementRestResourceInteraction(code=c) for c in ("read", "search-type")]
    resources = [
        CapabilityStatementRestResource(
            type=kind, interaction=interactions,
            searchParam=[CapabilityStatementRestResourceSearchParam(name=name, type=kind_of, documentation=SEARCH_DOCS[name])
                         for name, kind_of in SEARCH_PARAMS[kind].items()],
        )
        for kind in AREA
    ]
    return CapabilityStatement(
        status="active", date=timezone.now().isoformat(), kind="instance", fhirVersion=FHIR_VERSION,
        publisher="Ketamine clinic", format=["application/fhir+json"],
        software=CapabilityStatementSoftware(name="ketamine-clinic"),
        implementation={"description": "The clinic's read-only FHIR endpoint", "url": services.BASE_URL},
        rest=[CapabilityStatementRest(
            mode="server",
            documentation="Read-only. Signed-in users only, with the pages' permissions: a patient sees their own "
                          "record, staff their care teams' patients. Every read and search is on the audit log.",
            resource=resources,
            operation=[CapabilityStatementRestResourceOperation(
                name="export", definition="http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export",
                documentation="System-level bulk export for the medical director: GET /fhir/$export[?_type=A,B] "
                              "answers the NDJSON stream at once (application/fhir+ndjson), no kick-off job.")],
        )],
    )


def _zone():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _entry(resource, mode="match") -> BundleEntry:
    return BundleEntry(fullUrl=f"{services.BASE_URL}/{resource.get_resource_type()}/{resource.id}", resource=resource,
                       search=BundleEntrySearch(mode=mode))


def searchset(resources, total: int, self_url: str) -> Bundle:
    return Bundle(type="searchset", total=total, timestamp=timezone.now().isoformat(),
                  link=[BundleLink(relation="self", url=self_url)], entry=[_entry(r) for r in resources] or None)


# --- reads ----------------------------------------------------------------------------------------------------
def _one(resources, kind: str, rid: str):
    for r in resources:
        if r.get_resource_type() == kind and r.id == rid:
            return r
    raise Gone(f"No {kind} {rid}.")


def read_patient(patient):
    return _one(services.patient_resources(patient, ["Patient"]), "Patient", f"patient-{patient.pk}")


def read_session_resource(session, kind: str):
    """The Encounter of a dosing session, or its MedicationAdministration (404 where no dose was given)."""
    prefix = {"Encounter": "encounter", "MedicationAdministration": "medicationadministration"}[kind]
    built = services.patient_resources(session.patient, [kind], session_ids=[session.pk])
    return _one(built, kind, f"{prefix}-{session.pk}")


def read_questionnaire_response(administration):
    built = services.patient_resources(administration.patient, ["QuestionnaireResponse"],
                                       administration_ids=[administration.pk])
    return _one(built, "QuestionnaireResponse", f"questionnaireresponse-{administration.pk}")


# Observation ids: what made them (services._Builder), so one read builds one record's Observations.
_OBSERVATION_IDS = (
    (re.compile(r"^patient-(\d+)-(weight|height)$"), "patient"),
    (re.compile(r"^vitals-(\d+)-[a-z0-9]+$"), "vitals"),
    (re.compile(r"^intake-(\d+)-[a-z0-9]+$"), "intake"),
    (re.compile(r"^dissociation-(\d+)$"), "dissociation"),
    (re.compile(r"^sideeffect-(\d+)$"), "sideeffect"),
    (re.compile(r"^score-(\d+)(?:-item-\d+)?$"), "score"),
)


def _observation_source(observation_id: str) -> tuple[str, int]:
    for pattern, source in _OBSERVATION_IDS:
        if m := pattern.match(observation_id):
            return source, int(m.group(1))
    raise Gone(f"No Observation {observation_id}.")


def read_observation(request, observation_id: str):
    """One Observation by its id, after the gate has opened the record it comes from (audited "view" there)."""
    from ketamine_clinic.assessment.models import IntakeAssessment
    from ketamine_clinic.outcomes.models import MeasureResponse
    from ketamine_clinic.sessions.models import DissociationScore, SideEffect, VitalsReading

    source, pk = _observation_source(observation_id)
    if source == "patient":
        patient = access.open_patient(request, pk, "clinical")
        built = services.patient_resources(patient, ["Patient", "Observation"])
    elif source == "score":
        a = access.open_record(request, MeasureResponse, pk, "measures")
        built = services.patient_resources(a.patient, ["Observation"], administration_ids=[a.pk])
    elif source == "intake":
        intake = access.open_record(request, IntakeAssessment, pk, "clinical")
        built = services.patient_resources(intake.patient, ["Observation"], session_ids=[], administration_ids=[])
    else:
        model = {"vitals": VitalsReading, "dissociation": DissociationScore, "sideeffect": SideEffect}[source]
        entry = access.open_record(request, model.objects.select_related("session__patient"), pk, "clinical",
                                   patient_path="session.patient")
        built = services.patient_resources(entry.session.patient, ["Observation"], session_ids=[entry.session_id],
                                           administration_ids=[])
    return _one(built, "Observation", observation_id)


# --- searches -------------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Query:
    """A search's parameters, read and checked: ``pairs`` is the query string as (name, value) pairs."""

    kind: str
    pairs: list

    def values(self, name):
        return [v for k, v in self.pairs if k == name]

    def one(self, name):
        found = self.values(name)
        if len(found) > 1:
            raise BadSearch(f"Give {name} once.")
        return found[0] if found else None

    def count(self) -> int:
        raw = self.one("_count")
        if raw is None:
            return DEFAULT_COUNT
        if not raw.isdigit() or not 0 < int(raw) <= MAX_COUNT:
            raise BadSearch(f"_count must be a whole number from 1 to {MAX_COUNT}.")
        return int(raw)


def check_params(kind: str, pairs) -> Query:
    if kind not in SEARCH_PARAMS:
        raise Gone(f"This endpoint does not search {kind} (it answers {', '.join(SEARCH_PARAMS)}).")
    allowed = set(SEARCH_PARAMS[kind]) | COMMON_PARAMS
    for name, value in pairs:
        base = name.split(":", 1)[0]
        if base not in allowed or ":" in name:
            raise BadSearch(f"{kind} is not searched by {name!r} here (it is by {', '.join(sorted(allowed))}).")
        if name == "_format" and value not in ("json", "application/fhir+json", "application/json"):
            raise BadSearch("Only JSON is answered (_format=json).")
        if not value.strip() and name != "_format":
            raise BadSearch(f"{name} is empty.")
    query = Query(kind, list(pairs))
    query.count()
    return query


def _patient_pk(value: str) -> int:
    ref = value.removeprefix("Patient/").removeprefix(f"{services.BASE_URL}/Patient/")
    m = re.fullmatch(r"patient-(\d+)", ref)
    if not m:
        raise BadSearch(f"patient={value!r} is not a patient of this endpoint (Patient/patient-<n>).")
    return int(m.group(1))


def _token(value: str) -> tuple[str | None, str]:
    """``system|code`` -> (system, code); ``code`` -> (None, code); ``|code`` -> ("", code)."""
    if "|" in value:
        system, code = value.split("|", 1)
        return system, code
    return None, value


def _coding_matches(concept, system, code) -> bool:
    for c in (concept.coding or []) if concept else []:
        if c.code == code and (system is None or (c.system or "") == system):
            return True
    return False


def search(request, kind: str, pairs, self_url: str) -> Bundle:
    """A searchset Bundle of ``kind`` for ``request.user``: only patients they may open, in an area their role may
    read (403 otherwise); audited "list" with the ids shown."""
    query = check_params(kind, pairs)
    user = request.user
    area = AREA[kind]
    if not access.can(user, area, access.READ):
        audit.record(request, "denied", detail={"area": area, "fhir_search": kind})
        raise PermissionDenied(f"Your role may not read {area.replace('_', ' ')}.")
    if kind == "Patient":
        resources, total = _search_patients(user, query)
        shown_patients = [int(r.id.removeprefix("patient-")) for r in resources]
    else:
        patient = _searched_patient(request, query)
        resources = _search_record(patient, query)
        total = len(resources)
        resources = resources[:query.count()]
        shown_patients = [patient.pk]
    audit.record(request, "list", patient=_only_patient(shown_patients),
                 detail={"fhir_search": kind, "query": request.get_full_path()[len(request.path):],
                         "total": total, "shown": [f"{kind}/{r.id}" for r in resources][:200],
                         "patients": shown_patients[:200]})
    return searchset(resources, total, self_url)


def _only_patient(pks):
    if len(pks) != 1:
        return None
    from ketamine_clinic.patients.models import Patient

    return Patient.objects.filter(pk=pks[0]).first()


def _search_patients(user, query: Query):
    patients = access.visible_patients(user).order_by("pk")
    if (rid := query.one("_id")) is not None:
        m = re.fullmatch(r"patient-(\d+)", rid)
        patients = patients.filter(pk=int(m.group(1))) if m else patients.none()
    if (ident := query.one("identifier")) is not None:
        system, value = _token(ident)
        if system not in (None, services.MRN_SYSTEM):
            patients = patients.none()
        patients = patients.filter(mrn=value.strip().upper())  # MRNs are kept in capitals (the registration form)
    total = patients.count()
    resources = [read_patient(p) for p in patients[:query.count()]]
    return resources, total


def _searched_patient(request, query: Query):
    """The patient a record search is about: ``patient=`` (404 if not visible, like a read), or the patient's own
    record when a patient searches without it. Staff name the patient: a clinic-wide search is the bulk export."""
    raw = query.one("patient")
    if raw is None:
        if request.user.is_patient and getattr(request.user, "patient_record", None) is not None:
            raw = f"patient-{request.user.patient_record.pk}"
        else:
            raise BadSearch(f"Searching {query.kind} needs patient=Patient/patient-<n> (the clinic-wide export "
                            "is GET /fhir/$export, for the medical director).")
    pk = _patient_pk(raw)
    from ketamine_clinic.patients.models import Patient

    patient = Patient.objects.filter(pk=pk).first()
    if patient is None or not access.is_visible(request.user, patient):
        audit.record(request, "denied", detail={"patient_id": str(pk), "fhir_search": query.kind})
        raise Gone("No such patient.")
    return patient


def _search_record(patient, query: Query) -> list:
    kind = query.kind
    resources = services.patient_resources(patient, [kind])
    if kind != "Observation":
        return resources
    for value in query.values("code"):
        system, code = _token(value)
        resources = [r for r in resources if _coding_matches(r.code, system, code)]
    zone = _zone()
    tests = []
    for value in query.values("date"):
        try:
            tests.append(date_search.parse_date_test(value, zone))
        except date_search.DateSearchError as exc:
            raise BadSearch(f"date: {exc}") from None
    if tests:
        resources = [r for r in resources if (span := _effective(r, zone)) and all(t.matches(span) for t in tests)]
    return resources


def _effective(observation, zone):
    import datetime as dt

    when = observation.effectiveDateTime
    if when is None:
        return None
    if isinstance(when, dt.datetime):
        return date_search.of_instant(when if when.tzinfo else when.replace(tzinfo=zone))
    return date_search.of_date(when, zone)


# --- bulk export ----------------------------------------------------------------------------------------------
def bulk_types(raw: str | None) -> list[str]:
    if raw is None or not raw.strip():
        return list(BULK_TYPES)
    kinds = [k.strip() for k in raw.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in BULK_TYPES]
    if unknown:
        raise BadSearch(f"_type: {', '.join(unknown)} not exported (the types are {', '.join(BULK_TYPES)}).")
    return kinds


def start_bulk_export(actor, kinds, *, via: str):
    """Check and audit the whole clinic's export (the medical director only), then return its resources lazily as
    (resource type, NDJSON line) pairs: patients are read ``CHUNK`` at a time and each one's resources built,
    written and dropped, so memory does not grow with the clinic. Practitioners and lot Medications are written
    once (the ids seen are kept: they grow with the staff and the stock, not with the patients)."""
    user = audit.acting_user(actor)
    if not access.can(user, "bulk_export", access.READ) or user.is_patient:
        audit.record(actor, "denied", detail={"area": "bulk_export", "export": "FHIR bulk"})
        raise PermissionDenied("Only the medical director exports the whole clinic.")
    from ketamine_clinic.patients.models import Patient

    audit.record(actor, "export", detail={"export": "FHIR bulk NDJSON", "types": kinds, "via": via,
                                          "patients": Patient.objects.count()})
    return _bulk_lines(kinds)


CHUNK = 200


def _bulk_lines(kinds):
    from ketamine_clinic.patients.models import Patient

    once = {"Practitioner", "Medication"}
    seen: set[str] = set()
    for patient in Patient.objects.order_by("pk").iterator(chunk_size=CHUNK):
        for resource in services.patient_resources(patient, kinds):
            kind = resource.get_resource_type()
            if kind in once:
                key = f"{kind}/{resource.id}"
                if key in seen:
                    continue
                seen.add(key)
            yield kind, resource.model_dump_json() + "\n"
