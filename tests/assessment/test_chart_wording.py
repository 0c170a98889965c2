"""The assessment tab names instruments as clinicians do and never prints Python's None."""

import pytest
from django.utils import timezone


@pytest.mark.django_db
def test_baseline_measures_show_instrument_names_and_risk_levels(staff, make_patient, client_as):
    from ketamine_clinic.outcomes.models import MeasureResponse

    patient = make_patient(care_team=[staff["prescriber"]])
    now = timezone.now()
    MeasureResponse.objects.create(patient=patient, instrument="phq9", total=9, severity="mild", taken_at=now)
    # The C-SSRS screener has no total, only a risk level.
    MeasureResponse.objects.create(patient=patient, instrument="cssrs_screener", total=None, severity="low",
                                  taken_at=now)
    html = client_as(staff["prescriber"]).get(f"/assessment/patient/{patient.pk}/").content.decode()
    baseline = html[html.index('id="baseline"'):]
    assert "<td>PHQ-9</td>" in baseline
    assert "<td>C-SSRS screener</td>" in baseline
    assert "risk: low" in baseline
    assert "9 · mild" in baseline
    assert "cssrs_screener</td>" not in baseline and "<td>phq9</td>" not in baseline
    assert "None" not in baseline
