"""The registry's rules: registering a patient and deciding who is on their care team; the clinic's setting record.

The care team is what opens a chart to a prescriber, nurse or therapist (``access.is_visible``), so changing it
is a permission change: only roles that may write the ``care_team`` area do it (the front desk, who registers
the patient and books the first visit, and the medical director), every change is audited, and pages, the API
and the demo seed all come through here.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic import access, audit
from ketamine_clinic.accounts.models import Role, User
from ketamine_clinic.patients.models import CareTeamMember, Patient

from .models import Site

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


# The healthcare setting -----------------------------------------------------------------------------------------

SITE_FIELDS = ("name", "address", "phone", "email")
DEFAULT_SITE_NAME = "ketamine-clinic"  # as the data migration names it


def current_site() -> Site:
    """The clinic's one setting record (a data migration creates it; made again here if the table was emptied)."""
    site = Site.objects.order_by("pk").first()
    if site is None:
        site = Site.objects.create(name=DEFAULT_SITE_NAME)
    return site


def rems_certified() -> bool:
    """Whether the clinic is recorded as certified in the SPRAVATO REMS (core.safety.rems reads this)."""
    return current_site().rems_certified


def _site_writer(actor):
    user = audit.acting_user(actor)
    access.require(user, "clinic_settings", access.WRITE)
    return user


def update_site(actor, site: Site, **fields) -> Site:
    """Change the setting's name, address, phone or email (the medical director); audited with what changed."""
    _site_writer(actor)
    unknown = set(fields) - set(SITE_FIELDS)
    if unknown:
        raise ValidationError(f"Not a field of the clinic setting: {', '.join(sorted(unknown))}.")
    cleaned = {k: (v or "").strip() for k, v in fields.items()}
    if "name" in cleaned and not cleaned["name"]:
        raise ValidationError({"name": "Give the clinic's name as the REMS and the forms should show it."})
    changed = {k: v for k, v in cleaned.items() if getattr(site, k) != v}
    if not changed:
        return site
    for key, value in changed.items():
        setattr(site, key, value)
    try:
        site.full_clean(exclude=["rems_certified_by"])
    except ValidationError as err:
        raise ValidationError({k: v for k, v in err.message_dict.items() if k in changed} or err.messages) from None
    with transaction.atomic():
        site.save()
        audit.record(actor, "update", site, detail={"changed": sorted(changed)})
    return site


def record_rems_certification(actor, site: Site, setting_id: str, certified_on) -> Site:
    """Record that the setting is certified in the SPRAVATO REMS (its number and the date), by the medical director.

    Refused (by field) for a date in the future or a number too long; the acting user is recorded as the one who
    recorded it. Booking and dosing esketamine read this (core.safety.rems)."""
    user = _site_writer(actor)
    if certified_on in (None, ""):
        raise ValidationError({"certified_on": "Give the date the REMS confirmed the certification."})
    if not isinstance(certified_on, dt.date):
        try:
            certified_on = dt.date.fromisoformat(str(certified_on))
        except ValueError:
            raise ValidationError({"certified_on": "Give the date of the certification as YYYY-MM-DD."}) from None
    if certified_on > timezone.localdate():
        raise ValidationError({"certified_on": "The certification cannot be dated in the future."})
    setting_id = (setting_id or "").strip()
    if len(setting_id) > Site._meta.get_field("rems_setting_id").max_length:
        raise ValidationError({"setting_id": "The REMS setting number is at most 60 characters."})
    with transaction.atomic():
        site.rems_setting_id = setting_id
        site.rems_certified_on = certified_on
        site.rems_certified_by = user
        site.save(update_fields=["rems_setting_id", "rems_certified_on", "rems_certified_by", "updated_at"])
        audit.record(actor, "update", site, detail={"rems_certification": {
            "setting_id": setting_id, "certified_on": str(certified_on)}})
    return site
