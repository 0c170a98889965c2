"""The PDMP check before a controlled-substance plan starts (core.safety.pdmp): the rule, the gate on plan creation
through the service, the page and the API, the record's checks, and who may record it."""

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.audit.models import AuditEvent
from ketamine_clinic.core.safety import pdmp
from ketamine_clinic.demo.assessment import approve, consent, ensure_consent_documents, record_intake
from ketamine_clinic.plans import services
from ketamine_clinic.plans.models import PdmpCheck, TreatmentPlan

TODAY = dt.date(2026, 12, 1)


def test_a_check_is_current_for_the_clinics_number_of_days_and_no_longer():
    assert pdmp.currency_problem(TODAY - dt.timedelta(days=90), TODAY) is None
    assert pdmp.currency_problem(TODAY, TODAY) is None
    stale = pdmp.currency_problem(TODAY - dt.timedelta(days=91), TODAY)
    assert stale and "91 days old" in stale and "up to 90 days" in stale
    assert pdmp.currency_problem(TODAY - dt.timedelta(days=8), TODAY, valid_days=7)
    assert "No PDMP check is recorded" in pdmp.currency_problem(None, TODAY)


@pytest.mark.parametrize(
    "check, field",
    [
        (pdmp.PdmpCheck(TODAY + dt.timedelta(days=1), "NY", pdmp.NO_CONCERNS), "checked_on"),
        (pdmp.PdmpCheck(TODAY, "XX", pdmp.NO_CONCERNS), "state"),
        (pdmp.PdmpCheck(TODAY, "NY", "maybe"), "result"),
        (pdmp.PdmpCheck(TODAY, "NY", pdmp.CONCERNS, "  "), "concerns"),
    ],
)
def test_a_check_as_recorded_is_refused_by_field(check, field):
    assert list(pdmp.check_problems(check, TODAY)) == [field]


def test_a_complete_check_has_no_problems():
    assert pdmp.check_problems(pdmp.PdmpCheck(TODAY, "ny", pdmp.CONCERNS, "Two prescribers of alprazolam"), TODAY) == {}


@pytest.fixture
def ready(staff, make_patient):
    """Eligible and consented for IV, no PDMP check yet."""
    ensure_consent_documents(staff["director"])
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]])
    record_intake(staff["nurse"], patient)
    approve(staff["prescriber"], patient)
    consent(staff["nurse"], patient, "iv")
    return patient


def _start(staff, patient):
    return services.create_plan(staff["prescriber"], patient, protocol_key="iv_racemic_standard",
                                start_date=timezone.localdate() + dt.timedelta(days=3))


@pytest.mark.django_db
def test_no_plan_starts_without_a_current_check(ready, staff, settings):
    with pytest.raises(ValidationError, match="No PDMP check is recorded"):
        _start(staff, ready)
    old = timezone.localdate() - dt.timedelta(days=40)
    services.record_pdmp_check(staff["prescriber"], ready, checked_on=old, state="NY", result="no_concerns")
    settings.PDMP_CHECK_VALID_DAYS = 30  # the clinic's own limit
    with pytest.raises(ValidationError, match="40 days old"):
        _start(staff, ready)
    assert TreatmentPlan.objects.count() == 0
    settings.PDMP_CHECK_VALID_DAYS = 45
    assert _start(staff, ready).status == "active"


@pytest.mark.django_db
def test_a_check_that_found_concerns_is_kept_with_them_and_audited(ready, staff):
    row = services.record_pdmp_check(staff["prescriber"], ready, checked_on=timezone.localdate(), state=" nj ",
                                     result="concerns", concerns="Overlapping benzodiazepine from two prescribers")
    assert (row.state, row.result, row.checked_by) == ("NJ", "concerns", staff["prescriber"])
    assert services.pdmp_problem(ready) is None  # a check with concerns is a check: the prescriber weighs it
    assert AuditEvent.objects.filter(action="create", object_type="plans.PdmpCheck", object_id=str(row.pk),
                                     patient=ready).exists()


@pytest.mark.django_db
def test_only_prescribers_record_a_check(ready, staff):
    with pytest.raises(PermissionDenied):
        services.record_pdmp_check(staff["nurse"], ready, checked_on=timezone.localdate(), state="NY",
                                   result="no_concerns")
    assert not PdmpCheck.objects.exists()


@pytest.mark.django_db
def test_the_plan_tab_records_a_check_and_keeps_a_refused_one(ready, staff, client_as):
    client = client_as(staff["prescriber"])
    url = reverse("plans:pdmp_check", args=[ready.pk])
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    refused = client.post(url, {"checked_on": tomorrow, "state": "NY", "result": "no_concerns"})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "cannot be dated in the future" in page and f'value="{tomorrow}"' in page
    assert not PdmpCheck.objects.exists()
    done = client.post(url, {"checked_on": timezone.localdate().isoformat(), "state": "NY", "result": "no_concerns"})
    assert done.status_code == 302
    chart = client.get(reverse("plans:chart", args=[ready.pk])).content.decode()
    assert 'id="pdmp-latest"' in chart and "No concerns" in chart and 'id="pdmp-needed"' not in chart
    # A nurse reads the tab but may not record a check.
    assert client_as(staff["nurse"]).post(url, {"checked_on": timezone.localdate().isoformat(), "state": "NY",
                                                "result": "no_concerns"}).status_code == 403


@pytest.mark.django_db
def test_the_api_reads_and_records_checks_under_the_gate(ready, staff, client_as, make_patient):
    client = client_as(staff["prescriber"])
    url = f"/api/plans/patient/{ready.pk}/pdmp-checks"
    status = client.get(url).json()
    assert status["current"] is False and "No PDMP check" in status["problem"] and status["checks"] == []
    bad = client.post(url, json.dumps({"checked_on": timezone.localdate().isoformat(), "state": "ZZ",
                                       "result": "concerns"}), content_type="application/json")
    assert bad.status_code == 422 and set(bad.json()["detail"]) == {"state", "concerns"}
    made = client.post(url, json.dumps({"checked_on": timezone.localdate().isoformat(), "state": "CA",
                                        "result": "no_concerns"}), content_type="application/json")
    assert made.status_code == 201 and made.json()["state"] == "CA"
    status = client.get(url).json()
    assert status["current"] is True and [c["state"] for c in status["checks"]] == ["CA"]
    stranger = make_patient(care_team=[staff["nurse"]])
    assert client.get(f"/api/plans/patient/{stranger.pk}/pdmp-checks").status_code == 404
