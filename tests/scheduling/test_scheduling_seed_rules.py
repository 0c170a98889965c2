"""The scheduling demo seed keeps every booking rule (issue 12): chair types, staff roles, no double booking."""

import pytest

from ketamine_clinic.core.protocols.schedule import CHAIR_TYPES_FOR_ROUTE, STAFF_ROLES_FOR_KIND
from ketamine_clinic.scheduling import services
from ketamine_clinic.scheduling.models import Appointment, Chair

pytestmark = pytest.mark.django_db


def test_scheduling_seed_satisfies_the_booking_rules():
    from ketamine_clinic.demo import clinic as demo

    clinic = demo.DemoClinic()
    demo.seed_registry(clinic)
    for step in demo.steps(through="scheduling"):  # the scheduling seed and the seeds it depends on
        step(clinic)
    assert dict(Chair.objects.values_list("name", "chair_type")) == {
        **{f"Chair {n}": "infusion" for n in (1, 2, 3, 4)},
        "Spray chair A": "recliner",
        "Spray chair B": "recliner",
    }
    active = Appointment.objects.filter(status__in=Appointment.ACTIVE_STATUSES).select_related(
        "chair", "staff", "plan"
    )
    doses = [a for a in active if a.kind == "dosing"]
    assert len(doses) > 50 and {a.plan.route for a in doses} >= {"iv", "intranasal"}
    assert services.overlap_violations() == []
    for a in doses:
        assert a.plan is not None and a.plan.status == "active"
        assert a.chair is None or a.chair.chair_type in CHAIR_TYPES_FOR_ROUTE[a.plan.route], a
    assert sum(1 for a in doses if a.chair is not None) > len(doses) // 2
    for a in active:
        assert a.staff is None or a.staff.role in STAFF_ROLES_FOR_KIND[a.kind], a
    assert {a.staff.role for a in doses if a.staff} == {"nurse"}
    # A second run books nothing new.
    before = Appointment.objects.count()
    from ketamine_clinic.demo import scheduling as scheduling_seed

    scheduling_seed.seed(clinic)
    assert Appointment.objects.count() == before
