"""Recording an intake runs the eligibility screen; bad input re-renders with messages and saves nothing."""

from decimal import Decimal

import pytest
from django.urls import reverse

from ketamine_clinic.assessment.models import SCREENING_FIELDS, EligibilityScreening, IntakeAssessment
from ketamine_clinic.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def intake_post(**overrides):
    data = {
        "presenting_problem": "Recurrent depression, 3 failed antidepressants",
        "suicide_attempts": "0",
        "current_medications": "Sertraline 150 mg daily",
        "systolic_bp_mmhg": "122",
        "diastolic_bp_mmhg": "78",
        "heart_rate_bpm": "70",
        "spo2_percent": "98",
        "weight_kg": "80.5",
        "vitals_taken_at": "2026-11-20T09:15",
        **{name: "false" for name in SCREENING_FIELDS},
    }
    data["hypertension_controlled"] = ""
    data.update(overrides)
    return data


@pytest.fixture
def setup(staff, make_patient, failed_trials):
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"], staff["therapist"]])
    failed_trials(patient, staff["nurse"])  # treatment-resistant: otherwise the screen lists that as a caution
    return patient, staff


def test_clear_intake_is_eligible_and_updates_chart_weight(setup, client_as):
    patient, staff = setup
    response = client_as(staff["nurse"]).post(reverse("assessment:intake", args=[patient.pk]), intake_post())
    assert response.status_code == 302
    screening = EligibilityScreening.objects.get(patient=patient)
    assert screening.status == "eligible" and screening.reasons == []
    patient.refresh_from_db()
    assert patient.weight_kg == Decimal("80.5")
    actions = set(AuditEvent.objects.filter(patient=patient).values_list("action", "object_type"))
    assert ("create", "assessment.IntakeAssessment") in actions
    assert ("create", "assessment.EligibilityScreening") in actions
    assert ("update", "patients.Patient") in actions
    page = client_as(staff["nurse"]).get(reverse("assessment:chart", args=[patient.pk]))
    assert b"Eligible" in page.content


def test_absolute_contraindication_is_listed_with_its_source(setup, client_as):
    patient, staff = setup
    client_as(staff["nurse"]).post(
        reverse("assessment:intake", args=[patient.pk]), intake_post(aneurysmal_vascular_disease="true")
    )
    screening = EligibilityScreening.objects.get(patient=patient)
    assert screening.status == "not_eligible"
    reason = screening.reasons[0]
    assert reason["code"] == "aneurysmal_vascular_disease" and "SPRAVATO" in reason["sources"][0]
    page = client_as(staff["prescriber"]).get(reverse("assessment:chart", args=[patient.pk]))
    assert b"absolute contraindication blocks treatment planning" in page.content
    assert b"SPRAVATO" in page.content


def test_interaction_from_medication_list(setup, client_as):
    patient, staff = setup
    client_as(staff["nurse"]).post(
        reverse("assessment:intake", args=[patient.pk]),
        intake_post(current_medications="Lamotrigine 200 mg\nSertraline"),
    )
    screening = EligibilityScreening.objects.get(patient=patient)
    assert screening.status == "eligible_with_cautions"
    assert [r["code"] for r in screening.reasons] == ["interaction:lamotrigine"]


def test_invalid_vitals_rerender_with_field_messages_and_save_nothing(setup, client_as):
    patient, staff = setup
    response = client_as(staff["nurse"]).post(
        reverse("assessment:intake", args=[patient.pk]),
        intake_post(systolic_bp_mmhg="80", diastolic_bp_mmhg="95", spo2_percent="130"),
    )
    assert response.status_code == 400
    assert (
        b"Diastolic pressure must be lower than systolic" in response.content
        or b"lower than systolic" in (response.content)
    )
    assert b"less than or equal to 100" in response.content
    assert IntakeAssessment.objects.count() == 0 and EligibilityScreening.objects.count() == 0


def test_weight_without_time_is_refused(setup, client_as):
    patient, staff = setup
    response = client_as(staff["nurse"]).post(
        reverse("assessment:intake", args=[patient.pk]), intake_post(vitals_taken_at="")
    )
    assert response.status_code == 400
    assert b"Give the time the vitals and weight were taken" in response.content
    assert IntakeAssessment.objects.count() == 0


def test_therapist_may_read_but_not_record_intake(setup, client_as):
    patient, staff = setup
    therapist = client_as(staff["therapist"])
    assert therapist.get(reverse("assessment:chart", args=[patient.pk])).status_code == 200
    assert therapist.post(reverse("assessment:intake", args=[patient.pk]), intake_post()).status_code == 403
    assert IntakeAssessment.objects.count() == 0
    assert AuditEvent.objects.filter(action="denied", patient=patient).exists()


def test_staff_outside_the_care_team_get_404(setup, client_as):
    patient, staff = setup
    response = client_as(staff["other_nurse"]).get(reverse("assessment:chart", args=[patient.pk]))
    assert response.status_code == 404


def test_front_desk_cannot_open_the_clinical_tab(setup, client_as):
    patient, staff = setup
    assert (
        client_as(staff["front_desk"]).get(reverse("assessment:chart", args=[patient.pk])).status_code == 403
    )


def test_new_intake_prefills_from_the_last_one(setup, client_as):
    patient, staff = setup
    client = client_as(staff["nurse"])
    client.post(
        reverse("assessment:intake", args=[patient.pk]), intake_post(presenting_problem="Severe MDD x2y")
    )
    page = client.get(reverse("assessment:intake", args=[patient.pk]))
    assert b"Severe MDD x2y" in page.content


def test_intake_weight_keeps_to_the_charts_limits(setup, client_as):
    """The intake weight becomes the chart weight doses are calculated from, so it has the chart's 20-300 kg."""
    patient, staff = setup
    before = patient.weight_kg
    response = client_as(staff["nurse"]).post(reverse("assessment:intake", args=[patient.pk]), intake_post(weight_kg="350"))
    assert response.status_code == 400 and b"less than or equal to 300" in response.content
    patient.refresh_from_db()
    assert patient.weight_kg == before and IntakeAssessment.objects.count() == 0
