"""The demo clinic shows a live titration suggestion on one induction patient's plan page."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_one_induction_patient_has_a_live_titration_suggestion(client_as):
    from ketamine_clinic.accounts.models import User
    from ketamine_clinic.demo.clinic import seed
    from ketamine_clinic.plans import titration
    from ketamine_clinic.plans.models import TreatmentPlan

    seed()
    live = [
        (plan, titration.evaluate(plan))
        for plan in TreatmentPlan.objects.filter(status="active", patient__phase="induction")
    ]
    live = [(plan, s) for plan, s in live if s is not None]
    assert live, "no induction patient shows a titration suggestion"
    plan, suggestion = live[0]
    assert (suggestion.from_amount, suggestion.to_amount) == (0.5, 0.75)
    prescriber = plan.patient.primary_prescriber() or User.objects.get(username="director")
    page = client_as(prescriber).get(reverse("plans:chart", args=[plan.patient_id])).content.decode()
    assert 'id="titration-suggestion"' in page and "the protocol suggests considering 0.75 mg/kg" in page
