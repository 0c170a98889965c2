"""Issue 12: the eligibility screen reads the chart's coded diagnoses and the treatment history.

Reproduced on the demo: patients coded F31.32 screened "bipolar: No" and "Eligible · nothing found"; a screening
"Eligible" beside "does not meet the treatment-resistance definition".
"""

import datetime as dt
import json
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.assessment import services
from ketamine_clinic.assessment.models import (
    ChartMismatchResolution,
    EligibilityDecision,
    EligibilityScreening,
)
from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.demo.assessment import record_intake
from ketamine_clinic.patients.models import Diagnosis

pytestmark = pytest.mark.django_db


def code(patient, icd10, description, **kw):
    return Diagnosis.objects.create(patient=patient, icd10_code=icd10, description=description, **kw)


@pytest.fixture
def bipolar(staff, make_patient, failed_trials):
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]], first_name="Bea", last_name="Polar")
    code(patient, "F31.32", "Bipolar disorder, current episode depressed, moderate", is_primary=True)
    failed_trials(patient, staff["nurse"])
    return patient


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


# ---- pre-fill --------------------------------------------------------------------------------------------------


def test_new_intake_form_starts_with_bipolar_yes_from_the_chart(bipolar, staff, client_as):
    page = client_as(staff["nurse"]).get(reverse("assessment:intake", args=[bipolar.pk]))
    html = page.content.decode()
    assert 'id="chart-code-bipolar_disorder"' in html and "from the chart: F31.32" in html
    assert re.search(r'<input[^>]*name="bipolar_disorder"[^>]*value="true"[^>]*checked', html)
    assert page.context["form"]["pregnant"].value() == ""  # nothing coded: not pre-filled


def test_prefill_overrides_an_earlier_intakes_wrong_answer(bipolar, staff, client_as):
    record_intake(staff["nurse"], bipolar, bipolar_disorder=False)
    form = client_as(staff["nurse"]).get(reverse("assessment:intake", args=[bipolar.pk])).context["form"]
    assert form["bipolar_disorder"].value() == "true"


def test_seed_helper_prefills_from_the_chart(bipolar, staff):
    record_intake(staff["nurse"], bipolar)
    screening = services.latest_screening(bipolar)
    assert screening.facts["bipolar_disorder"] is True
    assert [r["code"] for r in screening.reasons] == ["bipolar_disorder"]
    assert screening.status == "eligible_with_cautions"


# ---- cross-check: service ----------------------------------------------------------------------------------


def test_bipolar_no_with_f31_records_a_mismatch_that_blocks_proceed_until_resolved(bipolar, staff):
    record_intake(staff["nurse"], bipolar, bipolar_disorder=False)
    screening = services.latest_screening(bipolar)
    assert screening.status == "eligible_with_cautions"  # never "Eligible · nothing found"
    assert [r["code"] for r in screening.mismatch_reasons] == ["chart_mismatch:bipolar_disorder"]

    with pytest.raises(ValidationError) as exc:
        services.record_decision(
            staff["prescriber"], bipolar, screening=screening, decision="proceed", rationale="ok",
            override_reason="reviewed",
        )
    assert "contradict" in exc.value.message_dict["decision"][0]
    assert EligibilityDecision.objects.count() == 0

    # Only a prescriber resolves, and only with a reason.
    with pytest.raises(PermissionDenied):
        services.resolve_mismatch(staff["nurse"], screening, fact="bipolar_disorder", reason="patient says no")
    with pytest.raises(ValidationError) as exc:
        services.resolve_mismatch(staff["prescriber"], screening, fact="bipolar_disorder", reason="  ")
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.resolve_mismatch(staff["prescriber"], screening, fact="pregnant", reason="x")
    assert "fact" in exc.value.message_dict

    row = services.resolve_mismatch(
        staff["prescriber"],
        screening,
        fact="bipolar_disorder",
        reason="F31.32 came from a referral letter; records and collateral history show no manic episode ever. "
        "Diagnosis revised to F33.1; chart correction requested.",
    )
    assert row.chart_codes == "F31.32" and row.resolved_by == staff["prescriber"]
    assert AuditEvent.objects.filter(action="override", object_type="assessment.ChartMismatchResolution").exists()
    assert services.mismatch_problem(screening) is None
    with pytest.raises(ValidationError):  # resolved once only
        services.resolve_mismatch(staff["prescriber"], screening, fact="bipolar_disorder", reason="again")

    decision = services.record_decision(
        staff["prescriber"], bipolar, screening=screening, decision="proceed", rationale="TRD",
        override_reason="Chart contradiction resolved above.",
    )
    assert decision.decision == "proceed" and services.eligibility_is_current(bipolar)


def test_declining_does_not_need_the_mismatch_resolved(bipolar, staff):
    record_intake(staff["nurse"], bipolar, bipolar_disorder=False)
    screening = services.latest_screening(bipolar)
    services.record_decision(staff["prescriber"], bipolar, screening=screening, decision="decline",
                             rationale="Clarify the diagnosis first.")
    assert EligibilityDecision.objects.get().decision == "decline"


def test_a_diagnosis_coded_after_the_screening_outdates_it_for_proceed(staff, make_patient, failed_trials):
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]])
    failed_trials(patient, staff["nurse"])
    record_intake(staff["nurse"], patient)
    screening = services.latest_screening(patient)
    assert screening.status == "eligible"
    code(patient, "F31.32", "Bipolar disorder, current episode depressed, moderate")
    with pytest.raises(ValidationError) as exc:
        services.record_decision(staff["prescriber"], patient, screening=screening, decision="proceed",
                                 rationale="ok")
    assert "chart has changed" in exc.value.message_dict["screening"][0]
    record_intake(staff["nurse"], patient)  # the updated intake pre-fills bipolar from the chart
    assert [r["code"] for r in services.latest_screening(patient).reasons] == ["bipolar_disorder"]


# ---- treatment resistance is a caution of the screen itself --------------------------------------------------


def test_eligible_beside_does_not_meet_trd_is_now_a_caution(staff, make_patient, failed_trials, client_as):
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]])
    failed_trials(patient, staff["nurse"], n=1)
    record_intake(staff["nurse"], patient)
    screening = services.latest_screening(patient)
    assert screening.status == "eligible_with_cautions"
    assert [r["code"] for r in screening.reasons] == ["not_treatment_resistant"]
    page = client_as(staff["prescriber"]).get(reverse("assessment:chart", args=[patient.pk])).content.decode()
    assert ">Eligible with cautions<" in page and "Does not meet the treatment-resistance definition" in page
    assert ">Eligible<" not in page
    # The decision reads the same result: proceeding needs a written reason.
    with pytest.raises(ValidationError) as exc:
        services.record_decision(staff["prescriber"], patient, screening=screening, decision="proceed",
                                 rationale="ok")
    assert "override_reason" in exc.value.message_dict
    api = client_as(staff["prescriber"]).get(f"/api/assessment/patient/{patient.pk}").json()
    assert api["screening"]["status"] == "eligible_with_cautions"
    assert [r["code"] for r in api["screening"]["reasons"]] == ["not_treatment_resistant"]


def test_recording_the_second_failed_trial_rescreens(staff, make_patient, failed_trials, client_as):
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]])
    failed_trials(patient, staff["nurse"], n=1)
    record_intake(staff["nurse"], patient)
    first = services.latest_screening(patient)
    client_as(staff["nurse"]).post(
        reverse("assessment:treatment_add", args=[patient.pk]),
        {"kind": "antidepressant", "name": "mirtazapine", "dose": "45 mg", "duration_weeks": "8",
         "dose_adequate": "true", "outcome": "no_response", "current_episode": "on"},
    )
    latest = services.latest_screening(patient)
    assert latest.pk != first.pk and latest.status == "eligible" and latest.reasons == []
    # Adding a treatment that changes nothing does not re-screen.
    client_as(staff["nurse"]).post(
        reverse("assessment:treatment_add", args=[patient.pk]),
        {"kind": "psychotherapy", "name": "CBT", "outcome": "partial_response", "current_episode": "on"},
    )
    assert services.latest_screening(patient).pk == latest.pk


# ---- pages ---------------------------------------------------------------------------------------------------


def test_pages_show_the_contradiction_and_its_resolution(bipolar, staff, client_as):
    record_intake(staff["nurse"], bipolar, bipolar_disorder=False)
    prescriber = client_as(staff["prescriber"])
    chart = prescriber.get(reverse("assessment:chart", args=[bipolar.pk])).content.decode()
    assert "The chart and the screening disagree: Bipolar disorder" in chart
    assert 'id="mismatch-problem"' in chart and "must resolve" in chart
    assert "Nothing found" not in chart

    response = prescriber.post(
        reverse("assessment:decision", args=[bipolar.pk]),
        {"decision": "proceed", "rationale": "TRD", "override_reason": "reviewed"},
    )
    assert response.status_code == 400
    assert "contradict the screening answers" in response.content.decode()
    assert EligibilityDecision.objects.count() == 0

    url = reverse("assessment:resolve_mismatch", args=[bipolar.pk, "bipolar_disorder"])
    assert prescriber.post(url, {"reason": ""}).status_code == 400
    assert client_as(staff["nurse"]).post(url, {"reason": "x"}).status_code == 403
    assert prescriber.post(url, {"reason": "Diagnosis revised after record review."}).status_code == 302
    assert ChartMismatchResolution.objects.get().reason == "Diagnosis revised after record review."
    chart = prescriber.get(reverse("assessment:chart", args=[bipolar.pk])).content.decode()
    assert "resolved by" in chart and "Diagnosis revised after record review." in chart
    assert 'id="mismatch-problem"' not in chart
    again = prescriber.post(url, {"reason": "Typed a second time"})
    assert again.status_code == 400
    assert "no unresolved contradiction with the chart" in again.content.decode()
    response = prescriber.post(
        reverse("assessment:decision", args=[bipolar.pk]),
        {"decision": "proceed", "rationale": "TRD", "override_reason": "reviewed"},
    )
    assert response.status_code == 302


# ---- API -----------------------------------------------------------------------------------------------------


def test_api_reports_the_mismatch_refuses_proceed_and_takes_a_resolution(bipolar, staff, client_as):
    from ketamine_clinic.assessment.models import SCREENING_FIELDS

    answers = {n: False for n in SCREENING_FIELDS if n != "hypertension_controlled"}
    nurse, prescriber = client_as(staff["nurse"]), client_as(staff["prescriber"])
    body = {"presenting_problem": "Depression", "systolic_bp_mmhg": 120, "diastolic_bp_mmhg": 75,
            "answers": answers}
    data = post_json(nurse, f"/api/assessment/patient/{bipolar.pk}/intakes", body).json()
    assert data["status"] == "eligible_with_cautions"
    assert [m["fact"] for m in data["mismatches"]] == ["bipolar_disorder"]
    assert data["mismatches"][0]["resolved"] is False and "must resolve" in data["mismatch_problem"]

    decide = f"/api/assessment/patient/{bipolar.pk}/decision"
    response = post_json(prescriber, decide, {"decision": "proceed", "rationale": "x", "override_reason": "y"})
    assert response.status_code == 422 and "contradict" in response.json()["detail"]["decision"][0]

    resolve = f"/api/assessment/patient/{bipolar.pk}/mismatches/bipolar_disorder/resolution"
    assert post_json(nurse, resolve, {"reason": "x"}).status_code == 403
    assert post_json(prescriber, resolve, {"reason": " "}).status_code == 422
    response = post_json(prescriber, resolve, {"reason": "Diagnosis revised; chart to be corrected."})
    assert response.status_code == 201 and response.json()["resolved"] is True
    summary = prescriber.get(f"/api/assessment/patient/{bipolar.pk}").json()
    assert summary["screening"]["mismatches"][0]["resolution"] == "Diagnosis revised; chart to be corrected."
    assert summary["screening"]["mismatch_problem"] is None
    response = post_json(prescriber, decide, {"decision": "proceed", "rationale": "x", "override_reason": "y"})
    assert response.status_code == 201


def test_api_unanswered_bipolar_is_taken_from_the_chart(bipolar, staff, client_as):
    body = {"presenting_problem": "Depression", "systolic_bp_mmhg": 120, "diastolic_bp_mmhg": 75, "answers": {}}
    data = post_json(client_as(staff["nurse"]), f"/api/assessment/patient/{bipolar.pk}/intakes", body).json()
    codes = {r["code"] for r in data["reasons"]}
    assert "bipolar_disorder" in codes and "unanswered:bipolar_disorder" not in codes


# ---- demo seed -----------------------------------------------------------------------------------------------


def test_demo_patients_coded_bipolar_are_screened_as_bipolar_with_a_considered_decision(db):
    from ketamine_clinic.demo.assessment import seed as seed_assessment
    from ketamine_clinic.demo.clinic import DemoClinic, seed_registry

    clinic = DemoClinic()
    seed_registry(clinic)
    seed_assessment(clinic)
    coded = [p for p in clinic.patients if p.diagnoses.filter(icd10_code__startswith="F31").exists()]
    assert coded, "the demo has bipolar-coded patients"
    now = timezone.now()
    for patient in coded:
        screening = services.latest_screening(patient)
        assert screening.facts["bipolar_disorder"] is True, patient.mrn
        assert screening.mismatch_reasons == [], patient.mrn
        codes = [r["code"] for r in screening.reasons]
        assert "bipolar_disorder" in codes and screening.status != "eligible", patient.mrn
        if screening.status != "not_eligible":
            decision = screening.decisions.get()
            assert decision.decision == "proceed" and "mania" in decision.override_reason, patient.mrn
    for screening in EligibilityScreening.objects.all():
        assert screening.screened_at <= now
        # The result the page shows and the treatment history agree.
        trd = services.treatment_resistance(screening.patient)
        assert ("not_treatment_resistant" in [r["code"] for r in screening.reasons]) == (
            not trd.treatment_resistant
        )
        for decision in screening.decisions.all():
            assert screening.screened_at <= decision.decided_at <= now
            if screening.status == "eligible_with_cautions" and decision.decision == "proceed":
                assert decision.override_reason
    for intake in services.IntakeAssessment.objects.exclude(vitals_taken_at=None):
        assert intake.vitals_taken_at <= now + dt.timedelta(minutes=5)
