"""Assessment API: intake runs the screen, decision rules, consent; 422 for bad input, 403/404 by access."""

import json

import pytest

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.demo.assessment import ensure_consent_documents

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def patient(staff, make_patient, failed_trials):
    ensure_consent_documents(staff["director"])
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]], first_name="Ada", last_name="Api")
    failed_trials(patient, staff["nurse"])  # treatment-resistant: otherwise the screen lists that as a caution
    return patient


CLEAR = {
    "presenting_problem": "TRD",
    "systolic_bp_mmhg": 120,
    "diastolic_bp_mmhg": 75,
    "answers": {
        name: False
        for name in (
            "hypertension unstable_cardiac_disease aneurysmal_vascular_disease arteriovenous_malformation "
            "intracerebral_haemorrhage_history raised_intracranial_pressure raised_intraocular_pressure "
            "severe_liver_disease interstitial_cystitis ketamine_hypersensitivity pregnant breastfeeding "
            "active_psychosis psychosis_history current_mania bipolar_disorder active_substance_use_disorder "
            "substance_use_disorder_history ketamine_misuse_history current_suicidal_intent"
        ).split()
    },
}


def test_intake_decision_consent_through_the_api(patient, staff, client_as):
    nurse, prescriber = client_as(staff["nurse"]), client_as(staff["prescriber"])
    response = post(nurse, f"/api/assessment/patient/{patient.pk}/intakes", CLEAR)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "eligible"

    response = post(
        prescriber,
        f"/api/assessment/patient/{patient.pk}/decision",
        {"decision": "proceed", "rationale": "Clear screen"},
    )
    assert response.status_code == 201

    docs = prescriber.get("/api/assessment/consent-documents").json()
    iv = next(d for d in docs if d["route"] == "iv")
    assert (
        post(
            nurse,
            f"/api/assessment/patient/{patient.pk}/consents",
            {"document_id": iv["id"], "typed_name": "Ada Api"},
        ).status_code
        == 201
    )

    summary = nurse.get(f"/api/assessment/patient/{patient.pk}").json()
    assert summary["eligibility_current"] is True
    assert {c["route"]: c["consented"] for c in summary["consents"]}["iv"] is True
    assert summary["screening"]["status"] == "eligible"
    assert AuditEvent.objects.filter(action="view", patient=patient).exists()


def test_reasons_in_the_api_carry_sources(patient, staff, client_as):
    body = dict(CLEAR, answers=dict(CLEAR["answers"], breastfeeding=True), current_medications="phenelzine")
    data = post(client_as(staff["nurse"]), f"/api/assessment/patient/{patient.pk}/intakes", body).json()
    assert data["status"] == "eligible_with_cautions"
    assert {r["code"] for r in data["reasons"]} == {"breastfeeding", "interaction:maoi"}
    assert all(r["sources"] for r in data["reasons"])


def test_bad_input_is_422_with_the_field_named(patient, staff, client_as):
    nurse = client_as(staff["nurse"])
    response = post(nurse, f"/api/assessment/patient/{patient.pk}/intakes", dict(CLEAR, systolic_bp_mmhg=400))
    assert response.status_code == 422 and "systolic_bp_mmhg" in response.json()["detail"]
    response = post(
        nurse, f"/api/assessment/patient/{patient.pk}/intakes", dict(CLEAR, answers={"shoe_size": True})
    )
    assert response.status_code == 422 and "shoe_size" in response.json()["detail"]
    response = post(
        nurse,
        f"/api/assessment/patient/{patient.pk}/treatments",
        {"kind": "antidepressant", "name": "x", "outcome": "great"},
    )
    assert response.status_code == 422 and "outcome" in response.json()["detail"]


def test_absolute_contraindication_proceed_is_422(patient, staff, client_as):
    body = dict(CLEAR, answers=dict(CLEAR["answers"], current_mania=True))
    post(client_as(staff["nurse"]), f"/api/assessment/patient/{patient.pk}/intakes", body)
    response = post(
        client_as(staff["prescriber"]),
        f"/api/assessment/patient/{patient.pk}/decision",
        {"decision": "proceed", "rationale": "x", "override_reason": "y"},
    )
    assert response.status_code == 422
    assert "absolute contraindication" in response.json()["detail"]["decision"][0]


def test_access_rules(patient, staff, client_as):
    assert (
        post(
            client_as(staff["therapist"]), f"/api/assessment/patient/{patient.pk}/intakes", CLEAR
        ).status_code
        == 404
    )  # therapist not on this care team
    assert (
        post(
            client_as(staff["nurse"]),
            f"/api/assessment/patient/{patient.pk}/decision",
            {"decision": "decline", "rationale": "x"},
        ).status_code
        == 403
    )
    assert client_as(staff["front_desk"]).get(f"/api/assessment/patient/{patient.pk}").status_code == 403
    assert (
        post(
            client_as(staff["nurse"]),
            "/api/assessment/consent-documents",
            {"route": "iv", "title": "t", "body": "b"},
        ).status_code
        == 403
    )


def test_patient_submits_previsit_and_consents_through_the_api(staff, make_patient, client_as):
    ensure_consent_documents(staff["director"])
    patient = make_patient(care_team=[staff["nurse"]], with_login=True, first_name="Pia", last_name="Portal")
    me = client_as(patient.user)
    response = post(
        me,
        f"/api/assessment/patient/{patient.pk}/previsit",
        {"reasons_for_seeking_treatment": "Low mood", "answers": {"pregnant": False}},
    )
    assert response.status_code == 201
    assert (
        post(
            me,
            f"/api/assessment/patient/{patient.pk}/previsit",
            {"reasons_for_seeking_treatment": "x", "answers": {"current_mania": True}},
        ).status_code
        == 422
    )
    from ketamine_clinic.assessment.models import ConsentDocument

    iv = ConsentDocument.objects.get(route="iv", version=1)
    doc = me.get(f"/api/assessment/consent-documents/{iv.pk}").json()
    assert doc["title"].startswith("Consent to intravenous")
    response = post(
        me,
        f"/api/assessment/patient/{patient.pk}/consents",
        {"document_id": doc["id"], "typed_name": "Pia Portal"},
    )
    assert response.status_code == 201
    # Staff cannot submit the patient's own questionnaire.
    assert (
        post(
            client_as(staff["nurse"]),
            f"/api/assessment/patient/{patient.pk}/previsit",
            {"reasons_for_seeking_treatment": "x"},
        ).status_code
        == 403
    )
