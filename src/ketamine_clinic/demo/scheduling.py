"""The demo's chairs and appointments generated from the demo plans (synthetic, idempotent).

Everything is booked through ``services.generate_from_plan``, so the demo keeps every booking rule: each dose in
a chair of the type its route needs, a nurse free for it, no chair, staff member or patient double-booked.
"""

import datetime as dt

from django.db import transaction

from ketamine_clinic import audit
from ketamine_clinic.accounts.models import Role
from ketamine_clinic.core.protocols.schedule import INFUSION_CHAIR, RECLINER_CHAIR
from ketamine_clinic.plans.models import TreatmentPlan
from ketamine_clinic.scheduling import services
from ketamine_clinic.scheduling.models import Appointment, Chair

# (name, room, chair type): infusion chairs for IV / IM, recliners for nasal spray, oral and sublingual doses
# (core.protocols.schedule.CHAIR_TYPES_FOR_ROUTE).
CHAIRS = [
    ("Chair 1", "Infusion suite", INFUSION_CHAIR),
    ("Chair 2", "Infusion suite", INFUSION_CHAIR),
    ("Chair 3", "Infusion suite", INFUSION_CHAIR),
    ("Chair 4", "Infusion suite", INFUSION_CHAIR),
    ("Spray chair A", "Esketamine room", RECLINER_CHAIR),
    ("Spray chair B", "Esketamine room", RECLINER_CHAIR),
]


@transaction.atomic
def seed(clinic) -> None:
    for name, room, chair_type in CHAIRS:
        Chair.objects.get_or_create(name=name, defaults={"room": room, "chair_type": chair_type})
    front_desk = clinic.first(Role.FRONT_DESK)
    now = clinic.now
    # Only active plans are scheduled (a completed plan cannot book new appointments).
    plans = TreatmentPlan.objects.filter(patient__in=clinic.patients, status=TreatmentPlan.Status.ACTIVE)
    for plan in plans.select_related("patient"):
        if plan.appointments.exists() or plan.start_date is None:
            continue
        start = dt.datetime.combine(plan.start_date, dt.time.min, tzinfo=now.tzinfo)
        created, _warnings = services.generate_from_plan(front_desk, plan, now=start)
        for appointment in created:
            # Past dosing visits are moved by their sessions (checked in, completed at discharge) in the sessions
            # seed, through the sessions services; other past visits took place.
            if appointment.starts_at < now and appointment.kind != Appointment.Kind.DOSING:
                appointment.status = Appointment.Status.COMPLETED
                appointment.save(update_fields=["status"])
                audit.record(
                    front_desk, "update", appointment, detail={"status": appointment.status, "seed": True}
                )
