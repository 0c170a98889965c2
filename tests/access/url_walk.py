"""The URL walk's world and route table (shared by the tests in this folder; not a test module itself).

The world is the demo chain (every area of the demo seed, through the services) for two patients with portal logins,
A and B, on different care teams: every patient-bearing object the pages and the API name by id exists for
A (dosing session with its appointment, vitals and signed note, plan, appointment, previous treatment,
questionnaire administration, urgent task, integration note, journal entry, ledger entry of a dose, booster
suggestion). Routes are filled with A's objects; each user's relation to A decides what they may get.
"""

import dataclasses
import json
import re
import traceback
from urllib.parse import parse_qs, urlsplit

from django.urls import URLPattern, URLResolver, get_resolver

# Seen by anyone, logged in or not.
PUBLIC = {"login/", "logout/", "api/docs", "api/openapi.json", "healthz"}
# Answers 404 to everyone, logged in or not (ninja's root: there is nothing at /api/ itself).
NOT_FOUND_FOR_EVERYONE = {"api/"}
MISSING_ID = 987654  # an id no object has: the "does it exist?" probe

# The route table the walk derived from the URL conf: route -> what its path parameters are filled with.
# A route that is not here fails the walk: add it, with the object its parameters name, when you add a page.
ROUTES = {
    "": "-",
    "healthz": "public (load balancers' health check, no patient data)",
    "login/": "public",
    "logout/": "public",
    "account/verify/": "- (one's own second sign-in step)",
    "account/two-factor/": "- (one's own two-factor sign-in)",
    "account/two-factor/recovery-codes/": "- (one's own recovery codes)",
    "api/": "404 for everyone",
    "api/docs": "public",
    "api/openapi.json": "public",
    "api/patients/": "-",
    "api/patients/<patient_id>": "patient",
    "api/patients/<patient_id>/diagnoses": "patient",
    "api/patients/<patient_id>/care-team": "patient",
    "api/patients/<patient_id>/care-team/<user_id>": "patient, staff member (off A's team)",
    "api/audit/events": "-",
    "api/staff/": "-",
    "api/staff/<staff_id>": "staff member (director only)",
    "api/staff/site": "-",
    "api/assessment/patient/<patient_id>": "patient",
    "api/assessment/patient/<patient_id>/intakes": "patient",
    "api/assessment/patient/<patient_id>/treatments": "patient",
    "api/assessment/patient/<patient_id>/decision": "patient",
    "api/assessment/patient/<patient_id>/mismatches/<fact>/resolution": "patient, screening fact",
    "api/assessment/patient/<patient_id>/consents": "patient",
    "api/assessment/patient/<patient_id>/previsit": "patient",
    "api/assessment/patient/<patient_id>/rems-enrolment": "patient",
    "api/assessment/consent-documents": "-",
    "api/assessment/consent-documents/<document_id>": "consent document (clinic-wide)",
    "api/plans/templates": "-",
    "api/plans/patient/<patient_id>": "patient",
    "api/plans/patient/<patient_id>/pdmp-checks": "patient",
    "api/plans/<plan_id>/versions": "plan",
    "api/plans/<plan_id>/changes": "plan",
    "api/plans/<plan_id>/status": "plan",
    "api/plans/<plan_id>/titration": "plan",
    "api/plans/<plan_id>/titration/accept": "plan",
    "api/plans/<plan_id>/titration/decline": "plan",
    "api/schedule/chairs": "-",
    "api/schedule/day": "-",
    "api/schedule/patient/<patient_id>": "patient",
    "api/schedule/patient/<patient_id>/series": "patient",
    "api/schedule/plan/<plan_id>/generate": "plan",
    "api/schedule/appointments/<appointment_id>/reschedule": "appointment",
    "api/schedule/appointments/<appointment_id>/cancel": "appointment",
    "api/sessions/today": "-",
    "api/sessions/<session_id>": "dosing session",
    "api/sessions/<session_id>/readings": "dosing session",
    "api/sessions/<session_id>/transitions": "dosing session",
    "api/sessions/<session_id>/dose": "dosing session",
    "api/sessions/rems-forms/due": "-",
    "api/sessions/<session_id>/rems-form": "dosing session (esketamine: its REMS form)",
    "api/sessions/<session_id>/rems-form.pdf": "dosing session (esketamine: its REMS form)",
    "api/sessions/<session_id>/rems-form/answers": "dosing session (esketamine: its REMS form)",
    "api/sessions/<session_id>/rems-form/evaluation": "dosing session (esketamine: its REMS form)",
    "api/sessions/<session_id>/rems-form/submission": "dosing session (esketamine: its REMS form)",
    "api/outcomes/instruments": "-",
    "api/outcomes/patients/<patient_id>/administrations": "patient",
    "api/outcomes/patients/<patient_id>/scores": "patient",
    "api/outcomes/patients/<patient_id>/due": "patient",
    "api/outcomes/urgent-tasks": "-",
    "api/outcomes/urgent-tasks/<task_id>/acknowledge": "urgent task",
    "api/inventory/stock": "-",
    "api/inventory/lots": "-",
    "api/inventory/receive": "-",
    "api/inventory/draw": "-",
    "api/inventory/waste": "-",
    "api/inventory/movements": "-",
    "api/inventory/entries": "- (lists ledger entries, A's dose among them)",
    "api/billing/sessions": "- (lists finished sessions with codes, A's among them)",
    "api/billing/session/<session_id>": "dosing session",
    "api/notifications/outbox": "- (the outbox, director only)",
    "api/notifications/me/reminders": "- (the logged-in patient's own)",
    "api/inventory/counts": "-",
    "api/inventory/discrepancies": "-",
    "api/inventory/discrepancies/<discrepancy_id>/resolve": "count discrepancy (clinic-wide)",
    "api/inventory/reconciliation": "-",
    "api/inventory/verify": "-",
    "api/followup/suggestions": "-",
    "api/followup/patients/<patient_id>/suggestions/refresh": "patient",
    "api/followup/suggestions/<suggestion_id>/accept": "booster suggestion",
    "api/followup/suggestions/<suggestion_id>/decline": "booster suggestion",
    "api/followup/patients/<patient_id>/notes": "patient (lists integration notes)",
    "api/followup/patients/<patient_id>/journal": "patient (lists shared journal entries)",
    "api/followup/dashboard": "-",
    "api/portal/journal": "- (the logged-in patient's own)",
    "api/portal/journal/<entry_id>": "journal entry",
    "api/portal/messages": "- (the logged-in patient's own)",
    "api/prediction/patient/<patient_id>": "patient",
    "api/prediction/models": "-",
    "api/fhir/patient/<patient_id>/bundle": "patient (FHIR export, issue 16)",
    "api/fhir/import/preview": "- (a referral's FHIR Bundle: what importing it would do)",
    "api/fhir/import": "- (a referral's FHIR Bundle imported)",
    "audit/": "-",
    "schedule/arrivals/panel/": "-",
    "schedule/requests/<int:request_id>/handled/": "patient's change request",
    "staff/": "-",
    "staff/new/": "-",
    "staff/<int:staff_id>/": "staff member (director only)",
    "staff/<int:staff_id>/password/": "staff member (director only)",
    "staff/<int:staff_id>/action/": "staff member (director only)",
    "clinic/setting/": "-",
    "patients/": "-",
    "patients/dashboard/": "-",
    "patients/new/": "-",
    "patients/me/": "- (the logged-in patient's own)",
    "patients/<int:patient_id>/": "patient",
    "patients/<int:patient_id>/edit/": "patient",
    "patients/<int:patient_id>/diagnoses/": "patient",
    "patients/<int:patient_id>/care-team/": "patient",
    "assessment/patient/<int:patient_id>/": "patient",
    "assessment/patient/<int:patient_id>/intake/": "patient",
    "assessment/patient/<int:patient_id>/previsit/": "patient",
    "assessment/patient/<int:patient_id>/treatments/": "patient",
    "assessment/patient/<int:patient_id>/treatments/<int:treatment_id>/remove/": "patient, previous treatment",
    "assessment/patient/<int:patient_id>/decision/": "patient",
    "assessment/patient/<int:patient_id>/mismatch/<str:fact>/resolve/": "patient, screening fact",
    "assessment/patient/<int:patient_id>/consent/<str:route>/": "patient, route iv",
    "assessment/patient/<int:patient_id>/rems-enrolment/": "patient",
    "assessment/consent-documents/": "-",
    "assessment/consent-documents/new/": "-",
    "plans/patient/<int:patient_id>/": "patient",
    "plans/patient/<int:patient_id>/new/": "patient",
    "plans/patient/<int:patient_id>/pdmp/": "patient",
    "plans/plan/<int:plan_id>/change/": "plan",
    "plans/plan/<int:plan_id>/status/": "plan",
    "plans/plan/<int:plan_id>/titration/": "plan",
    "schedule/day/": "-",
    "schedule/patient/<int:patient_id>/": "patient",
    "schedule/patient/<int:patient_id>/book/": "patient",
    "schedule/patient/<int:patient_id>/calendar.ics": "patient",
    "schedule/plan/<int:plan_id>/generate/": "plan",
    "schedule/appointment/<int:appointment_id>/reschedule/": "appointment",
    "schedule/appointment/<int:appointment_id>/cancel/": "appointment",
    "sessions/": "-",
    "sessions/board/panel/": "-",
    "sessions/patient/<int:patient_id>/": "patient",
    "sessions/patient/<int:patient_id>/new/": "patient",
    "sessions/appointment/<int:appointment_id>/open/": "appointment",
    "sessions/<int:session_id>/": "dosing session",
    "sessions/<int:session_id>/vitals/": "dosing session",
    "sessions/<int:session_id>/vitals/chart/": "dosing session",
    "sessions/<int:session_id>/vitals/<int:reading_id>/acknowledge/": "dosing session, its vitals reading",
    "sessions/<int:session_id>/pre-dose/": "dosing session",
    "sessions/<int:session_id>/dose/": "dosing session",
    "sessions/<int:session_id>/state/": "dosing session",
    "sessions/<int:session_id>/entries/<str:kind>/": "dosing session, entry kind side_effect",
    "sessions/<int:session_id>/discharge/": "dosing session",
    "sessions/<int:session_id>/note/": "dosing session (its session note)",
    "sessions/<int:session_id>/note/sign/": "dosing session (its session note)",
    "sessions/<int:session_id>/note/amend/": "dosing session (its session note)",
    "sessions/rems/": "-",
    "sessions/<int:session_id>/rems/": "dosing session (esketamine: its REMS form)",
    "sessions/<int:session_id>/rems/answers/": "dosing session (esketamine: its REMS form)",
    "sessions/<int:session_id>/rems/evaluation/": "dosing session (esketamine: its REMS form)",
    "sessions/<int:session_id>/rems/submitted/": "dosing session (esketamine: its REMS form)",
    "sessions/<int:session_id>/rems/form.pdf": "dosing session (esketamine: its REMS form)",
    "outcomes/patient/<int:patient_id>/": "patient",
    "outcomes/patient/<int:patient_id>/administer/<str:instrument>/": "patient, instrument phq9",
    "outcomes/due/": "-",
    "outcomes/urgent-tasks/panel/": "-",
    "outcomes/urgent-tasks/<int:task_id>/acknowledge/": "urgent task",
    "outcomes/self-report/": "- (the logged-in patient's own)",
    "outcomes/self-report/done/<int:measure_response_id>/": "questionnaire administration",
    "outcomes/self-report/<str:instrument>/": "instrument phq9",
    "billing/": "- (finished sessions with codes, A's among them)",
    "billing/session/<int:session_id>/": "dosing session (its billing codes)",
    "notifications/outbox/": "- (the outbox, director only)",
    "notifications/reminders/": "- (the logged-in patient's own)",
    "inventory/": "-",
    "inventory/receive/": "-",
    "inventory/draw/": "-",
    "inventory/waste/": "-",
    "inventory/movement/": "-",
    "inventory/counts/": "-",
    "inventory/counts/new/<int:location_id>/": "storage location (clinic-wide)",
    "inventory/discrepancies/": "-",
    "inventory/discrepancies/<int:pk>/resolve/": "count discrepancy (clinic-wide)",
    "inventory/reconciliation/": "-",
    "inventory/log/": "- (lists ledger entries, A's dose among them)",
    "inventory/report/": "-",
    "followup/": "-",
    "followup/panel/": "-",
    "followup/refresh/": "-",
    "followup/dashboard/": "-",
    "followup/patient/<int:patient_id>/": "patient (integration notes, suggestions)",
    "followup/patient/<int:patient_id>/notes/new/": "patient",
    "followup/patient/<int:patient_id>/notes/<int:note_id>/sign/": "patient, integration note",
    "followup/patient/<int:patient_id>/refresh/": "patient",
    "followup/patient/<int:patient_id>/report/": "patient",
    "followup/patient/<int:patient_id>/messages/": "patient",
    "followup/patient/<int:patient_id>/messages/reply/": "patient",
    "followup/suggestion/<int:suggestion_id>/accept/": "booster suggestion",
    "followup/suggestion/<int:suggestion_id>/decline/": "booster suggestion",
    "portal/": "- (the logged-in patient's own)",
    "portal/appointments/": "- (the logged-in patient's own)",
    "portal/appointments/<int:appointment_id>/request/": "appointment",
    "portal/instructions/": "- (the logged-in patient's own)",
    "portal/scores/": "- (the logged-in patient's own)",
    "portal/consents/": "- (the logged-in patient's own)",
    "portal/messages/": "- (the logged-in patient's own)",
    "portal/journal/": "- (the logged-in patient's own)",
    "portal/journal/new/": "- (the logged-in patient's own)",
    "portal/journal/<int:entry_id>/": "journal entry",
    "portal/journal/<int:entry_id>/share/": "journal entry",
    "prediction/patient/<int:patient_id>/curve/": "patient",
    "prediction/session/<int:session_id>/curve/": "dosing session (its curve from what was charted)",
    "prediction/patient/<int:patient_id>/protocols/": "patient (IV protocols compared, plan tab)",
    "interop/patient/<int:patient_id>/fhir-bundle": "patient (FHIR export download, chart page)",
    "interop/import/": "- (a referral's FHIR Bundle: upload and preview)",
    "interop/import/confirm/": "- (a referral's FHIR Bundle: the import)",
    "fhir/metadata": "- (the FHIR CapabilityStatement)",
    "fhir/$export": "- (the clinic's FHIR bulk export, director only)",
    "fhir/Patient/patient-<int:patient_id>": "patient (FHIR read)",
    "fhir/Encounter/encounter-<int:session_id>": "dosing session (FHIR read)",
    "fhir/MedicationAdministration/medicationadministration-<int:session_id>": "dosing session (FHIR read)",
    "fhir/QuestionnaireResponse/questionnaireresponse-<int:measure_response_id>": "questionnaire administration",
    "fhir/<str:resource_type>": "FHIR type Observation (search: a patient's own; staff name the patient)",
    "fhir/<str:resource_type>/<str:resource_id>": "FHIR type Observation, A's score (FHIR read)",
}

# Path parameter -> the World attribute that fills it. Patient-bearing ones are probed with MISSING_ID too.
# Keyed by name; (app, name) where a name means different objects in different apps (``pk``).
PATIENT_BEARING = {
    "patient_id": "a", "session_id": "session", "plan_id": "plan", "appointment_id": "appointment",
    "reading_id": "reading", "treatment_id": "treatment", "task_id": "task", "measure_response_id": "administration",
    "entry_id": "journal_entry", "suggestion_id": "suggestion", "request_id": "change_request",
    "note_id": "integration_note",
}
CLINIC_WIDE = {
    "location_id": "location", ("inventory", "pk"): "discrepancy", "discrepancy_id": "discrepancy",
    "document_id": "document",
    # A clinician on B's team only: removing them from A's team answers "not on the team", changes nothing.
    "user_id": "staff_member", "staff_id": "staff_member",
}
WORDS = {"fact": "fact", "route": "route", "kind": "kind", "instrument": "instrument",
         "resource_type": "fhir_type", "resource_id": "fhir_id"}

_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def routes():
    """(route, is_api) of every URL pattern, ninja's several operations on one path counted once."""

    def walk(resolver, prefix=""):
        for entry in resolver.url_patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry, route)
            elif isinstance(entry, URLPattern):
                yield route

    return sorted(set(walk(get_resolver())))


def api_methods():
    """'/api/x/{id}' -> the HTTP methods its operations answer, from the OpenAPI schema."""
    from ketamine_clinic.api import api

    return {path: sorted(m.upper() for m in ops) for path, ops in api.get_openapi_schema()["paths"].items()}


def methods_of(route, schema):
    if route.startswith("api/") and route not in PUBLIC | NOT_FOUND_FOR_EVERYONE:
        key = "/" + _PARAM.sub(lambda m: "{" + m.group(2) + "}", route)
        return schema[key]
    return ["GET", "POST"]  # pages: read it, and post an empty form


def unfillable(route):
    """Why the walk cannot fill ``route`` (None if it can)."""
    if route not in ROUTES:
        return "not in the walk's route table (tests/access/url_walk.py ROUTES)"
    if route.startswith("^") or "(?P" in route:
        return "regex route"
    app = route.removeprefix("api/").split("/", 1)[0]
    for _, name in _PARAM.findall(route):
        if name not in PATIENT_BEARING and name not in WORDS and name not in CLINIC_WIDE \
                and (app, name) not in CLINIC_WIDE:
            return f"path parameter {name!r} is not mapped to an object"
    return None


def fill(route, world, missing=False):
    """The concrete path of ``route`` with ``world``'s objects (patient-bearing ids replaced by MISSING_ID)."""
    app = route.removeprefix("api/").split("/", 1)[0]

    def value(match):
        name = match.group(2)
        if name in PATIENT_BEARING:
            return str(MISSING_ID if missing else getattr(world, PATIENT_BEARING[name]).pk)
        if name in WORDS:
            return getattr(world, WORDS[name])
        attr = CLINIC_WIDE.get((app, name)) or CLINIC_WIDE[name]
        return str(getattr(world, attr).pk)

    return "/" + _PARAM.sub(value, route)


def names_patient_object(route):
    return any(name in PATIENT_BEARING for _, name in _PARAM.findall(route))


def request(client, method, path):
    """(status, body, location) of one request; an exception inside the view is reported as a 500."""
    try:
        if path.startswith("/api/") and method != "GET":
            response = client.generic(method, path, json.dumps({}), content_type="application/json")
        else:
            response = getattr(client, method.lower())(path)
    except Exception:  # the test client re-raises a view's exception: that is a 500 to the user
        return 500, traceback.format_exc(limit=-3), ""
    body = b"" if getattr(response, "streaming", False) else response.content
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    return response.status_code, body.decode(errors="replace"), response.get("Location", "")


def is_login_redirect(status, location, path, login_url):
    if status not in (301, 302, 303):
        return False
    parts = urlsplit(location)
    return parts.path == login_url and parse_qs(parts.query).get("next") == [path]


@dataclasses.dataclass
class World:
    a: object  # the patient whose objects fill the routes
    b: object  # another patient, other care team
    users: dict  # label -> user
    relation: dict  # label -> "owner" | "other patient" | "care team" | "off team" | "sees all"
    visible: dict  # label -> set of patient ids that user may see (from the care teams, not from access.py)
    mrns: dict  # patient id -> MRN (every patient in the registry)
    secret_names: dict  # patient id -> a name only that patient has (A and B)
    session: object = None
    plan: object = None
    appointment: object = None
    reading: object = None
    treatment: object = None
    task: object = None
    administration: object = None
    journal_entry: object = None
    suggestion: object = None
    integration_note: object = None
    ledger_entry: object = None
    note: object = None
    location: object = None
    discrepancy: object = None
    document: object = None
    staff_member: object = None
    change_request: object = None
    fact: str = "bipolar"
    route: str = "iv"
    kind: str = "side_effect"
    instrument: str = "phq9"
    fhir_type: str = "Observation"
    fhir_id: str = ""  # A's questionnaire score as a FHIR Observation id (set in build_world)


def build_world():
    """Seed the demo chain for two patients with logins on different care teams; see the module docstring."""
    from django.utils import timezone

    from ketamine_clinic.accounts.models import Role, User
    from ketamine_clinic.assessment.models import ConsentDocument, PreviousTreatment
    from ketamine_clinic.demo.clinic import DemoClinic, seed_registry, steps
    from ketamine_clinic.followup.models import BoosterSuggestion, IntegrationNote
    from ketamine_clinic.inventory.models import Discrepancy, LedgerEntry, StorageLocation
    from ketamine_clinic.outcomes.models import MeasureResponse, UrgentTask
    from ketamine_clinic.patients.models import CareTeamMember, Patient
    from ketamine_clinic.plans.models import TreatmentPlan
    from ketamine_clinic.portal.models import JournalEntry
    from ketamine_clinic.scheduling.models import Appointment
    from ketamine_clinic.sessions.models import DosingSession, SessionNote, VitalsReading

    clinic = DemoClinic(now=timezone.now())
    seed_registry(clinic)
    logins = [p for p in clinic.patients if p.user_id]
    a = logins[0]
    # The demo alternates prescriber and nurse by MRN number; the therapist is on every team.
    b = next(p for p in logins if int(p.mrn[-1]) % 2 != int(a.mrn[-1]) % 2)
    clinic.patients = [a, b]
    for step in steps():
        step(clinic)

    # B gets a therapist of its own, so a therapist is off A's team too.
    therapist2 = User.objects.create_user(username="walk_therapist2", password="x", role=Role.THERAPIST,
                                          first_name="Walk", last_name="Therapist")
    CareTeamMember.objects.filter(patient=b, user__role=Role.THERAPIST).delete()
    CareTeamMember.objects.create(patient=b, user=therapist2, is_primary=True)
    # Names no other patient has, so a name in a page can only be that patient's.
    for patient, (first, last) in ((a, ("Zebulonia", "Quillfeather")), (b, ("Xanthippe", "Vellacottish"))):
        Patient.objects.filter(pk=patient.pk).update(first_name=first, last_name=last)
        User.objects.filter(pk=patient.user_id).update(first_name=first, last_name=last)
        patient.refresh_from_db()
    for patient in (a, b):  # the maintenance rules' proposal, awaiting a decision
        BoosterSuggestion.objects.create(patient=patient, kind="booster", reason="Synthetic: response fading",
                                         instrument="phq9")

    team_a = set(CareTeamMember.objects.filter(patient=a).values_list("user_id", flat=True))
    users, relation = {"owner": a.user, "other patient": b.user}, {"owner": "owner", "other patient": "other patient"}
    for user in User.objects.exclude(role=Role.PATIENT).order_by("username"):
        label = f"{user.role}:{user.username}"
        users[label] = user
        if user.role in (Role.DIRECTOR, Role.FRONT_DESK):
            relation[label] = "sees all"
        else:
            relation[label] = "care team" if user.pk in team_a else "off team"
    all_ids = set(Patient.objects.values_list("pk", flat=True))
    visible = {}
    for label, user in users.items():
        if relation[label] == "owner":
            visible[label] = {a.pk}
        elif relation[label] == "other patient":
            visible[label] = {b.pk}
        elif relation[label] == "sees all":
            visible[label] = all_ids
        else:
            visible[label] = set(CareTeamMember.objects.filter(user=user).values_list("patient_id", flat=True))
    for role in (Role.PRESCRIBER, Role.NURSE, Role.THERAPIST):
        for side in ("care team", "off team"):
            assert any(users[label].role == role and rel == side for label, rel in relation.items()), (role, side)

    session = (DosingSession.objects.filter(patient=a, appointment__isnull=False, note__isnull=False)
               .order_by("-scheduled_for").first())
    world = World(
        a=a, b=b, users=users, relation=relation, visible=visible,
        mrns=dict(Patient.objects.values_list("pk", "mrn")),
        secret_names={a.pk: a.first_name, b.pk: b.first_name},
        session=session,
        plan=TreatmentPlan.objects.filter(patient=a).first(),
        # A booked visit still to come (the session's own appointment is reached through the session).
        appointment=Appointment.objects.filter(patient=a, dosing_session__isnull=True, cancelled_at__isnull=True)
        .order_by("-starts_at").first(),
        reading=VitalsReading.objects.filter(session=session).first(),
        treatment=PreviousTreatment.objects.filter(patient=a).first(),
        task=UrgentTask.objects.filter(patient=a).first(),
        administration=MeasureResponse.objects.filter(patient=a).first(),
        journal_entry=JournalEntry.objects.filter(patient=a).first(),
        suggestion=BoosterSuggestion.objects.filter(patient=a).first(),
        integration_note=IntegrationNote.objects.filter(patient=a).first(),
        ledger_entry=LedgerEntry.objects.filter(session__patient=a).first(),
        note=SessionNote.objects.filter(session=session).first(),
        location=StorageLocation.objects.first(),
        discrepancy=Discrepancy.objects.first(),
        document=ConsentDocument.objects.first(),
        staff_member=therapist2,
    )
    from ketamine_clinic.scheduling.models import ChangeRequest

    world.change_request = ChangeRequest.objects.create(appointment=world.appointment, kind="reschedule",
                                                        note="Synthetic: a later week, please")
    world.fhir_id = f"score-{world.administration.pk}"
    missing = [f.name for f in dataclasses.fields(World) if getattr(world, f.name) is None]
    assert missing == [], f"the demo chain no longer gives patient A: {missing}"
    return world


def leaks(world, label, body):
    """Patients named in ``body`` (by MRN, or by A's/B's unique first name) that ``label`` may not see."""
    hidden = set(world.mrns) - world.visible[label]
    found = [world.mrns[pk] for pk in sorted(hidden) if world.mrns[pk] in body]
    found += [world.secret_names[pk] for pk in hidden if pk in world.secret_names and world.secret_names[pk] in body]
    return found
