"""Assessment fixtures: a treatment history that meets the treatment-resistance definition."""

import pytest


def record_failed_trials(patient, user, n=2):
    """``n`` failed adequate antidepressant trials in the current episode (MGH-ATRQ), through the service."""
    from ketamine_clinic.assessment import services
    from ketamine_clinic.assessment.models import PreviousTreatment

    for name in ["sertraline", "venlafaxine XR", "bupropion XL"][:n]:
        services.add_previous_treatment(
            user,
            patient,
            PreviousTreatment(
                kind="antidepressant",
                name=name,
                dose="adequate",
                duration_weeks=8,
                dose_adequate=True,
                outcome="no_response",
            ),
        )


@pytest.fixture
def failed_trials():
    return record_failed_trials
