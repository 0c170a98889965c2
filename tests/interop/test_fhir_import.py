"""Import of a referral's FHIR Bundle (issue 16 item 4): a preview of what will be created or merged, then one audited
transaction; an invalid Bundle refused whole with the FHIR path of what is wrong; a matched patient merged without
duplicates; and a round trip (export a demo patient, import it as a new patient, export again: the same content)."""

import datetime as dt
import html
import json
import re

import pytest
from fhir.resources.R4B.allergyintolerance import AllergyIntolerance
from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.dosage import Dosage
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.reference import Reference

from ketamine_clinic.assessment.models import PreviousTreatment
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.interop import services
from ketamine_clinic.patients.models import Diagnosis, Patient

LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
REFERRER = "urn:uuid:6a1c1c36-1d6b-4f0e-9d0e-9a0d5f3d2b11"


def referral(mrn="REF0001", first="Odalys", last="Referred", birth="1979-04-12", **extra):
    """A referral Bundle built with the FHIR models, as a referrer's EHR would send it."""
    subject = Reference(reference=REFERRER)
    resources = [
        FhirPatient(identifier=[Identifier(system=services.MRN_SYSTEM, value=mrn)],
                    name=[HumanName(family=last, given=[first])], gender="female", birthDate=birth),
        Condition(subject=subject, recordedDate="2026-10-02",
                  code=CodeableConcept(coding=[Coding(system=ICD10, code="F33.2")],
                                       text="Major depressive disorder, recurrent severe without psychotic features")),
        AllergyIntolerance(patient=subject, code=CodeableConcept(text="Penicillin (hives)")),
        MedicationStatement(status="completed", subject=subject, dosage=[Dosage(text="150 mg daily")],
                            medicationCodeableConcept=CodeableConcept(text="sertraline")),
        MedicationStatement(status="active", subject=subject, dosage=[Dosage(text="300 mg every morning")],
                            medicationCodeableConcept=CodeableConcept(text="bupropion XL")),
        Observation(status="final", subject=subject, effectiveDateTime="2026-11-20",
                    code=CodeableConcept(coding=[Coding(system=LOINC, code="29463-7", display="Body weight")]),
                    valueQuantity=Quantity(value=72.5, unit="kg", system="http://unitsofmeasure.org", code="kg")),
        Observation(status="final", subject=subject, effectiveDateTime="2026-11-20",
                    code=CodeableConcept(coding=[Coding(system=LOINC, code="8867-4", display="Heart rate")]),
                    valueQuantity=Quantity(value=71, unit="/min", system="http://unitsofmeasure.org", code="/min")),
        Practitioner(name=[HumanName(family="Referrer", given=["Dana"])]),
    ]
    entries = [BundleEntry(fullUrl=REFERRER if i == 0 else f"urn:uuid:00000000-0000-4000-8000-{i:012d}", resource=r)
               for i, r in enumerate(resources)]
    return Bundle(type="collection", entry=entries).model_dump_json()


def post(client, path, body):
    return client.post(path, body, content_type="application/fhir+json")


def test_preview_writes_nothing_then_import_creates_the_patient(staff, client_as):
    client = client_as(staff["prescriber"])
    before = Patient.objects.count()
    answer = post(client, "/api/fhir/import/preview", referral())
    assert answer.status_code == 200, answer.content
    preview = answer.json()
    assert preview["patient_id"] is None and preview["matched_by"] == ""
    assert [(i["kind"], i["path"]) for i in preview["create"]] == [
        ("Patient", "Bundle.entry[0].resource"), ("Diagnosis", "Bundle.entry[1].resource"),
        ("Allergy", "Bundle.entry[2].resource"), ("Previous treatment", "Bundle.entry[3].resource"),
        ("Current medication", "Bundle.entry[4].resource"), ("Weight", "Bundle.entry[5].resource")]
    assert {i["kind"] for i in preview["not_imported"]} == {"Observation", "Practitioner"}
    assert Patient.objects.count() == before
    assert not AuditEvent.objects.filter(action="create").exists()

    answer = post(client, "/api/fhir/import", referral())
    assert answer.status_code == 201, answer.content
    patient = Patient.objects.get(pk=answer.json()["patient_id"])
    assert (patient.mrn, patient.first_name, patient.last_name, patient.date_of_birth, patient.sex) == (
        "REF0001", "Odalys", "Referred", dt.date(1979, 4, 12), "female")
    assert list(patient.diagnoses.values_list("icd10_code", "noted_on")) == [("F33.2", dt.date(2026, 10, 2))]
    assert patient.allergies == "Penicillin (hives)"
    assert patient.current_medications == "bupropion XL 300 mg every morning"
    (treatment,) = patient.previous_treatments.all()
    assert (treatment.name, treatment.dose, treatment.kind) == ("sertraline", "150 mg daily", "antidepressant")
    assert (float(patient.weight_kg), patient.weight_measured_on) == (72.5, dt.date(2026, 11, 20))
    # The registering prescriber joins the care team (as on the registration page); every write is audited.
    assert patient.careteammember_set.filter(user=staff["prescriber"]).exists()
    events = AuditEvent.objects.filter(patient=patient)
    assert events.filter(action="create", object_type="patients.Diagnosis").count() == 1
    assert events.filter(action="create", object_type="assessment.PreviousTreatment").count() == 1
    assert events.filter(action="create", detail__import="FHIR referral", detail__via="API").count() == 1


def test_a_matched_patient_is_merged_without_duplicates(staff, client_as, make_patient):
    existing = make_patient(care_team=[staff["prescriber"]], mrn="OLD0042", first_name="Odalys", last_name="Referred",
                            date_of_birth=dt.date(1979, 4, 12), allergies="Penicillin (hives)")
    Diagnosis.objects.create(patient=existing, icd10_code="F33.2", description="MDD", noted_on=dt.date(2026, 1, 5))
    client = client_as(staff["prescriber"])
    # Another MRN (the referrer's), the same name and birth date: the chart is found by name and birth date.
    preview = post(client, "/api/fhir/import/preview", referral(mrn="ELSEWHERE-9")).json()
    assert (preview["patient_id"], preview["matched_by"]) == (existing.pk, "name and birth date")
    assert {i["kind"] for i in preview["already"]} >= {"Patient", "Diagnosis", "Allergy"}
    answer = post(client, "/api/fhir/import", referral(mrn="ELSEWHERE-9"))
    assert answer.status_code == 200
    existing.refresh_from_db()
    assert existing.mrn == "OLD0042"
    assert existing.diagnoses.count() == 1
    assert existing.allergies == "Penicillin (hives)"
    assert existing.previous_treatments.count() == 1
    # Again, by MRN this time: nothing new, nothing doubled.
    answer = post(client, "/api/fhir/import", referral(mrn="OLD0042"))
    assert answer.status_code == 200 and answer.json()["matched_by"] == "MRN" and answer.json()["create"] == []
    existing.refresh_from_db()
    assert (existing.diagnoses.count(), existing.previous_treatments.count()) == (1, 1)
    assert existing.current_medications == "bupropion XL 300 mg every morning"
    assert Patient.objects.filter(last_name="Referred").count() == 1


def test_an_mrn_of_another_person_is_refused(staff, client_as, make_patient):
    make_patient(mrn="REF0001", first_name="Someone", last_name="Else")
    answer = post(client_as(staff["director"]), "/api/fhir/import", referral())
    assert answer.status_code == 422
    assert "MRN REF0001 is another person" in json.dumps(answer.json())


def test_an_invalid_bundle_is_refused_whole_with_the_path(staff, client_as):
    client = client_as(staff["prescriber"])
    data = json.loads(referral())
    data["entry"][0]["resource"]["birthDate"] = "1979-02-30"
    data["entry"][3]["resource"]["dateAsserted"] = "last spring"
    before = (Patient.objects.count(), Diagnosis.objects.count(), PreviousTreatment.objects.count())
    for path in ("/api/fhir/import/preview", "/api/fhir/import"):
        answer = post(client, path, json.dumps(data))
        assert answer.status_code == 422
        problems = answer.json()["detail"]["__all__"]
        assert any(p.startswith("Bundle.entry[0].resource.birthDate: invalid date") for p in problems), problems
        assert any(p.startswith("Bundle.entry[3].resource.dateAsserted: invalid date") for p in problems), problems
    assert (Patient.objects.count(), Diagnosis.objects.count(), PreviousTreatment.objects.count()) == before
    assert not AuditEvent.objects.filter(action="create").exists()


def test_a_record_of_another_patient_refuses_the_bundle(staff, client_as):
    data = json.loads(referral())
    data["entry"][1]["resource"]["subject"] = {"reference": "Patient/somebody-else"}
    answer = post(client_as(staff["prescriber"]), "/api/fhir/import", json.dumps(data))
    assert answer.status_code == 422
    assert any(p.startswith("Bundle.entry[1].resource.subject: refers to Patient/somebody-else")
               for p in answer.json()["detail"]["__all__"])
    assert not Patient.objects.filter(mrn="REF0001").exists()


@pytest.mark.parametrize("body, says", [
    ("not json", "Bundle: not JSON"),
    ('{"resourceType": "Patient"}', "not a FHIR Bundle"),
    ('{"resourceType": "Bundle", "type": "collection"}', "exactly one Patient"),
])
def test_what_is_not_a_referral_is_422(staff, client_as, body, says):
    answer = post(client_as(staff["prescriber"]), "/api/fhir/import/preview", body)
    assert answer.status_code == 422 and says in json.dumps(answer.json())


@pytest.mark.parametrize("role, status", [("nurse", 403), ("front_desk", 403), ("therapist", 403), ("director", 201)])
def test_the_role_needs_what_the_pages_need(staff, client_as, role, status):
    # The nurse writes the registry and clinical record but not diagnoses; the desk no clinical record at all.
    answer = post(client_as(staff[role]), "/api/fhir/import", referral())
    assert answer.status_code == status, answer.content
    assert Patient.objects.filter(mrn="REF0001").exists() == (status == 201)


def test_a_patient_may_not_import(make_patient, client_as):
    patient = make_patient(with_login=True)
    assert post(client_as(patient.user), "/api/fhir/import/preview", referral()).status_code == 403


def test_the_pages_upload_preview_and_confirm(staff, client_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_as(staff["prescriber"])
    assert client.get("/interop/import/").status_code == 200
    upload = SimpleUploadedFile("referral.json", referral().encode(), content_type="application/fhir+json")
    page = client.post("/interop/import/", {"upload": upload})
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="import-create"' in text and "F33.2" in text and "Bundle.entry[5].resource" in text
    assert not Patient.objects.filter(mrn="REF0001").exists()
    # The preview's form carries the Bundle to the confirmation, where it is read again.
    carried = html.unescape(re.search(r'name="bundle" value="([^"]*)"', text).group(1))
    assert json.loads(carried) == json.loads(referral())
    done = client.post("/interop/import/confirm/", {"bundle": carried})
    patient = Patient.objects.get(mrn="REF0001")
    assert done.status_code == 302 and done["Location"] == f"/patients/{patient.pk}/"
    assert AuditEvent.objects.filter(patient=patient, detail__via="import page").exists()


def test_the_page_shows_the_paths_and_keeps_the_text(staff, client_as):
    data = json.loads(referral())
    data["entry"][0]["resource"]["birthDate"] = "1979-02-30"
    pasted = json.dumps(data)
    page = client_as(staff["prescriber"]).post("/interop/import/confirm/", {"bundle": pasted})
    assert page.status_code == 400
    text = page.content.decode()
    assert "Bundle.entry[0].resource.birthDate: invalid date" in text and "nothing was written" in text
    assert "1979-02-30" in text  # what was pasted is on the form again
    assert not Patient.objects.filter(mrn="REF0001").exists()


# --- the round trip -------------------------------------------------------------------------------------------
def _content(bundle_json: str) -> dict:
    """The clinical content of the imported resource types, without ids, dates of recording and references."""
    resources = [e["resource"] for e in json.loads(bundle_json)["entry"]]

    def of(kind):
        return [r for r in resources if r["resourceType"] == kind]

    (patient,) = of("Patient")
    return {
        "patient": (patient["gender"], patient["birthDate"]),
        "conditions": sorted((json.dumps(c["code"], sort_keys=True), c.get("recordedDate")) for c in of("Condition")),
        "allergies": sorted(json.dumps(a["code"], sort_keys=True) for a in of("AllergyIntolerance")),
        "medications": sorted(json.dumps([m["medicationCodeableConcept"], m.get("dosage"), m.get("note"), m["status"]],
                                         sort_keys=True) for m in of("MedicationStatement")),
        "measures": sorted((o["code"]["coding"][0]["code"], o["valueQuantity"]["value"], o["effectiveDateTime"])
                           for o in of("Observation") if o["id"].startswith("patient-")),
    }


def test_round_trip_export_import_export(demo_chain, staff, client_as):
    clinic = demo_chain(patients=10, through="assessment")
    source = next(p for p in clinic.patients if p.previous_treatments.filter(kind="antidepressant").exists()
                  and p.diagnoses.exists() and p.allergies.strip() and p.height_cm is not None)
    exported = services.patient_bundle(source).model_dump_json()
    # Into a clinic without that patient: a fresh MRN and name (the same person would be matched and merged).
    data = json.loads(exported)
    for entry in data["entry"]:
        if entry["resource"]["resourceType"] == "Patient":
            entry["resource"]["identifier"][0]["value"] = "RT-0001"
            entry["resource"]["name"] = [{"family": "Roundtrip", "given": ["Rowan"]}]
    answer = post(client_as(staff["director"]), "/api/fhir/import", json.dumps(data))
    assert answer.status_code == 201, answer.content
    imported = Patient.objects.get(pk=answer.json()["patient_id"])
    assert imported.pk != source.pk and imported.mrn == "RT-0001"
    again = services.patient_bundle(imported).model_dump_json()
    before, after = _content(exported), _content(again)
    assert after["conditions"] and after["allergies"] and after["medications"] and after["measures"]
    assert after == before
    # What the clinic does not import from a referral (its own sessions, plans, vitals) is said so, by kind.
    skipped = {i["kind"] for i in answer.json()["not_imported"]}
    assert "Practitioner" in skipped and not skipped & {"Patient", "Condition", "AllergyIntolerance"}
