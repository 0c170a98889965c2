"""Patient registry API. Validation goes through the same forms as the pages, so the rules live once."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.responses import Status

from ketamine_clinic import access, audit
from ketamine_clinic.validation import raise_if_invalid

from .forms import DiagnosisForm
from .models import Patient
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


def _save_through_form(request, data: dict, instance=None) -> Patient:
    form = _patient_form(request.user, data=data, instance=instance)
    forbidden = set(data) - set(form.fields)
    if forbidden and instance is None:
        forbidden = {k for k in forbidden if data[k] not in ("", None, "screening")}
    if forbidden:
        raise ValidationError({k: "Your role may not set this field." for k in sorted(forbidden)})
    raise_if_invalid(form)
    return form.save()


@router.get("/", response=list[PatientSummaryOut], summary="Search the patients visible to you")
def list_patients(request, filters: Query[PatientFilter]):
    access.require(request.user, "registry", "read")
    patients = list(search_patients(request.user, filters.q, filters.phase)[:200])
    audit.record(request, "list", detail={"q": filters.q, "phase": filters.phase, "shown": [p.pk for p in patients]})
    return patients


@router.post("/", response={201: PatientOut}, summary="Register a patient")
def create_patient(request, payload: PatientIn):
    access.require(request.user, "registry", "write")
    patient = _save_through_form(request, payload.dict())
    if request.user.role in ("prescriber", "nurse", "therapist"):
        patient.careteammember_set.create(user=request.user, is_primary=True)
    audit.record(request, "create", patient)
    return Status(201, _out(request.user, patient))


@router.get("/{patient_id}", response=PatientOut, summary="One patient's record")
def get_patient(request, patient_id: int):
    patient = access.open_patient(request, patient_id, "demographics", "read")
    return _out(request.user, patient)


@router.patch("/{patient_id}", response=PatientOut, summary="Change fields of a patient's record")
def update_patient(request, patient_id: int, payload: PatientPatch):
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
    patient = _save_through_form(request, current, instance=patient)
    audit.record(request, "update", patient, detail={"fields": sorted(changes)})
    return _out(request.user, patient)


@router.post("/{patient_id}/diagnoses", response={201: DiagnosisOut}, summary="Add a diagnosis (ICD-10-CM)")
def add_diagnosis(request, patient_id: int, payload: DiagnosisIn):
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
