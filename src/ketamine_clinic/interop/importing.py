"""A referral's FHIR Bundle into the registry: read and checked whole, previewed (what will be created, what is on the
chart already, what the clinic keeps no place for), then imported in one transaction, audited.

What is read (the rest of a Bundle is listed as not imported):
- the one Patient: a new patient (registered as the registration page does: ``clinic.services.register_patient``
  over the registration form's rules), or the chart it matches, by MRN, else by name and birth date;
- Condition with an ICD-10-CM code -> a diagnosis on the chart (the chart codes diagnoses in ICD-10-CM);
- AllergyIntolerance -> a line of the chart's allergies (free text, as the chart keeps them);
- MedicationStatement: completed/stopped -> a previous treatment (``assessment.services.add_previous_treatment``,
  which re-runs the eligibility screen); active/intended -> a line of the current medications;
- Observation of body weight (kg) or height (cm) -> the chart's weight or height, when newer than the chart's.
  The clinic measures its own vitals and scores at intake and sessions; other Observations are not imported.

A Bundle that does not validate as FHIR, or names another patient, is refused whole, with the FHIR path of each
offending element ("Bundle.entry[2].resource.birthDate: ..."). The role needs what the pages need for each part
(registry write for a new patient, prescribing write for diagnoses, clinical write for the rest).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from decimal import Decimal, InvalidOperation

import pydantic
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from ketamine_clinic import access, audit
from ketamine_clinic.core.interop import codes
from ketamine_clinic.patients.models import Diagnosis, Patient

from . import services

MAX_BYTES = 5_000_000  # a referral's summary, not a whole EHR: larger uploads are refused before parsing
READ_TYPES = ("Patient", "Condition", "AllergyIntolerance", "MedicationStatement", "Observation")
PREVIOUS_STATUSES = {"completed", "stopped", "not-taken", "entered-in-error", "unknown", "on-hold"}
CURRENT_STATUSES = {"active", "intended"}
# The outcome words of this clinic's own export (services._Builder.previous_treatments), read back on a round trip.
_OUTCOME_NOTE = re.compile(
    r"^Outcome: (?P<outcome>[^;]+)(?:; (?P<weeks>[\d.]+) weeks)?(?:; (?P<adequate>adequate dose|dose below the "
    r"MGH-ATRQ minimum))?$")


class BundleRefused(ValidationError):
    """The Bundle is refused whole; ``problems`` are "FHIR path: what is wrong" lines."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(problems)


@dataclasses.dataclass
class Item:
    """One line of the preview: what kind of record, in the clinic's words, and from which entry."""

    kind: str
    text: str
    path: str = ""


@dataclasses.dataclass
class Preview:
    patient: Patient | None  # the matched chart, None for a new patient
    patient_path: str  # the Patient resource's FHIR path in the Bundle
    matched_by: str  # "" (new), "MRN", "name and birth date"
    new_patient: dict  # the registration fields read from the Patient resource
    create: list[Item]
    already: list[Item]
    not_imported: list[Item]
    needs: list[tuple[str, str]]  # (area, action) the import writes
    # What the import writes, read from the resources (not shown): diagnoses, treatments, lines, measurements.
    writes: dict = dataclasses.field(default_factory=dict)

    @property
    def summary(self) -> str:
        who = (f"{self.patient.last_name}, {self.patient.first_name} ({self.patient.mrn}), matched by "
               f"{self.matched_by}" if self.patient else
               f"a new patient {self.new_patient['last_name']}, {self.new_patient['first_name']} "
               f"({self.new_patient['mrn']})")
        return f"{len(self.create)} record(s) to add for {who}; {len(self.already)} already on the chart."


# --- reading the Bundle ---------------------------------------------------------------------------------------
def _path(loc) -> str:
    out = "Bundle"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _message(error) -> str:
    text = error["msg"].removeprefix("Value error, ")
    if error["type"] in ("missing",):
        return "required, missing"
    if error["type"] in ("extra_forbidden",):
        return "not an element of this resource type"
    if "date" in text.lower():
        return f"invalid date ({text})"
    return text


def parse_bundle(text) -> Bundle:
    """The Bundle of ``text`` (str or bytes), validated whole by the FHIR models; BundleRefused lists every problem
    by its FHIR path."""
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise BundleRefused([f"Bundle: larger than {MAX_BYTES // 1_000_000} MB; send the referral's summary."])
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise BundleRefused(["Bundle: not UTF-8 text."]) from None
    if len(text) > MAX_BYTES:
        raise BundleRefused([f"Bundle: larger than {MAX_BYTES // 1_000_000} MB; send the referral's summary."])
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BundleRefused([f"Bundle: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})."]) from None
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise BundleRefused(["Bundle.resourceType: not a FHIR Bundle (resourceType must be \"Bundle\")."])
    try:
        return Bundle.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = [f"{_path(e['loc'])}: {_message(e)}" for e in exc.errors()]
        raise BundleRefused(problems[:50]) from None
    except (ValueError, TypeError) as exc:  # the models raise these for a resourceType they do not know
        raise BundleRefused([f"Bundle.entry: {exc}"]) from None


def _entries(bundle: Bundle):
    for n, entry in enumerate(bundle.entry or []):
        if entry.resource is not None:
            yield f"Bundle.entry[{n}].resource", entry


def _patient_resource(bundle: Bundle):
    found = [(path, e) for path, e in _entries(bundle) if e.resource.get_resource_type() == "Patient"]
    if len(found) != 1:
        raise BundleRefused([f"Bundle.entry: a referral holds exactly one Patient (this one holds {len(found)})."])
    return found[0]


def _refers_to_patient(reference, patient_path, problems: list[str], where: str):
    """The resource must be about the Bundle's Patient (by its fullUrl, or Patient/<id>)."""
    path, patient_entry = patient_path
    pid = patient_entry.resource.id
    accepted = {f"Patient/{pid}"} if pid else set()
    if patient_entry.fullUrl:
        accepted.add(patient_entry.fullUrl)
    ref = reference.reference if reference is not None else None
    if ref is None:
        problems.append(f"{where}: missing; each record must name the referral's Patient.")
    elif ref not in accepted and not (pid and ref.endswith(f"/Patient/{pid}")):
        problems.append(f"{where}: refers to {ref}, not the referral's Patient ({path}).")


def _registration(path, resource, problems) -> dict:
    mrn = ""
    for ident in resource.identifier or []:
        if ident.system == services.MRN_SYSTEM and ident.value:
            mrn = ident.value
            break
    else:
        for ident in resource.identifier or []:
            if ident.type and any(c.code == "MR" for c in ident.type.coding or []) and ident.value:
                mrn = ident.value
                break
    names = resource.name or []
    name = next((n for n in names if n.use in ("official", "usual")), names[0] if names else None)
    first = (name.given or [""])[0] if name else ""
    last = name.family if name and name.family else ""
    if not mrn:
        problems.append(f"{path}.identifier: no medical record number (an identifier of type MR).")
    if not first or not last:
        problems.append(f"{path}.name: the clinic needs a family and a given name.")
    if resource.birthDate is None:
        problems.append(f"{path}.birthDate: required by the clinic, missing.")
    if resource.gender is None:
        problems.append(f"{path}.gender: required by the clinic, missing.")
    telecom = {t.system: t.value for t in reversed(resource.telecom or []) if t.value}
    return {"mrn": mrn.strip().upper(), "first_name": first, "last_name": last, "date_of_birth": resource.birthDate,
            "sex": resource.gender, "phone": telecom.get("phone", ""), "email": telecom.get("email", "")}


def _match(fields: dict, path: str, problems: list[str]):
    """(patient, how) for the chart the referral is about, or (None, "")."""
    by_mrn = Patient.objects.filter(mrn__iexact=fields["mrn"]).first() if fields["mrn"] else None
    if by_mrn is not None:
        same = (by_mrn.last_name.casefold() == fields["last_name"].casefold()
                and by_mrn.first_name.casefold() == fields["first_name"].casefold()
                and by_mrn.date_of_birth == fields["date_of_birth"])
        if not same:
            problems.append(f"{path}.identifier: MRN {fields['mrn']} is another person in the clinic (the name or "
                            "birth date differ); check the referral before importing it.")
            return None, ""
        return by_mrn, "MRN"
    if not fields["last_name"] or fields["date_of_birth"] is None:
        return None, ""
    found = list(Patient.objects.filter(last_name__iexact=fields["last_name"], first_name__iexact=fields["first_name"],
                                        date_of_birth=fields["date_of_birth"])[:2])
    if len(found) == 2:
        problems.append(f"{path}: two patients in the clinic have this name and birth date; give the MRN.")
        return None, ""
    return (found[0], "name and birth date") if found else (None, "")


def _text(concept) -> str:
    if concept is None:
        return ""
    if concept.text:
        return concept.text.strip()
    return next((c.display.strip() for c in concept.coding or [] if c.display), "")


def _code(concept, system: str) -> str:
    return next((c.code for c in (concept.coding or []) if c.system == system and c.code), "") if concept else ""


def _notes(resource) -> list[str]:
    return [a.text.strip() for a in resource.note or [] if a.text and a.text.strip()]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def preview(actor, text) -> Preview:
    """What importing ``text`` would do, for ``actor`` (nothing is written). Raises BundleRefused (the problems by
    FHIR path), PermissionDenied (the role may not write a part) or Http404-like refusals never: a matched chart the
    actor may not open is refused as such (the MRN is the clinic's own; registering it again would fail alike)."""
    user = audit.acting_user(actor)
    access.require(user, "registry", access.WRITE)
    bundle = parse_bundle(text)
    patient_entry = _patient_resource(bundle)
    ppath = patient_entry[0]
    problems: list[str] = []
    fields = _registration(ppath, patient_entry[1].resource, problems)
    patient, matched_by = _match(fields, ppath, problems) if not problems else (None, "")
    if patient is not None and not access.is_visible(user, patient):
        problems.append(f"{ppath}: the clinic's patient {fields['mrn']} is not on your care team; ask the front "
                        "desk or the medical director to import this referral.")
    plan = Preview(patient=patient, patient_path=ppath, matched_by=matched_by, new_patient=fields, create=[], already=[],
                   not_imported=[], needs=[("registry", access.WRITE)],
                   writes={"diagnoses": [], "treatments": [], "allergies": [], "medications": [], "measured": {}})
    if patient is None:
        plan.create.append(Item("Patient", f"{fields['last_name']}, {fields['first_name']}, born "
                                           f"{fields['date_of_birth']}, MRN {fields['mrn']}", ppath))
    else:
        plan.already.append(Item("Patient", f"{patient.last_name}, {patient.first_name} ({patient.mrn}), "
                                            f"matched by {matched_by}", ppath))
    chart = _chart(patient)
    for path, entry in _entries(bundle):
        resource = entry.resource
        kind = resource.get_resource_type()
        if kind == "Patient":
            continue
        if kind not in READ_TYPES:
            plan.not_imported.append(Item(kind, "the clinic does not import this kind of record", path))
            continue
        reader = {"Condition": _condition, "AllergyIntolerance": _allergy, "MedicationStatement": _medication,
                  "Observation": _observation}[kind]
        where = f"{path}.patient" if kind == "AllergyIntolerance" else f"{path}.subject"
        _refers_to_patient(resource.patient if kind == "AllergyIntolerance" else resource.subject, patient_entry,
                           problems, where)
        reader(plan, chart, path, resource, problems)
    if problems:
        raise BundleRefused(problems)
    missing = sorted({f"{action} {area.replace('_', ' ')}" for area, action in plan.needs
                      if not access.can(user, area, action)})
    if missing:
        raise PermissionDenied(f"Your role may not {' or '.join(missing)}, which this referral needs.")
    if patient is not None:  # the preview shows what the chart holds: a read of it
        audit.record(actor, "view", patient, detail={"fhir_import": "preview", "matched_by": matched_by})
    return plan


def _chart(patient) -> dict:
    """What the chart holds already, to merge without duplicating."""
    if patient is None:
        return {"icd10": set(), "allergies": set(), "medications": set(), "treatments": set(),
                "weight_on": None, "height_on": None}
    return {
        "icd10": {c.upper() for c in patient.diagnoses.values_list("icd10_code", flat=True)},
        "allergies": {line.casefold() for line in _lines(patient.allergies)},
        "medications": {line.casefold() for line in _lines(patient.current_medications)},
        "treatments": {(k, n.casefold()) for k, n in patient.previous_treatments.values_list("kind", "name")},
        "weight_on": patient.weight_measured_on if patient.weight_kg is not None else None,
        "height_on": patient.height_measured_on if patient.height_cm is not None else None,
    }


def _condition(plan, chart, path, resource, problems):
    code = _code(resource.code, codes.ICD10CM).strip().upper()
    text = _text(resource.code) or code
    if not code:
        plan.not_imported.append(Item("Condition", f"{text or 'a condition'}: no ICD-10-CM code (the chart codes "
                                                   "diagnoses in ICD-10-CM; add it on the chart)", path))
        return
    if code in chart["icd10"]:
        plan.already.append(Item("Diagnosis", f"{code} {text}", path))
        return
    noted = resource.recordedDate or resource.onsetDateTime
    noted = noted.date() if isinstance(noted, dt.datetime) else noted
    diagnosis = Diagnosis(icd10_code=code, description=text[:200], noted_on=noted or timezone.localdate())
    try:
        diagnosis.full_clean(exclude=["patient"])
    except ValidationError as exc:
        problems.extend(f"{path}.code: {m}" for msgs in exc.message_dict.values() for m in msgs)
        return
    if diagnosis.noted_on > timezone.localdate():
        problems.append(f"{path}.recordedDate: a diagnosis cannot be noted in the future.")
        return
    chart["icd10"].add(code)
    plan.create.append(Item("Diagnosis", f"{code} {text}", path))
    plan.writes["diagnoses"].append(diagnosis)
    plan.needs.append(("prescribing", access.WRITE))


def _allergy(plan, chart, path, resource, problems):
    text = _text(resource.code)
    if not text:
        problems.append(f"{path}.code: the allergy has no text or display to write on the chart.")
        return
    line = text
    if line.casefold() in chart["allergies"]:
        plan.already.append(Item("Allergy", line, path))
        return
    chart["allergies"].add(line.casefold())
    plan.create.append(Item("Allergy", line, path))
    plan.writes["allergies"].append(line)
    plan.needs.append(("clinical", access.WRITE))


def _medication(plan, chart, path, resource, problems):
    from ketamine_clinic.assessment.models import PreviousTreatment

    concept = resource.medicationCodeableConcept
    name = _text(concept)
    if not name:
        problems.append(f"{path}.medication[x]: the clinic needs the medication's name (a codeable concept with "
                        "text or display; a reference to a Medication is not read).")
        return
    dose = "; ".join(d.text for d in resource.dosage or [] if d.text)
    if resource.status in CURRENT_STATUSES:
        line = f"{name} {dose}".strip()
        if line.casefold() in chart["medications"]:
            plan.already.append(Item("Current medication", line, path))
            return
        chart["medications"].add(line.casefold())
        plan.create.append(Item("Current medication", line, path))
        plan.writes["medications"].append(line)
        plan.needs.append(("clinical", access.WRITE))
        return
    if ("antidepressant", name.casefold()) in chart["treatments"] or (
            "augmentation", name.casefold()) in chart["treatments"]:
        plan.already.append(Item("Previous treatment", name, path))
        return
    treatment = PreviousTreatment(kind=PreviousTreatment.Kind.ANTIDEPRESSANT, name=name[:120], dose=dose[:60])
    notes = _notes(resource)
    if notes and (m := _OUTCOME_NOTE.match(notes[0])):
        outcomes = {label: value for value, label in PreviousTreatment.Outcome.choices}
        treatment.outcome = outcomes.get(m["outcome"], PreviousTreatment.Outcome.UNKNOWN)
        if m["weeks"]:
            try:
                treatment.duration_weeks = Decimal(m["weeks"])
            except InvalidOperation:
                pass
        if m["adequate"]:
            treatment.dose_adequate = m["adequate"] == "adequate dose"
        notes = notes[1:]
    treatment.notes = " ".join(notes)[:300]
    try:
        treatment.full_clean(exclude=["patient", "recorded_by"])
    except ValidationError as exc:
        problems.extend(f"{path}: {m}" for msgs in exc.message_dict.values() for m in msgs)
        return
    chart["treatments"].add(("antidepressant", name.casefold()))
    plan.create.append(Item("Previous treatment", f"{name}" + (f", {dose}" if dose else "") + " (as an antidepressant "
                                                              "trial)", path))
    plan.writes["treatments"].append(treatment)
    plan.needs.append(("clinical", access.WRITE))


_MEASURES = {"29463-7": ("weight", "kg"), "8302-2": ("height", "cm")}  # codes.VITALS weight and height


def _observation(plan, chart, path, resource, problems):
    loinc = _code(resource.code, codes.LOINC)
    if loinc not in _MEASURES:
        plan.not_imported.append(Item("Observation", f"{_text(resource.code) or 'an observation'}: the clinic "
                                                     "records its own vitals and scores", path))
        return
    key, unit = _MEASURES[loinc]
    value = resource.valueQuantity
    if value is None or value.value is None:
        problems.append(f"{path}.valueQuantity: the {key} has no value.")
        return
    if (value.code or value.unit) != unit:
        problems.append(f"{path}.valueQuantity.code: the clinic records {key} in {unit}, not {value.code or value.unit}.")
        return
    when = resource.effectiveDateTime
    day = timezone.localtime(when).date() if isinstance(when, dt.datetime) and when.tzinfo else (
        when.date() if isinstance(when, dt.datetime) else when)
    if day is None:
        problems.append(f"{path}.effectiveDateTime: the clinic needs the day the {key} was measured.")
        return
    if day > timezone.localdate():
        problems.append(f"{path}.effectiveDateTime: the {key} cannot be measured in the future.")
        return
    text = f"{key.capitalize()} {Decimal(value.value).normalize():f} {unit} on {day}"
    known = chart[f"{key}_on"]
    earlier = plan.writes["measured"].get(key)
    if (known is not None and day <= known) or (earlier is not None and day <= earlier[1]):
        plan.already.append(Item(key.capitalize(), f"{text} (the chart's is as recent or newer)", path))
        return
    plan.writes["measured"][key] = (Decimal(value.value), day)
    plan.create.append(Item(key.capitalize(), text, path))
    plan.needs.append(("clinical", access.WRITE))


# --- importing ------------------------------------------------------------------------------------------------
def import_bundle(actor, text, *, via: str) -> tuple[Patient, Preview]:
    """Import ``text`` for ``actor``: the same reading as ``preview`` (done again: nothing carried over from the
    preview is trusted), then every write in one transaction, so a refusal anywhere leaves nothing behind. Audited
    per record written and once for the import."""
    with transaction.atomic():
        plan = preview(actor, text)
        patient = plan.patient or _register(actor, plan)
        if plan.patient is not None:
            patient = Patient.objects.select_for_update().get(pk=patient.pk)
        for diagnosis in plan.writes["diagnoses"]:
            diagnosis.patient = patient
            diagnosis.save()
            audit.record(actor, "create", diagnosis, detail={"source": "FHIR referral"})
        _chart_fields(actor, patient, plan, created=plan.patient is None)
        from ketamine_clinic.assessment import services as assessment

        for treatment in plan.writes["treatments"]:
            assessment.add_previous_treatment(actor, patient, treatment)
        audit.record(actor, "create" if plan.patient is None else "update", patient, detail={
            "import": "FHIR referral", "via": via, "matched_by": plan.matched_by or "new patient",
            "added": len(plan.create), "already": len(plan.already), "not_imported": len(plan.not_imported)})
    return patient, plan


def _register(actor, plan: Preview) -> Patient:
    """A new patient through the registration service, over the registration form's rules (MRN, phone, dates)."""
    from ketamine_clinic.clinic import services as registry
    from ketamine_clinic.clinic.forms import PatientForm

    fields, measured = plan.new_patient, plan.writes["measured"]
    data = {**fields, "date_of_birth": fields["date_of_birth"].isoformat(), "phase": "screening"}
    for key, (value, day) in measured.items():
        data[f"{key}_{'kg' if key == 'weight' else 'cm'}"] = str(value)
        data[f"{key}_measured_on"] = day.isoformat()
    form = PatientForm(data=data)
    if not form.is_valid():
        where = {"phone": ".telecom", "email": ".telecom", "mrn": ".identifier", "date_of_birth": ".birthDate",
                 "sex": ".gender", "first_name": ".name", "last_name": ".name"}
        raise BundleRefused([f"{plan.patient_path}{where.get(name, '')}: {' '.join(errors)}"
                             for name, errors in form.errors.items()])
    measured.clear()  # written with the registration
    return registry.register_patient(actor, form.save)


def _chart_fields(actor, patient, plan, *, created: bool):
    changed = []
    if plan.writes["allergies"]:
        patient.allergies = "\n".join([*_lines(patient.allergies), *plan.writes["allergies"]])
        changed.append("allergies")
    if plan.writes["medications"]:
        patient.current_medications = "\n".join([*_lines(patient.current_medications), *plan.writes["medications"]])
        changed.append("current_medications")
    for key, (value, day) in plan.writes["measured"].items():
        unit = "kg" if key == "weight" else "cm"
        setattr(patient, f"{key}_{unit}", value)
        setattr(patient, f"{key}_measured_on", day)
        changed += [f"{key}_{unit}", f"{key}_measured_on"]
    if not changed:
        return
    try:
        patient.full_clean()
    except ValidationError as exc:
        raise BundleRefused([f"{plan.patient_path} ({name}): {' '.join(m)}"
                             for name, m in exc.message_dict.items()]) from None
    patient.save(update_fields=[*changed, "updated_at"])
    audit.record(actor, "update", patient, detail={"fields": changed, "source": "FHIR referral"})
