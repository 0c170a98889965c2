"""The FHIR bulk export of the whole clinic (issue 16 item 3): GET /fhir/$export streams NDJSON, each line a resource
of the type it names; the medical director only; audited as an export. And ketamine-clinic export-fhir-bulk."""

import json
from collections import Counter

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.operationoutcome import OperationOutcome

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.cli import main
from ketamine_clinic.interop import services
from ketamine_clinic.patients.models import Patient


@pytest.fixture
def clinic(demo_chain):
    return demo_chain(patients=10, through="sessions")


def _lines(response):
    assert response.streaming, "the clinic-wide export is streamed, not built whole"
    body = b"".join(response.streaming_content).decode()
    assert body.endswith("\n")
    return [json.loads(line) for line in body.splitlines()]


def test_the_director_gets_every_patients_resources_as_ndjson(clinic, client_as, staff):
    response = client_as(staff["director"]).get("/fhir/$export")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+ndjson"
    resources = _lines(response)
    for resource in resources:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    kinds = Counter(r["resourceType"] for r in resources)
    assert kinds["Patient"] == Patient.objects.count()
    assert {"Encounter", "MedicationAdministration", "Observation", "QuestionnaireResponse", "Condition",
            "Practitioner"} <= set(kinds)
    # Practitioners and lots are written once for the clinic, not once per patient.
    for kind in ("Practitioner", "Medication"):
        ids = [r["id"] for r in resources if r["resourceType"] == kind]
        assert len(ids) == len(set(ids))
    # The same resources as each patient's Bundle (one builder).
    some = clinic.patients[-1]
    bundle_ids = {(e.resource.get_resource_type(), e.resource.id) for e in services.patient_bundle(some).entry
                  if e.resource.get_resource_type() not in ("Practitioner", "Medication")}
    mine = {(r["resourceType"], r["id"]) for r in resources
            if r.get("subject", r.get("patient", {})).get("reference") == f"Patient/patient-{some.pk}"
            or r["resourceType"] == "Patient" and r["id"] == f"patient-{some.pk}"}
    assert mine and mine <= bundle_ids
    event = AuditEvent.objects.get(action="export", username=staff["director"].username)
    assert event.detail["export"] == "FHIR bulk NDJSON" and event.detail["patients"] == Patient.objects.count()


def test_type_narrows_the_export(clinic, client_as, staff):
    resources = _lines(client_as(staff["director"]).get("/fhir/$export?_type=Patient,Encounter"))
    assert {r["resourceType"] for r in resources} == {"Patient", "Encounter"}
    bad = client_as(staff["director"]).get("/fhir/$export?_type=Spaceship")
    assert bad.status_code == 400
    assert "Spaceship" in OperationOutcome.model_validate_json(bad.content).issue[0].diagnostics


@pytest.mark.parametrize("role", ["prescriber", "nurse", "therapist", "front_desk"])
def test_only_the_director_exports_the_clinic(clinic, client_as, staff, role):
    response = client_as(staff[role]).get("/fhir/$export")
    assert response.status_code == 403
    assert OperationOutcome.model_validate_json(response.content).issue[0].code == "forbidden"
    assert not AuditEvent.objects.filter(action="export").exists()
    assert AuditEvent.objects.filter(action="denied", username=staff[role].username).exists()


def test_a_patient_may_not_export_the_clinic(clinic, client_as, make_patient):
    patient = make_patient(with_login=True)
    assert client_as(patient.user).get("/fhir/$export").status_code == 403


def test_command_line_writes_one_file_per_type(clinic, staff, tmp_path, capsys):
    out = tmp_path / "bulk"
    assert main(["export-fhir-bulk", "--as", staff["director"].username, "-o", str(out),
                 "--type", "Patient,Observation"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["Observation.ndjson", "Patient.ndjson"]
    for path in out.iterdir():
        kind = path.stem
        lines = path.read_text().splitlines()
        assert lines
        for line in lines:
            assert get_fhir_model_class(kind).model_validate_json(line).get_resource_type() == kind
    assert len((out / "Patient.ndjson").read_text().splitlines()) == Patient.objects.count()
    assert AuditEvent.objects.get(action="export").detail["via"] == "command line"


@pytest.mark.parametrize("who, types, says", [
    ("prescriber", None, "Only the medical director"),
    ("director", "Spaceship", "--type: Spaceship not exported"),
    ("nobody", None, "there is no active user 'nobody'"),
])
def test_command_line_refusals_exit_2(clinic, staff, tmp_path, capsys, who, types, says):
    out = tmp_path / "bulk"
    username = staff[who].username if who in staff else who
    argv = ["export-fhir-bulk", "--as", username, "-o", str(out)] + (["--type", types] if types else [])
    assert main(argv) == 2
    assert says in capsys.readouterr().err
    assert not out.exists()
    assert not AuditEvent.objects.filter(action="export").exists()
