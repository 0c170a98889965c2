"""THE permission layer: who may see and change which patient's what.

Every view and API endpoint goes through this module; nothing else decides access. Two questions are asked:

1. Is the patient *visible* to the user?  Staff see the patients whose care team they are on; the medical
   director and the front desk see every patient (the front desk only to book and register); a patient
   sees their own record only. A patient who is not visible does not exist as far as the user can tell: 404.
2. May the user's *role* do this *action* in this *area* of the record?  If not: 403.

Areas split the record the way a clinic does: the front desk handles demographics and the schedule but does
not read clinical notes; therapists write integration notes that nurses do not need; patients read their own
record and write only their self-reports and journal.

Every page is one of these decorators (tests/access/test_every_view_goes_through_the_gate.py checks each URL):
``patient_view`` (a patient id), ``record_view`` (a record of a patient, loaded by ``open_record``),
``own_record_view`` (the logged-in patient's own record: portal, self-report), ``staff_view`` (clinic-wide lists),
``signed_in_view`` (home, one's own account) and ``public`` (login, logout, lockout, /healthz). API endpoints call
``open_patient``, ``open_record``, ``open_own_record`` and ``require``.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied, ValidationError
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
    # Staff replies to a patient's messages (followup/views.message_reply): whoever writes to the record, nurses,
    # prescribers and the director (clinical) or therapists (therapy notes). The patient writes through self_report.
    "patient_replies": {Role.DIRECTOR: RW, Role.PRESCRIBER: RW, Role.NURSE: RW, Role.THERAPIST: RW},
    # Billing codes of sessions and their export for claims: the desk (who bills in a small clinic), the
    # prescriber whose sessions they are, and the director.
    "billing": {Role.DIRECTOR: R, Role.PRESCRIBER: R, Role.FRONT_DESK: R},
    # The outbox of messages sent by email and SMS (sent, failed, retried): the director retries failures.
    "outbox": {Role.DIRECTOR: RW},
    # The whole clinic as FHIR NDJSON (bulk $export, for registries and analytics): the medical director only.
    "bulk_export": {Role.DIRECTOR: R},
    # The clinic's own records as a healthcare setting (address, REMS certification).
    "clinic_settings": {Role.DIRECTOR: RW, Role.PRESCRIBER: R, Role.NURSE: R, Role.FRONT_DESK: R},
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


# Row rules: which rows of a patient-written or therapy record a user may read. The models' ``visible_to``
# querysets call these, so the rule lives here with the table above.
def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated


def integration_notes_for(user, notes: QuerySet) -> QuerySet:
    """Therapists' notes of patients the user may open, for roles that read therapy notes (never patients)."""
    if not _signed_in(user) or not can(user, "therapy_notes", READ):
        return notes.none()
    return notes.filter(patient__in=visible_patients(user))


def journal_entries_for(user, entries: QuerySet) -> QuerySet:
    """A patient reads all of their own journal; staff only *shared* entries of visible patients.

    "Shared with the therapist" reaches the roles that read therapy notes (therapist, prescriber, director)
    and may read self-reports; nurses and the front desk never see journal entries.
    """
    if not _signed_in(user):
        return entries.none()
    if user.is_patient:
        return entries.filter(patient__user=user)
    if not (can(user, "self_report", READ) and can(user, "therapy_notes", READ)):
        return entries.none()
    return entries.filter(shared=True, patient__in=visible_patients(user))


def messages_for(user, messages: QuerySet) -> QuerySet:
    """A patient's own thread; staff the threads of patients they may open and whose self-reports they read."""
    if not _signed_in(user):
        return messages.none()
    if user.is_patient:
        return messages.filter(patient__user=user)
    if not can(user, "self_report", READ):
        return messages.none()
    return messages.filter(patient__in=visible_patients(user))


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


def staff_can(user, area: str, action: str = READ, patient=None) -> bool:
    """``can``, for clinic staff only: a patient never gets a staff control (the flowsheet's buttons, the chart's
    "new session" form), even in an area of their own record they may read or write."""
    return not user.is_patient and can(user, area, action, patient)


def sees_clinic_boards(user) -> bool:
    """The sessions board (page and dashboard panel) lists today's patients by name and their clinical state: for
    roles that read both the registry and the clinical record (not the front desk, not patients)."""
    return can(user, "registry", READ) and can(user, "clinical", READ)


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


def _patient_of(record, patient_path: str = "patient"):
    from .patients.models import Patient

    if isinstance(record, Patient):
        return record
    for name in patient_path.split("."):
        record = getattr(record, name)
    return record


def open_record(request, model_or_queryset, pk, area: str, action: str = READ, *, patient_path: str = "patient"):
    """Load one record that belongs to a patient (a plan, an appointment, a suggestion... or a Patient itself)
    for ``request.user`` after both checks, auditing the access. For views, API endpoints and loaders.

    The patient is ``record.patient`` (``patient_path``, dotted, for a record that reaches it through another:
    "appointment.patient"), or the record itself for a Patient. Raises Http404 if there is no such record or its
    patient is not visible (so existence is not revealed; audited "denied"), PermissionDenied if the role may not
    do ``action`` in ``area``. A read is audited as "view" with the record as the object; writes are audited by
    the code that saves.
    """
    from . import audit

    queryset = model_or_queryset.all() if isinstance(model_or_queryset, QuerySet) else (
        model_or_queryset._default_manager.all())
    model = queryset.model
    try:
        record = queryset.get(pk=pk)
    except (model.DoesNotExist, TypeError, ValueError, ValidationError):
        raise Http404(f"No such {model._meta.verbose_name}.") from None
    user = request.user
    patient = _patient_of(record, patient_path)
    if patient is None or not is_visible(user, patient):
        audit.record(request, "denied", patient=None,
                     detail={"object_type": model._meta.label, "object_id": str(pk), "area": area})
        raise Http404(f"No such {model._meta.verbose_name}.")
    if not can(user, area, action):
        audit.record(request, "denied", patient=patient, detail={"area": area, "action": action})
        raise PermissionDenied(f"Your role may not {action} {area.replace('_', ' ')} for this patient.")
    if action == READ:
        audit.record(request, "view", record, patient=patient, detail={"area": area})
    return record


def _to_login(request):
    """Django's own answer to an anonymous user (what ``login_required`` does): the login page, back here after."""
    # Imported here: access.py loads with the models (followup, portal), before auth's views may be imported.
    from django.contrib.auth.views import redirect_to_login

    return redirect_to_login(request.get_full_path())


def _needed(request, action: str) -> str:
    return WRITE if request.method not in ("GET", "HEAD", "OPTIONS") else action


def refuse_patients(request, area: str, action: str) -> None:
    """Clinic staff's work (``staff_only``): patients, and roles that may not ``action`` in ``area`` at all, are
    refused (403, audited) before any record is loaded, as staff_view refuses them, whatever the record. The write
    a POST needs is checked after the record is found (404 first for what the user may not see)."""
    if request.user.is_patient or not can(request.user, area, action):
        from . import audit

        audit.record(request, "denied", detail={"area": area, "action": action, "path": request.path})
        raise PermissionDenied(f"Your role may not {action} {area.replace('_', ' ')}: clinic staff only.")


def area_for(user, area: str, patient_area: str | None) -> str:
    """The area to check for ``user``: ``patient_area`` when the user is a patient (and one is given), else ``area``.
    For a record both sides write: a patient's consent or self-report (self_report), staff's (clinical, measures)."""
    return patient_area if patient_area is not None and user.is_patient else area


def record_view(model_or_queryset, area: str, action: str = READ, *, kwarg: str | None = None,
                patient_path: str = "patient", staff_only: bool = False, patient_area: str | None = None):
    """Decorate a view taking ``<model>_id`` (or ``kwarg``): called as ``view(request, record, ...)`` once
    ``open_record`` allows it. Anonymous users are sent to the login page; a POST needs the write permission of
    the area even when ``action`` is "read".

    ``staff_only=True``: patients never open it, even for a record of their own in an area they may read or write
    (clinicians' work: urgent tasks, the desk's change requests); see ``refuse_patients``.
    ``patient_area``: the area checked when the user is a patient (their consent is their own self-report, staff
    record it as clinical work).
    """
    queryset = model_or_queryset if isinstance(model_or_queryset, QuerySet) else None
    model = queryset.model if queryset is not None else model_or_queryset
    name = kwarg or f"{model._meta.model_name}_id"

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return _to_login(request)
            pk = kwargs.pop(name)
            if staff_only:
                refuse_patients(request, area, action)
            needed = _needed(request, action)
            the_area = area_for(request.user, area, patient_area)
            record = open_record(request, model_or_queryset, pk, the_area, needed, patient_path=patient_path)
            return view(request, record, *args, **kwargs)

        wrapper.access_area = area
        return wrapper

    return decorator


def open_own_record(request, area: str, action: str = READ, *, refusal: str = "This is for patients' own records."):
    """The logged-in patient's own record, through ``open_patient``; anyone who is not a patient with a linked record
    gets PermissionDenied(``refusal``). For the portal's pages and API and the self-report pages."""
    user = request.user
    record = getattr(user, "patient_record", None) if user.is_authenticated and user.is_patient else None
    if record is None:
        raise PermissionDenied(refusal)
    return open_patient(request, record.pk, area, action)


def own_record_view(area: str, action: str = READ, *, refusal: str = "This page is for patients' own records."):
    """Decorate a page of the logged-in patient's own record (the portal, self-report): no patient id in the URL;
    called as ``view(request, patient, ...)`` after ``open_patient`` on the user's own record. Anyone who is not a
    patient with a linked record gets 403 (``refusal``); a POST needs write."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return _to_login(request)
            patient = open_own_record(request, area, _needed(request, action), refusal=refusal)
            return view(request, patient, *args, **kwargs)

        wrapper.access_area = area
        return wrapper

    return decorator


def signed_in_view(view):
    """Decorate a page any signed-in user may open that is neither a patient's record nor a clinic-wide list (the
    home page, one's own account and two-factor pages, the patient's shortcut to their chart): anonymous users are
    sent to the login page (Django's ``redirect_to_login``, as ``login_required`` does)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return _to_login(request)
        return view(request, *args, **kwargs)

    wrapper.access_area = "signed_in"
    return wrapper


def public(view):
    """Mark a page anyone may open, signed in or not (login, logout, the lockout page, ``/healthz``): the gate
    lets it through on purpose. Returns the view itself, marked."""
    view.access_area = "public"
    return view


def patient_view(area: str, action: str = READ, *, staff_only: bool = False, patient_area: str | None = None,
                 patients_to: str | None = None):
    """Decorate a view taking ``patient_id``: it is called as ``view(request, patient, ...)`` once allowed.

    Anonymous users are sent to the login page. For POST requests the write permission of ``area`` is
    required even when ``action`` is "read" (a page that shows and saves checks both). ``staff_only`` and
    ``patient_area`` as for ``record_view``. ``patients_to``: the staff page of a record the patient has their own
    page for (their follow-up, their messages: the portal); a patient opening their own is sent there (a URL name).
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, patient_id, *args, **kwargs):
            if not request.user.is_authenticated:
                return _to_login(request)
            if staff_only:
                refuse_patients(request, area, action)
            needed = _needed(request, action)
            area_ = area_for(request.user, area, patient_area)
            patient = open_patient(request, patient_id, area_, needed)
            if patients_to is not None and request.user.is_patient:
                return redirect(patients_to)  # their own record (another patient's was a 404 above)
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
                return _to_login(request)
            needed = _needed(request, action)
            # Clinic-wide pages are staff work lists; a patient's own record is the portal, whatever the area.
            if request.user.is_patient or not can(request.user, area, needed):
                from . import audit

                audit.record(request, "denied", detail={"area": area, "action": needed, "path": request.path})
                raise PermissionDenied(f"Your role may not {needed} {area.replace('_', ' ')}.")
            return view(request, *args, **kwargs)

        wrapper.access_area = area
        return wrapper

    return decorator
