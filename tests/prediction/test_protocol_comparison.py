"""The plan tab's protocol comparison fragment (`prediction:protocol_comparison`)."""

from decimal import Decimal

import pytest
from django.urls import reverse


def url(patient):
    return reverse("prediction:protocol_comparison", args=[patient.id])


@pytest.mark.django_db
def test_the_care_team_sees_the_protocols_for_the_recorded_weight(staff, make_patient, client_as):
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]], weight_kg=Decimal("70.0"))
    r = client_as(staff["prescriber"]).get(url(patient))
    assert r.status_code == 200
    html = r.content.decode()
    assert "0.5 mg/kg over 40 min" in html and "0.75 mg/kg over 40 min" in html and "TCI plasma 150 ng/mL" in html
    assert "35.0 mg" in html and "52.5 mg" in html and "240 ng/mL at 40 min" in html
    assert "Below 50 ng/mL from" in html and '<th scope="row">' in html
    assert client_as(staff["other_nurse"]).get(url(patient)).status_code == 404


@pytest.mark.django_db
def test_without_a_recorded_weight_it_says_so(staff, make_patient, client_as):
    patient = make_patient(care_team=[staff["nurse"]], weight_kg=None)
    r = client_as(staff["nurse"]).get(url(patient))
    assert r.status_code == 422 and "No weight is recorded" in r.content.decode()


@pytest.mark.django_db
def test_the_plan_tab_of_an_iv_plan_loads_the_comparison(staff, make_patient, client_as):
    from django.utils import timezone

    from ketamine_clinic.demo.assessment import ready_for_planning
    from ketamine_clinic.plans import services

    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]])
    ready_for_planning(staff["prescriber"], patient, "iv")
    services.create_plan(
        staff["prescriber"], patient, protocol_key="iv_racemic_standard", start_date=timezone.localdate()
    )
    html = client_as(staff["nurse"]).get(reverse("plans:chart", args=[patient.pk])).content.decode()
    assert f'hx-get="{url(patient)}"' in html
