"""The FHIR export (issue 16 item 2): every demo patient's Bundle validates against the FHIR models, its codes
are the code table's, and it is guarded and audited like any read of the record."""

import base64
import json

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from ketamine_clinic.core.interop import codes
from ketamine_clinic.interop import services

STANDARD = {codes.LOINC, codes.RXNORM, codes.SNOMED}


@pytest.fixture
def clinic(demo_chain):
    # The first 8 demo patients are in screening; 2 more are on induction (sessions, doses, signed notes).
    return demo_chain(patients=10, through="portal")


def _resources(bundle_json: str) -> list[dict]:
    return [entry["resource"] for entry in json.loads(bundle_json)["entry"]]


def _codings(node):
    """Every Coding anywhere in a resource (as JSON)."""
    if isinstance(node, dict):
        if "system" in node and "code" in node and "value" not in node:
            yield node
        for value in node.values():
            yield from _codings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _codings(value)


def test_every_demo_patient_bundle_validates_with_the_code_tables_codes(demo_chain):
    # The first 22 demo patients, through the portal: 8 in screening, 12 on induction, 2 in maintenance (the
    # whole clinic takes minutes to seed; the resources are the same kinds).
    some = demo_chain(patients=22, through="portal")
    assert {p.phase for p in some.patients} == {"screening", "induction", "maintenance"}
    table = {(c.system, c.code): c.display for c in codes.all_codes()}
    seen_types = set()
    for patient in some.patients:
        text = services.patient_bundle(patient).model_dump_json()
        # Parsed back whole and resource by resource with the library's own models: a wrong element, type
        # or cardinality is refused here.
        bundle = Bundle.model_validate_json(text)
        assert bundle.type == "collection"
        for resource in _resources(text):
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
            seen_types.add(resource["resourceType"])
        ids = [(r["resourceType"], r["id"]) for r in _resources(text)]
        assert len(ids) == len(set(ids)), "each resource once"
        # Every reference inside the Bundle points at a resource in it.
        present = {f"{t}/{i}" for t, i in ids}
        for ref in _references(json.loads(text)):
            assert ref in present, ref
        _codes_match(patient, _resources(text), table)
        # FHIR's ele-1: every element has a value or children (no empty objects, lists or strings).
        assert list(_empty(json.loads(text))) == []
    assert not seen_types & services.R4B_ONLY
    assert {"Patient", "Condition", "AllergyIntolerance", "MedicationStatement", "Consent", "CarePlan",
            "Appointment", "Encounter", "MedicationAdministration", "Observation", "QuestionnaireResponse",
            "Procedure", "DocumentReference", "Practitioner", "Medication"} <= seen_types


def _empty(node, path="Bundle"):
    if isinstance(node, dict | list) and not node or isinstance(node, str) and not node.strip():
        yield path
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in children:
        yield from _empty(value, f"{path}.{key}")


def _references(node):
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield node["reference"]
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


def _codes_match(patient, resources, table):
    """Standard codes are the code table's (with its display); ICD-10-CM codes are the chart's diagnoses."""
    for coding in _codings(resources):
        if coding["system"] in STANDARD:
            assert table.get((coding["system"], coding["code"])) == coding["display"], coding
        elif coding["system"] == codes.ICD10CM:
            assert patient.diagnoses.filter(icd10_code=coding["code"]).exists()
    conditions = [r for r in resources if r["resourceType"] == "Condition"]
    assert sorted(c["code"]["coding"][0]["code"] for c in conditions) == sorted(
        patient.diagnoses.values_list("icd10_code", flat=True))


def test_values_are_the_charted_ones(clinic):
    """Vitals, the delivered dose with its lot, a PHQ-9 with its answers, the signed note, intake vitals, plan."""
    from ketamine_clinic.outcomes.models import MeasureResponse
    from ketamine_clinic.sessions.models import DosingSession, SessionNote, VitalsReading

    reading = VitalsReading.objects.filter(sbp__isnull=False, hr__isnull=False).first()
    resources = {r["id"]: r for r in _resources(services.patient_bundle(reading.session.patient).model_dump_json())}
    bp = resources[f"vitals-{reading.pk}-bp"]
    assert bp["code"]["coding"][0]["code"] == "85354-9"
    assert [(c["code"]["coding"][0]["code"], c["valueQuantity"]["value"]) for c in bp["component"]] == [
        ("8480-6", reading.sbp), ("8462-4", reading.dbp)]
    assert bp["component"][0]["valueQuantity"]["code"] == "mm[Hg]"
    assert resources[f"vitals-{reading.pk}-hr"]["valueQuantity"]["value"] == reading.hr
    assert bp["meta"]["profile"] == [services.US_CORE + "us-core-blood-pressure"]

    session = DosingSession.objects.filter(delivered_mg__isnull=False, lot_id__isnull=False).first()
    resources = {r["id"]: r for r in _resources(services.patient_bundle(session.patient).model_dump_json())}
    given = resources[f"medicationadministration-{session.pk}"]
    assert float(given["dosage"]["dose"]["value"]) == float(session.delivered_mg)
    assert given["context"]["reference"] == f"Encounter/encounter-{session.pk}"
    medication = resources[given["medicationReference"]["reference"].split("/")[1]]
    from ketamine_clinic.inventory.models import Lot

    assert medication["batch"]["lotNumber"] == Lot.objects.get(pk=session.lot_id).lot_number

    phq9 = MeasureResponse.objects.filter(instrument="phq9", total__isnull=False).first()
    resources = {r["id"]: r for r in _resources(services.patient_bundle(phq9.patient).model_dump_json())}
    score = resources[f"score-{phq9.pk}"]
    assert score["code"]["coding"][0]["code"] == "44261-6"
    assert score["valueQuantity"]["value"] == phq9.total
    assert score["derivedFrom"] == [{"reference": f"QuestionnaireResponse/questionnaireresponse-{phq9.pk}"}]
    answers = resources[f"questionnaireresponse-{phq9.pk}"]["item"]
    assert [i.get("answer", [{}])[0].get("valueInteger") for i in answers] == phq9.answers
    # Each answered item is an Observation with its LOINC code, a member of the total.
    members = [resources[m["reference"].split("/")[1]] for m in score["hasMember"]]
    assert [m["valueInteger"] for m in members] == [x for x in phq9.answers if x is not None]
    assert members[0]["code"]["coding"][0]["code"] == "44250-9"

    # The signed session note is the DocumentReference, its text as signed (amendments follow it).
    note = SessionNote.objects.filter(signed_at__isnull=False).first()
    resources = {r["id"]: r for r in _resources(services.patient_bundle(note.session.patient).model_dump_json())}
    doc = resources[f"documentreference-{note.pk}"]
    assert base64.b64decode(doc["content"][0]["attachment"]["data"]).decode().startswith(note.body)
    assert doc["docStatus"] == "final"

    # The intake's baseline vitals, and the treatment plan with every version (who, when, why).
    from ketamine_clinic.assessment.models import IntakeAssessment
    from ketamine_clinic.plans.models import TreatmentPlan

    intake = IntakeAssessment.objects.filter(vitals_taken_at__isnull=False, systolic_bp_mmhg__isnull=False).first()
    resources = {r["id"]: r for r in _resources(services.patient_bundle(intake.patient).model_dump_json())}
    assert resources[f"intake-{intake.pk}-bp"]["component"][0]["valueQuantity"]["value"] == intake.systolic_bp_mmhg
    plan = TreatmentPlan.objects.filter(versions__number__gte=1).first()
    resources = {r["id"]: r for r in _resources(services.patient_bundle(plan.patient).model_dump_json())}
    care_plan = resources[f"careplan-{plan.pk}"]
    assert [n["text"].split(":")[0] for n in care_plan["note"]] == [
        f"Version {v.number}" for v in plan.versions.order_by("number")]
