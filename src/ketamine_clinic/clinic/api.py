"""Patient registry API. Validation goes through the same forms as the pages, so the rules live once."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.http import Http404
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.responses import Status

from ketamine_clinic import access, audit
from ketamine_clinic.accounts.models import User
from ketamine_clinic.api_types import RecordId
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.validation import raise_if_invalid

from . import services
from .forms import DiagnosisForm
from .views import _patient_form, search_patients

router = Router(tags=["patients"])


class DiagnosisOut(Schema):
    id: int
    icd10_code: str
    description: str
    is_primary: bool
    noted_on: dt.date


class PatientSummaryOut(Schema):
    id: int
    mrn: str
    first_name: str
    last_name: str
    date_of_birth: dt.date
    sex: str
    phase: str


class PatientOut(PatientSummaryOut):
    phone: str
    email: str
    address: str
    emergency_contact_name: str
    emergency_contact_phone: str
    # Clinical fields: null when the caller's role may not read clinical data (front desk).
    weight_kg: Decimal | None = None
    weight_measured_on: dt.date | None = None
    height_cm: Decimal | None = None
    height_measured_on: dt.date | None = None
    allergies: str | None = None
    current_medications: str | None = None
    diagnoses: list[DiagnosisOut] | None = None


class PatientIn(Schema):
    mrn: str
    first_name: str
    last_name: str
    date_of_birth: dt.date
    sex: str
    phone: str = ""
    email: str = ""
    address: str = ""
    emergency_contact_name: str = ""
    emergency_contact_phone: str = ""
    weight_kg: Decimal | None = None
    weight_measured_on: dt.date | None = None
    height_cm: Decimal | None = None
    height_measured_on: dt.date | None = None
    allergies: str = ""
    current_medications: str = ""
    phase: str = "screening"
    # Staff user ids to put on the care team (front desk and director only; clinicians who register join).
    care_team: list[RecordId] = []


class PatientPatch(Schema):
    mrn: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: dt.date | None = None
    sex: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    emergency_contact_name: str | None = None
    emergency_contact_phone: str | None = None
    weight_kg: Decimal | None = None
    weight_measured_on: dt.date | None = None
    height_cm: Decimal | None = None
    height_measured_on: dt.date | None = None
    allergies: str | None = None
    current_medications: str | None = None
    phase: str | None = None


class DiagnosisIn(Schema):
    icd10_code: str
    description: str
    is_primary: bool = False
    noted_on: dt.date | None = None


class PatientFilter(Schema):
    q: str = ""
    phase: str = ""


def _out(user, patient) -> dict:
    data = model_to_dict(patient, fields=[f.name for f in Patient._meta.fields])
    data["id"] = patient.pk
    if access.can(user, "clinical", "read"):
        data["diagnoses"] = list(patient.diagnoses.all())
    else:
        for name in ("weight_kg", "weight_measured_on", "height_cm", "height_measured_on", "allergies",
                     "current_medications"):
            data[name] = None
    return data


def _valid_form(request, data: dict, instance=None):
    form = _patient_form(request.user, data=data, instance=instance)
    forbidden = set(data) - set(form.fields)
    if forbidden and instance is None:
        forbidden = {k for k in forbidden if data[k] not in ("", None, "screening")}
    if forbidden:
        raise ValidationError({k: "Your role may not set this field." for k in sorted(forbidden)})
    raise_if_invalid(form)
    return form


def _care_team_members(user_ids: list[int]) -> list:
    """The staff users named by id, or a 422 naming the ids that are no staff member who can join a care team."""
    members = {u.pk: u for u in services.care_team_candidates().filter(pk__in=user_ids)}
    unknown = [i for i in user_ids if i not in members]
    if unknown:
        raise ValidationError({"care_team": f"No active prescriber, nurse or therapist has id {unknown[0]}."})
    return [members[i] for i in dict.fromkeys(user_ids)]


class CareTeamMemberOut(Schema):
    user_id: int
    name: str
    role: str
    is_primary: bool


class CareTeamIn(Schema):
    user_id: RecordId
    is_primary: bool = False


def _care_team_out(patient) -> list[dict]:
    return [{"user_id": m.user_id, "name": m.user.display_name(), "role": m.user.role, "is_primary": m.is_primary}
            for m in patient.careteammember_set.select_related("user").order_by("user__role", "user__last_name")]


@router.get("/", response=list[PatientSummaryOut], summary="Search the patients visible to you")
def list_patients(request, filters: Query[PatientFilter]):
    access.require(request.user, "registry", "read")
    patients = list(search_patients(request.user, filters.q, filters.phase)[:200])
    audit.record(request, "list", detail={"q": filters.q, "phase": filters.phase, "shown": [p.pk for p in patients]})
    return patients


@router.post("/", response={201: PatientOut}, summary="Register a patient")
def create_patient(request, payload: PatientIn):
    access.require(request.user, "registry", "write")
    data = payload.dict()
    team = _care_team_members(data.pop("care_team"))
    form = _valid_form(request, data)
    patient = services.register_patient(request, form.save, care_team=team)
    return Status(201, _out(request.user, patient))


@router.get("/{patient_id}", response=PatientOut, summary="One patient's record")
def get_patient(request, patient_id: RecordId):
    patient = access.open_patient(request, patient_id, "demographics", "read")
    return _out(request.user, patient)


@router.patch("/{patient_id}", response=PatientOut, summary="Change fields of a patient's record")
def update_patient(request, patient_id: RecordId, payload: PatientPatch):
    patient = access.open_patient(request, patient_id, "demographics", "write")
    changes = payload.dict(exclude_unset=True)
    form_fields = _patient_form(request.user).fields
    forbidden = sorted(set(changes) - set(form_fields))
    if forbidden:
        raise ValidationError({k: "Your role may not change this field." for k in forbidden})
    current = {name: getattr(patient, name) for name in form_fields}
    current.update(changes)
    current = {k: ("" if v is None and k not in ("weight_kg", "height_cm", "weight_measured_on",
                                                     "height_measured_on") else v) for k, v in current.items()}
    patient = _valid_form(request, current, instance=patient).save()
    audit.record(request, "update", patient, detail={"fields": sorted(changes)})
    return _out(request.user, patient)


@router.post("/{patient_id}/diagnoses", response={201: DiagnosisOut}, summary="Add a diagnosis (ICD-10-CM)")
def add_diagnosis(request, patient_id: RecordId, payload: DiagnosisIn):
    patient = access.open_patient(request, patient_id, "prescribing", "write")
    data = payload.dict()
    if data["noted_on"] is None:
        data["noted_on"] = timezone.localdate()
    form = DiagnosisForm(data=data)
    raise_if_invalid(form)
    diagnosis = form.save(commit=False)
    diagnosis.patient = patient
    diagnosis.save()
    audit.record(request, "create", diagnosis)
    return Status(201, diagnosis)


@router.get("/{patient_id}/care-team", response=list[CareTeamMemberOut], summary="The patient's care team")
def get_care_team(request, patient_id: RecordId):
    patient = access.open_patient(request, patient_id, "demographics", "read")
    return _care_team_out(patient)


@router.post("/{patient_id}/care-team", response={201: list[CareTeamMemberOut], 200: list[CareTeamMemberOut]},
             summary="Put a staff member on the care team (front desk, director)")
def add_care_team_member(request, patient_id: RecordId, payload: CareTeamIn):
    patient = access.open_patient(request, patient_id, "care_team", "write")
    (member,) = _care_team_members([payload.user_id])
    added = services.add_to_care_team(request, patient, member, is_primary=payload.is_primary)
    return Status(201 if added else 200, _care_team_out(patient))


@router.delete("/{patient_id}/care-team/{user_id}", response=list[CareTeamMemberOut],
               summary="Take a staff member off the care team (front desk, director)")
def remove_care_team_member(request, patient_id: RecordId, user_id: RecordId):
    patient = access.open_patient(request, patient_id, "care_team", "write")
    member = User.objects.filter(pk=user_id).first()
    if member is None or not services.remove_from_care_team(request, patient, member):
        raise Http404("That staff member is not on this patient's care team.")
    return _care_team_out(patient)
