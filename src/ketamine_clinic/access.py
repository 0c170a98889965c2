"""THE permission layer: who may see and change which patient's what.

Every view and API endpoint goes through this module; nothing else decides access. Two questions are asked:

1. Is the patient *visible* to the user?  Staff see the patients whose care team they are on; the medical
   director and the front desk see every patient (the front desk only to book and register); a patient
   sees their own record only. A patient who is not visible does not exist as far as the user can tell: 404.
2. May the user's *role* do this *action* in this *area* of the record?  If not: 403.

Areas split the record the way a clinic does: the front desk handles demographics and the schedule but does
not read clinical notes; therapists write integration notes that nurses do not need; patients read their own
record and write only their self-reports and journal.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import redirect

from .choices import Role

READ, WRITE = "read", "write"
R, RW = frozenset({READ}), frozenset({READ, WRITE})

# area -> role -> allowed actions. Roles missing from an area's row have no access to it.
PERMISSIONS: dict[str, dict[str, frozenset[str]]] = {
    # Patient-record areas.
    "demographics": {
        Role.DIRECTOR: RW, Role.PRESCRIBER: RW, Role.NURSE: RW, Role.THERAPIST: R, Role.FRONT_DESK: RW,
        Role.PATIENT: R,
    },
    "schedule": {
        Role.DIRECTOR: RW, Role.PRESCRIBER: RW, Role.NURSE: RW, Role.THERAPIST: RW, Role.FRONT_DESK: RW,
        Role.PATIENT: R,
    },
    # Assessment, plans, sessions, vitals: the medical record proper.
    "clinical": {Role.DIRECTOR: RW, Role.PRESCRIBER: RW, Role.NURSE: RW, Role.THERAPIST: R, Role.PATIENT: R},
    # Decisions only a prescriber (or the director) makes: eligibility, plan changes, overrides, signing.
    "prescribing": {Role.DIRECTOR: RW, Role.PRESCRIBER: RW, Role.NURSE: R, Role.THERAPIST: R, Role.PATIENT: R},
    # Questionnaires given by staff; patients read their own scores.
    "measures": {Role.DIRECTOR: RW, Role.PRESCRIBER: RW, Role.NURSE: RW, Role.THERAPIST: RW, Role.PATIENT: R},
    # Integration / psychotherapy notes: the therapist's own work product.
    "therapy_notes": {Role.DIRECTOR: RW, Role.PRESCRIBER: R, Role.THERAPIST: RW},
    # What the patient fills in themselves (self-report questionnaires, journal, messages).
    "self_report": {Role.PATIENT: RW, Role.DIRECTOR: R, Role.PRESCRIBER: R, Role.NURSE: R, Role.THERAPIST: R},
    # Clinic-wide areas (no single patient).
    "inventory": {Role.DIRECTOR: RW, Role.PRESCRIBER: RW, Role.NURSE: RW},
    "audit": {Role.DIRECTOR: R},
    "clinic_reports": {Role.DIRECTOR: R, Role.PRESCRIBER: R},
    "registry": {
        Role.DIRECTOR: RW, Role.PRESCRIBER: RW, Role.NURSE: RW, Role.THERAPIST: R, Role.FRONT_DESK: RW,
    },
    # Who is on which care team (and so who may open which chart): the front desk, who registers the patient and
    # books the first visit, and the medical director (patients/services.py).
    "care_team": {Role.DIRECTOR: RW, Role.FRONT_DESK: RW},
    # Staff accounts: add, change role, deactivate, reset password or two-factor, unlock (accounts/staff.py).
    "staff_admin": {Role.DIRECTOR: RW},
}
# Roles that see every patient rather than only their care team's.
SEES_ALL_PATIENTS = frozenset({Role.DIRECTOR, Role.FRONT_DESK})


def _role(user) -> str | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return user.role


def visible_patients(user) -> QuerySet:
    """The patients this user may open at all (before any area check)."""
    from .patients.models import Patient

    role = _role(user)
    if role is None:
        return Patient.objects.none()
    if role == Role.PATIENT:
        return Patient.objects.filter(user=user)
    if role in SEES_ALL_PATIENTS:
        return Patient.objects.all()
    return Patient.objects.filter(careteammember__user=user).distinct()


def is_visible(user, patient) -> bool:
    role = _role(user)
    if role is None:
        return False
    if role == Role.PATIENT:
        return patient.user_id == user.id
    if role in SEES_ALL_PATIENTS:
        return True
    return patient.careteammember_set.filter(user=user).exists()


# What a clinic-wide record that must keep every row shows instead of a patient the user may not open.
HIDDEN_PATIENT = "Patient not on your care team"


class PatientNames:
    """How a clinic-wide record that must list every row (the controlled-substance log and reconciliation, their
    CSV and API: the ledger only adds up whole) names patients to one user: by name and MRN where the user may
    open the chart, as HIDDEN_PATIENT elsewhere. The medical director (who answers for the DEA registration's
    records, 21 CFR 1304.22(c): the dispensing record names the patient) and the roles that see every patient get
    every name. Built once per page: one query for the user's patients."""

    def __init__(self, user):
        self._every = _role(user) in SEES_ALL_PATIENTS
        self._ids = frozenset() if self._every else frozenset(visible_patients(user).values_list("pk", flat=True))

    def shows(self, patient) -> bool:
        if patient is None:
            return False
        return self._every or getattr(patient, "pk", patient) in self._ids

    def name(self, patient) -> str:
        if patient is None:
            return ""
        return f"{patient.last_name}, {patient.first_name}" if self.shows(patient) else HIDDEN_PATIENT

    def mrn(self, patient) -> str:
        return patient.mrn if self.shows(patient) else ""


def can(user, area: str, action: str = READ, patient=None) -> bool:
    """May ``user`` do ``action`` in ``area`` (of ``patient``'s record, for patient areas)?"""
    if area not in PERMISSIONS:
        raise ValueError(f"Unknown access area {area!r}.")
    if action not in (READ, WRITE):
        raise ValueError(f"Unknown action {action!r}; use 'read' or 'write'.")
    role = _role(user)
    if role is None or action not in PERMISSIONS[area].get(role, frozenset()):
        return False
    if patient is not None:
        return is_visible(user, patient)
    return True


def require(user, area: str, action: str = READ, patient=None) -> None:
    if not can(user, area, action, patient):
        raise PermissionDenied(f"Your role may not {action} {area.replace('_', ' ')} here.")


def open_patient(request, patient_id, area: str, action: str = READ):
    """Load a patient for ``request.user`` after both checks, auditing the access. For views and API endpoints.

    Raises Http404 if the patient is not visible (so existence is not revealed), PermissionDenied if the role
    may not do ``action`` in ``area``. A read is audited here as "view"; writes are audited by the code that
    saves, which knows the object written.
    """
    from . import audit
    from .patients.models import Patient

    user = request.user
    try:
        patient = Patient.objects.get(pk=int(patient_id))
    except (Patient.DoesNotExist, TypeError, ValueError):
        raise Http404("No such patient.") from None
    if not is_visible(user, patient):
        audit.record(request, "denied", patient=None, detail={"patient_id": str(patient_id), "area": area})
        raise Http404("No such patient.")
    if not can(user, area, action):
        audit.record(request, "denied", patient=patient, detail={"area": area, "action": action})
        raise PermissionDenied(f"Your role may not {action} {area.replace('_', ' ')} for this patient.")
    if action == READ:
        audit.record(request, "view", patient=patient, detail={"area": area})
    return patient


def patient_view(area: str, action: str = READ):
    """Decorate a view taking ``patient_id``: it is called as ``view(request, patient, ...)`` once allowed.

    Anonymous users are sent to the login page. For POST requests the write permission of ``area`` is
    required even when ``action`` is "read" (a page that shows and saves checks both).
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, patient_id, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect(f"/login/?next={request.path}")
            needed = WRITE if request.method not in ("GET", "HEAD", "OPTIONS") else action
            patient = open_patient(request, patient_id, area, needed)
            return view(request, patient, *args, **kwargs)

        wrapper.access_area = area
        return wrapper

    return decorator


def staff_view(area: str, action: str = READ):
    """Decorate a clinic-wide view (inventory, boards, reports): role check only, POST needs write.

    Patients never open these (they read their own record in the portal), even for areas they may read.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect(f"/login/?next={request.path}")
            needed = WRITE if request.method not in ("GET", "HEAD", "OPTIONS") else action
            # Clinic-wide pages are staff work lists; a patient's own record is the portal, whatever the area.
            if request.user.is_patient or not can(request.user, area, needed):
                from . import audit

                audit.record(request, "denied", detail={"area": area, "action": needed, "path": request.path})
                raise PermissionDenied(f"Your role may not {needed} {area.replace('_', ' ')}.")
            return view(request, *args, **kwargs)

        wrapper.access_area = area
        return wrapper

    return decorator
