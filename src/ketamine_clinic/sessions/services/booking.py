"""The dosing session of a booked dosing appointment: the one place a session is created."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ketamine_clinic import access, audit
from ketamine_clinic.plans.services import current_plan

from ..models import (
    DosingSession,
)


def session_for_appointment(appointment, *, user) -> tuple[DosingSession, bool]:
    """The dosing session of a booked dosing appointment, created on first use (idempotent: one per
    appointment, enforced by the one-to-one link). Route and plan come from the appointment's plan, else the
    patient's current plan."""
    if appointment.kind != "dosing":
        raise ValidationError({"__all__": ["Only dosing appointments have a dosing session."]})
    if appointment.status in ("cancelled", "no_show"):
        raise ValidationError(
            {"__all__": [f"The appointment is {appointment.get_status_display().lower()}."]}
        )
    existing = DosingSession.objects.filter(appointment=appointment).first()
    if existing:
        return existing, False
    plan = appointment.plan
    if plan is None:
        plan = current_plan(appointment.patient)
    if plan is None:
        raise ValidationError(
            {"__all__": ["The patient has no active plan: the prescriber must write one first."]}
        )
    try:
        with transaction.atomic():
            session = DosingSession.objects.create(
                patient=appointment.patient,
                appointment=appointment,
                plan=plan,
                route=plan.route,
                scheduled_for=appointment.starts_at,
                chair=appointment.chair,
                # The booked nurse runs it if she may open the chart; else whoever checks the patient in.
                nurse=appointment.staff
                if getattr(appointment.staff, "role", "") == "nurse"
                and access.can(appointment.staff, "clinical", "write", appointment.patient)
                else None,
                prescriber=appointment.patient.primary_prescriber(),
            )
    except IntegrityError:
        return DosingSession.objects.get(appointment=appointment), False
    audit.record(user, "create", session, detail={"appointment": appointment.pk})
    return session, True
