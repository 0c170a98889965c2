"""The read-only FHIR REST endpoint at /fhir/ (issue 16 item 3): the CapabilityStatement, reads and searches under
the pages' gate (a patient sees their own record only; staff their care teams'; another patient's id is 404), every
read and search audited, refusals as OperationOutcomes."""

import json

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.patients.models import CareTeamMember


@pytest.fixture
def world(demo_chain, staff, make_patient):
    """A: a demo patient on induction (sessions with vitals and doses, questionnaires), with a portal login and the
    test prescriber, nurse and therapist on the care team; B: another patient with a login, on nobody's team."""
    from ketamine_clinic.accounts.models import Role, User

    clinic = demo_chain(patients=10, through="sessions")
    a = next(p for p in clinic.patients if p.dosing_sessions.filter(dose_mg__isnull=False).exists()
             and p.measure_responses.exists())
    for user in (staff["prescriber"], staff["nurse"], staff["therapist"]):
        CareTeamMember.objects.create(patient=a, user=user)
    if a.user is None:
        a.user = User.objects.create_user(username="fhir_patient_a", password="x", role=Role.PATIENT)
        a.save(update_fields=["user"])
    b = make_patient(with_login=True)
    return a, b


def _json(response):
    assert response["Content-Type"] == "application/fhir+json"
    return json.loads(response.content)


def _refused(response, status, code):
    assert response.status_code == status
    outcome = OperationOutcome.model_validate(_json(response))
    assert outcome.issue[0].code == code
    return outcome.issue[0].diagnostics


def _ids(bundle):
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


def test_metadata_is_a_capability_statement(world, client_as, staff):
    response = client_as(staff["nurse"]).get("/fhir/metadata")
    assert response.status_code == 200
    statement = CapabilityStatement.model_validate(_json(response))
    assert statement.fhirVersion == "4.0.1"
    resources = {r.type: r for r in statement.rest[0].resource}
    assert set(resources) == {"Patient", "Encounter", "Observation", "MedicationAdministration",
                              "QuestionnaireResponse"}
    assert {p.name for p in resources["Observation"].searchParam} == {"patient", "code", "date"}


def test_anonymous_is_sent_to_log_in(world, client):
    a, _ = world
    response = client.get(f"/fhir/Patient/patient-{a.pk}")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_patient_reads_their_own_record_and_not_another(world, client_as):
    a, b = world
    client = client_as(a.user)
    patient = _json(client.get(f"/fhir/Patient/patient-{a.pk}"))
    assert patient["resourceType"] == "Patient" and patient["identifier"][0]["value"] == a.mrn
    assert AuditEvent.objects.filter(action="view", patient=a, username=a.user.username).exists()
    assert "No such patient" in _refused(client.get(f"/fhir/Patient/patient-{b.pk}"), 404, "not-found")
    # B's existence is not revealed: the same answer as an id nobody has.
    assert client.get("/fhir/Patient/patient-987654").status_code == 404
    assert AuditEvent.objects.filter(action="denied", username=a.user.username).exists()
    # Their own encounters, by search without naming themselves; another patient's search is a 404 too.
    own = _json(client.get("/fhir/Encounter"))
    assert own["type"] == "searchset"
    assert own["total"] == a.dosing_sessions.count() > 0
    _refused(client.get(f"/fhir/Encounter?patient=Patient/patient-{b.pk}"), 404, "not-found")


@pytest.mark.parametrize("role", ["prescriber", "nurse", "therapist"])
def test_the_care_team_reads_each_resource_type_audited(world, client_as, staff, role):
    a, _ = world
    client = client_as(staff[role])
    session = a.dosing_sessions.filter(dose_mg__isnull=False).first()
    reading = session.vitalsreadings.filter(hr__isnull=False).first()
    administration = a.measure_responses.filter(total__isnull=False).first()
    for path, kind in (
        (f"/fhir/Patient/patient-{a.pk}", "Patient"),
        (f"/fhir/Encounter/encounter-{session.pk}", "Encounter"),
        (f"/fhir/MedicationAdministration/medicationadministration-{session.pk}", "MedicationAdministration"),
        (f"/fhir/QuestionnaireResponse/questionnaireresponse-{administration.pk}", "QuestionnaireResponse"),
        (f"/fhir/Observation/vitals-{reading.pk}-hr", "Observation"),
        (f"/fhir/Observation/score-{administration.pk}", "Observation"),
    ):
        before = AuditEvent.objects.filter(action="view", patient=a, username=staff[role].username).count()
        response = client.get(path)
        assert response.status_code == 200, (path, response.content[:300])
        body = _json(response)
        get_fhir_model_class(kind).model_validate(body)
        assert body["resourceType"] == kind and path.endswith(body["id"])
        assert AuditEvent.objects.filter(action="view", patient=a, username=staff[role].username).count() == before + 1
    assert _json(client.get(f"/fhir/Observation/vitals-{reading.pk}-hr"))["valueQuantity"]["value"] == reading.hr


@pytest.mark.parametrize("role", ["other_prescriber", "other_nurse", "other_therapist"])
def test_staff_off_the_care_team_get_404(world, client_as, staff, role):
    a, _ = world
    client = client_as(staff[role])
    session = a.dosing_sessions.first()
    administration = a.measure_responses.first()
    for path in (f"/fhir/Patient/patient-{a.pk}", f"/fhir/Encounter/encounter-{session.pk}",
                 f"/fhir/QuestionnaireResponse/questionnaireresponse-{administration.pk}",
                 f"/fhir/Observation/score-{administration.pk}", f"/fhir/Observation?patient=patient-{a.pk}"):
        _refused(client.get(path), 404, "not-found")
    assert not AuditEvent.objects.filter(action__in=["view", "list"], patient=a,
                                         username=staff[role].username).exists()
    assert AuditEvent.objects.filter(action="denied", username=staff[role].username).count() == 5


def test_front_desk_reads_the_patient_but_not_the_clinical_record(world, client_as, staff):
    a, _ = world
    client = client_as(staff["front_desk"])
    assert client.get(f"/fhir/Patient/patient-{a.pk}").status_code == 200
    session = a.dosing_sessions.first()
    _refused(client.get(f"/fhir/Encounter/encounter-{session.pk}"), 403, "forbidden")
    _refused(client.get(f"/fhir/Observation?patient=patient-{a.pk}"), 403, "forbidden")
    found = _json(client.get(f"/fhir/Patient?identifier={a.mrn}"))
    assert _ids(found) == [f"patient-{a.pk}"]


def test_patient_search_by_id_and_mrn(world, client_as, staff):
    a, b = world
    client = client_as(staff["prescriber"])
    assert _ids(_json(client.get(f"/fhir/Patient?_id=patient-{a.pk}"))) == [f"patient-{a.pk}"]
    mrn_system = "https://ketamine-clinic.example/fhir/sid/mrn"
    assert _ids(_json(client.get(f"/fhir/Patient?identifier={mrn_system}|{a.mrn}"))) == [f"patient-{a.pk}"]
    # B is on nobody's team: not found by the prescriber, by MRN or by id.
    assert _json(client.get(f"/fhir/Patient?identifier={b.mrn}"))["total"] == 0
    assert _json(client.get(f"/fhir/Patient?_id=patient-{b.pk}"))["total"] == 0
    event = AuditEvent.objects.filter(action="list", username=staff["prescriber"].username).order_by("id").first()
    assert event.patient == a and event.detail["shown"] == [f"Patient/patient-{a.pk}"]


def _observations(client, a, query=""):
    body = _json(client.get(f"/fhir/Observation?patient=Patient/patient-{a.pk}{query}"))
    Bundle.model_validate(body)
    assert body["type"] == "searchset"
    return [e["resource"] for e in body.get("entry", [])]


def test_observation_search_by_code(world, client_as, staff):
    a, _ = world
    client = client_as(staff["nurse"])
    every = _observations(client, a, "&_count=1000")
    heart = _observations(client, a, "&code=8867-4&_count=1000")
    assert heart and all(o["code"]["coding"][0]["code"] == "8867-4" for o in heart)
    assert {o["id"] for o in heart} == {o["id"] for o in every if o["code"]["coding"][0]["code"] == "8867-4"}
    readings = sum(s.vitalsreadings.filter(hr__isnull=False).count() for s in a.dosing_sessions.all())
    intakes = a.intakes.filter(vitals_taken_at__isnull=False, heart_rate_bpm__isnull=False).count()
    assert len(heart) == readings + intakes
    assert _observations(client, a, "&code=http://loinc.org|8867-4&_count=1000") == heart
    event = AuditEvent.objects.filter(action="list", patient=a, username=staff["nurse"].username).order_by("id").last()
    assert event.detail["total"] == len(heart) and event.detail["fhir_search"] == "Observation"
    assert sorted(event.detail["shown"]) == sorted(f"Observation/{o['id']}" for o in heart)
    assert _observations(client, a, "&code=http://snomed.info/sct|8867-4") == []


def test_observation_search_by_date_prefixes(world, client_as, staff):
    a, _ = world
    client = client_as(staff["nurse"])
    heart = _observations(client, a, "&code=8867-4&_count=1000")
    days = sorted({o["effectiveDateTime"][:10] for o in heart})
    assert len(days) >= 2
    day = days[1]

    def ids(query):
        return {o["id"] for o in _observations(client, a, f"&code=8867-4&_count=1000&{query}")}

    on_day = {o["id"] for o in heart if o["effectiveDateTime"][:10] == day}
    before = {o["id"] for o in heart if o["effectiveDateTime"][:10] < day}
    after = {o["id"] for o in heart if o["effectiveDateTime"][:10] > day}
    assert ids(f"date={day}") == ids(f"date=eq{day}") == on_day
    assert ids(f"date=lt{day}") == before and ids(f"date=gt{day}") == after
    assert ids(f"date=ge{day}") == on_day | after and ids(f"date=le{day}") == before | on_day
    # Two dates: a range (the day itself, by its bounds).
    assert ids(f"date=ge{day}&date=le{day}") == on_day
    assert ids(f"date=ge{day[:7]}") >= on_day | after  # a month stands for the whole month


@pytest.mark.parametrize("query, says", [
    ("&date=xx2026-12-01", "not a date prefix"),
    ("&date=ge2026-13-01", "not a date that exists"),
    ("&date=2026-1-5", "not a FHIR date"),
    ("&colour=blue", "not searched by 'colour'"),
    ("&code:text=pulse", "not searched by 'code:text'"),
    ("&_count=0", "_count must be"),
])
def test_a_bad_search_parameter_is_400(world, client_as, staff, query, says):
    a, _ = world
    response = client_as(staff["nurse"]).get(f"/fhir/Observation?patient=patient-{a.pk}{query}")
    assert says in _refused(response, 400, "invalid")


def test_other_refusals_are_operation_outcomes(world, client_as, staff):
    a, _ = world
    client = client_as(staff["nurse"])
    _refused(client.get("/fhir/Medication?patient=x"), 404, "not-found")
    _refused(client.get("/fhir/Observation/nothing-like-ours"), 404, "not-found")
    _refused(client.get("/fhir/Patient/12"), 404, "not-found")
    _refused(client.get("/fhir/Encounter"), 400, "invalid")  # staff name the patient
    _refused(client.post("/fhir/metadata"), 405, "not-supported")
    # A session without a dose has no MedicationAdministration.
    undosed = a.dosing_sessions.filter(dose_mg__isnull=True).first()
    if undosed is not None:
        _refused(client.get(f"/fhir/MedicationAdministration/medicationadministration-{undosed.pk}"), 404,
                 "not-found")
