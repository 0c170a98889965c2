"""The registry's rules: registering a patient and deciding who is on their care team.

The care team is what opens a chart to a prescriber, nurse or therapist (``access.is_visible``), so changing it
is a permission change: only roles that may write the ``care_team`` area do it (the front desk, who registers
the patient and books the first visit, and the medical director), every change is audited, and pages, the API
and the demo seed all come through here.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from ketamine_clinic import access, audit
from ketamine_clinic.accounts.models import Role, User
from ketamine_clinic.patients.models import CareTeamMember, Patient

# Roles a care team is made of. The front desk and the director see every patient already; a patient is never staff.
CARE_TEAM_ROLES = (Role.PRESCRIBER, Role.NURSE, Role.THERAPIST)
# Clinicians who register a patient join the care team, or they could not open the chart they just made.
REGISTRAR_JOINS = frozenset(CARE_TEAM_ROLES)


def care_team_candidates(role: str | None = None):
    """Active staff who may be put on a care team (optionally of one role), in the order the pickers show."""
    roles = [role] if role else [r.value for r in CARE_TEAM_ROLES]
    return User.objects.filter(role__in=roles, is_active=True).order_by("role", "last_name", "first_name")


def _check_member(member) -> None:
    if member is None:
        raise ValidationError({"user": "Choose a staff member."})
    if member.role not in CARE_TEAM_ROLES:
        raise ValidationError({"user": f"{member.display_name()} is {member.get_role_display().lower()}: a care "
                                       "team is made of prescribers, nurses and therapists."})
    if not member.is_active:
        raise ValidationError({"user": f"{member.display_name()}'s account is deactivated."})


def add_to_care_team(actor, patient: Patient, member, *, is_primary: bool = False) -> CareTeamMember | None:
    """Put ``member`` on ``patient``'s care team (None if already on it). Audited as an update of the patient."""
    access.require(audit.acting_user(actor), "care_team", "write")
    _check_member(member)
    with transaction.atomic():
        row, created = CareTeamMember.objects.get_or_create(
            patient=patient, user=member, defaults={"is_primary": is_primary}
        )
        if not created:
            return None
        audit.record(actor, "update", patient,
                     detail={"care_team_added": member.username, "role": member.role, "primary": is_primary})
    return row


def remove_from_care_team(actor, patient: Patient, member) -> bool:
    """Take ``member`` off the care team (they lose the chart). False if they were not on it."""
    access.require(audit.acting_user(actor), "care_team", "write")
    if member is None:
        raise ValidationError({"user": "Choose a staff member."})
    with transaction.atomic():
        deleted, _ = CareTeamMember.objects.filter(patient=patient, user=member).delete()
        if deleted:
            audit.record(actor, "delete", patient, detail={"care_team_removed": member.username, "role": member.role})
    return bool(deleted)


def register_patient(actor, save, *, care_team=()) -> Patient:
    """Register a patient in one transaction: ``save()`` writes the validated record (a form's save), then the
    registering clinician and the chosen ``care_team`` members join. Choosing a team needs the care-team
    permission; a clinician who registers joins without it."""
    user = audit.acting_user(actor)
    access.require(user, "registry", "write")
    care_team = [m for m in care_team if m is not None]
    if care_team:
        access.require(user, "care_team", "write")
        for member in care_team:
            _check_member(member)
    with transaction.atomic():
        patient = save()
        audit.record(actor, "create", patient)
        if user.role in REGISTRAR_JOINS:
            CareTeamMember.objects.create(patient=patient, user=user, is_primary=True)
            audit.record(actor, "update", patient, detail={"care_team_added": user.username, "role": user.role,
                                                           "primary": True, "registered_by": True})
        for member in care_team:
            if member.pk != user.pk:
                add_to_care_team(actor, patient, member, is_primary=True)
    return patient
