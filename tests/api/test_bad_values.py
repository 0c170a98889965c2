"""The bad values of issue 13, one by one: each is refused with 422 naming the field, and nothing is written.

(The generated requests of test_api_fuzz.py find such values by chance; these pin the ones a clinic has met.)
"""

import datetime as dt
import json

import pytest
from django.utils import timezone

from ketamine_clinic.demo.assessment import ensure_consent_documents, ready_for_planning
from ketamine_clinic.plans.models import TreatmentPlan, TreatmentPlanVersion

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def plan(staff, make_patient, client_as):
    ensure_consent_documents(staff["director"])
    patient = make_patient(care_team=[staff["prescriber"], staff["nurse"]])
    ready_for_planning(staff["prescriber"], patient, "iv")
    client = client_as(staff["prescriber"])
    start = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    response = post(client, f"/api/plans/patient/{patient.pk}", {"protocol_key": "iv_racemic_standard",
                                                                 "start_date": start})
    assert response.status_code == 201, response.content
    return client, TreatmentPlan.objects.get(pk=response.json()["id"])


@pytest.mark.parametrize("changes, field", [
    ({"session_time": "10:00:00+05:00"}, "session_time"),
    ({"session_time": "10:00Z"}, "session_time"),
    ({"session_time": None}, "session_time"),
    ({"dose_amount": None}, "dose_amount"),
    ({"dose_amount": "-0.5"}, "dose_amount"),
    ({"dose_amount": "1e308"}, "dose_amount"),
    ({"dose_amount": "9" * 40}, "dose_amount"),
    ({"integration_every_n_doses": -1}, "integration_every_n_doses"),
    ({"integration_every_n_doses": 10**40}, "integration_every_n_doses"),
    ({"measurement_schedule": None}, "measurement_schedule"),
    ({"infusion_duration_min": -40}, "infusion_duration_min"),
    ({"concentration_mg_per_ml": "123456789"}, "concentration_mg_per_ml"),
])
def test_a_plan_change_with_a_bad_value_is_refused_and_nothing_is_written(plan, changes, field):
    client, plan = plan
    versions = TreatmentPlanVersion.objects.count()
    response = post(client, f"/api/plans/{plan.pk}/changes", {"reason": "Synthetic: bad value", **changes})
    assert response.status_code == 422, response.content
    assert field in json.dumps(response.json()["detail"])
    assert TreatmentPlanVersion.objects.count() == versions
    assert TreatmentPlan.objects.get(pk=plan.pk).version == plan.version
