"""Demo score histories: realistic shapes by phase, idempotent."""

import pytest

from ketamine_clinic.core.instruments.outcomes import response_mask
from ketamine_clinic.demo import outcomes as outcomes_seed
from ketamine_clinic.outcomes import history
from ketamine_clinic.outcomes.models import MeasureResponse, UrgentTask


@pytest.fixture
def clinic(db):
    from ketamine_clinic.demo.clinic import DemoClinic, seed_registry

    c = DemoClinic()
    seed_registry(c)
    return c


@pytest.mark.django_db
def test_seed_builds_histories_by_phase_and_is_idempotent(clinic):
    outcomes_seed.seed(clinic)
    count = MeasureResponse.objects.count()
    assert count > 200
    outcomes_seed.seed(clinic)
    assert MeasureResponse.objects.count() == count

    by_phase = {}
    for p in clinic.patients:
        by_phase.setdefault(p.phase, []).append(history.series(p, "phq9"))
    # Screening: baseline only.
    assert all(len(s) == 1 for s in by_phase["screening"])
    # Baselines are moderate-to-severe, and both responders and non-responders exist among treated patients.
    treated = by_phase["induction"] + by_phase["maintenance"]
    assert all(s[0][1] >= 15 for s in treated)
    responded = [bool(response_mask([v for _, v in s]).any()) for s in treated]
    assert any(responded) and not all(responded)
    # Some maintenance patients lost their response (relapse).
    labels = {history.status_for(s, "phq9").label for s in by_phase["maintenance"]}
    assert "relapse" in labels or "partial response" in labels
    # Every score is in the past and every escalation but (at most) one is acknowledged with an action.
    assert not MeasureResponse.objects.filter(taken_at__gt=clinic.now).exists()
    assert UrgentTask.objects.filter(acknowledged_at__isnull=True).count() <= 1
    assert all(t.action_taken for t in UrgentTask.objects.exclude(acknowledged_at=None))
