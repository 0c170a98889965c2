"""A patient's record as an HL7 FHIR Bundle, built with ``fhir.resources``.

Which FHIR models: ``fhir.resources`` 8.x, subpackage ``fhir.resources.R4B`` (FHIR 4.3.0). No maintained
release of ``fhir.resources`` carries R4 (4.0.1) models on pydantic 2: 6.x is R4B by default and 5.x/early
6.x (R4) need pydantic 1, which django-ninja (pydantic 2) rules out. R4B changed only the medication-definition,
evidence and subscription resources (https://hl7.org/fhir/R4B/r4b-explanation.html: "Implementers that do
not use the specific portions where changes have been made can continue to use either R4 or R4B without
any functional difference"); every resource exported here (Patient, Condition, AllergyIntolerance,
MedicationStatement, Medication, Consent, CarePlan, Appointment, Encounter, MedicationAdministration,
Observation, QuestionnaireResponse, Procedure, DocumentReference, Practitioner, Bundle) is unchanged between
R4 and R4B, so a Bundle valid against these models is a valid R4 Bundle (``R4B_ONLY`` guards that).

Codes come only from the code table, ``core.interop.codes``; US Core (R4-based, 6.1) profiles are named in
``meta.profile`` where the resource follows one.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from decimal import Decimal

from django.utils import timezone
from fhir.resources.R4B.allergyintolerance import AllergyIntolerance
from fhir.resources.R4B.annotation import Annotation
from fhir.resources.R4B.appointment import Appointment, AppointmentParticipant
from fhir.resources.R4B.attachment import Attachment
from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.contactpoint import ContactPoint
from fhir.resources.R4B.documentreference import (
    DocumentReference,
    DocumentReferenceContent,
    DocumentReferenceContext,
)
from fhir.resources.R4B.dosage import Dosage
from fhir.resources.R4B.encounter import Encounter, EncounterParticipant
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.medication import Medication, MedicationBatch
from fhir.resources.R4B.medicationadministration import (
    MedicationAdministration,
    MedicationAdministrationDosage,
    MedicationAdministrationPerformer,
)
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.meta import Meta
from fhir.resources.R4B.narrative import Narrative
from fhir.resources.R4B.observation import Observation, ObservationComponent
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse,
    QuestionnaireResponseItem,
    QuestionnaireResponseItemAnswer,
)
from fhir.resources.R4B.reference import Reference

from ketamine_clinic import access, audit
from ketamine_clinic.core.instruments import INSTRUMENTS
from ketamine_clinic.core.interop import codes

BASE_URL = "https://ketamine-clinic.example/fhir"
MRN_SYSTEM = f"{BASE_URL}/sid/mrn"
STAFF_SYSTEM = f"{BASE_URL}/sid/staff-username"
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
# The resource types R4B changed (https://hl7.org/fhir/R4B/r4b-explanation.html): never exported, so the
# Bundle stays R4. The tests check the Bundle holds none of them.
R4B_ONLY = frozenset({
    "AdministrableProductDefinition", "ClinicalUseDefinition", "Citation", "EvidenceReport", "Ingredient",
    "ManufacturedItemDefinition", "MedicinalProductDefinition", "NutritionProduct", "PackagedProductDefinition",
    "RegulatedAuthorization", "SubscriptionStatus", "SubscriptionTopic", "SubstanceDefinition",
})
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


def _coding(code: codes.Code) -> Coding:
    return Coding(system=code.system, code=code.code, display=code.display)


def _concept(*table_codes: codes.Code, text: str | None = None) -> CodeableConcept:
    return CodeableConcept(coding=[_coding(c) for c in table_codes], text=text or table_codes[0].display)


def _fixed(system: str, code: str, display: str) -> CodeableConcept:
    """A code from a FHIR-defined code system (terminology.hl7.org / US Core), fixed by the specification."""
    return CodeableConcept(coding=[Coding(system=system, code=code, display=display)])


def _text(text: str) -> CodeableConcept:
    return CodeableConcept(text=text)


def _quantity(value, unit: str) -> Quantity:
    if unit not in codes.UCUM_UNITS:
        raise ValueError(f"{unit!r} is not one of the clinic's UCUM units.")
    return Quantity(value=Decimal(str(value)), unit=unit, system=codes.UCUM, code=unit)


def _when(value):
    """A FHIR dateTime/instant: aware datetimes in ISO form, dates as dates."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    return value.isoformat()


def _meta(*profiles: str) -> Meta | None:
    return Meta(profile=[US_CORE + p for p in profiles]) if profiles else None


def _narrative(text: str) -> Narrative:
    return Narrative(status="generated", div=f'<div xmlns="http://www.w3.org/1999/xhtml">{html.escape(text)}</div>')


# The builder's sections in the Bundle's order, and which of them make each resource type (a REST read or search,
# or the bulk export, of one type runs only those).
SECTION_ORDER = ("patient_resource", "conditions", "allergies", "previous_treatments", "intakes", "consents",
                 "care_plans", "appointments", "sessions", "instruments")
SECTIONS = {
    "Patient": ("patient_resource",),
    "Condition": ("conditions",),
    "AllergyIntolerance": ("allergies",),
    "MedicationStatement": ("previous_treatments",),
    "Procedure": ("previous_treatments", "sessions"),
    "Consent": ("consents",),
    "CarePlan": ("care_plans",),
    "Appointment": ("appointments",),
    "Encounter": ("sessions",),
    "MedicationAdministration": ("sessions",),
    "Medication": ("sessions",),
    "DocumentReference": ("sessions",),
    "Observation": ("patient_resource", "intakes", "sessions", "instruments"),
    "QuestionnaireResponse": ("instruments",),
    "Practitioner": SECTION_ORDER,
}


class _Builder:
    """Collects the resources of one patient's Bundle; ids are "<kind>-<primary key>", stable across exports.

    ``session_ids`` / ``administration_ids`` narrow the sessions and questionnaire administrations built (a REST
    read of one Encounter or one score builds that one alone, with the same code as the Bundle)."""

    def __init__(self, patient, *, session_ids=None, administration_ids=None):
        self.patient = patient
        self.session_ids = session_ids
        self.administration_ids = administration_ids
        self.resources: list = []
        self.staff: dict[int, Practitioner] = {}
        self.patient_ref = Reference(reference=f"Patient/patient-{patient.pk}", display=patient.full_name)

    def add(self, resource):
        self.resources.append(resource)
        return resource

    @staticmethod
    def ref(resource) -> Reference:
        return Reference(reference=f"{resource.get_resource_type()}/{resource.id}")

    def practitioner(self, user) -> Reference | None:
        if user is None:
            return None
        if user.pk not in self.staff:
            self.staff[user.pk] = Practitioner(
                id=f"practitioner-{user.pk}",
                meta=_meta("us-core-practitioner"),
                identifier=[Identifier(system=STAFF_SYSTEM, value=user.username)],
                name=[HumanName(family=user.last_name or user.username, given=[user.first_name] if user.first_name else None)],
            )
        return Reference(reference=f"Practitioner/practitioner-{user.pk}", display=user.get_full_name() or user.username)

    # --- the record ----------------------------------------------------------------------------------------
    def patient_resource(self):
        p = self.patient
        telecom = [ContactPoint(system="phone", value=p.phone)] if p.phone else []
        if p.email:
            telecom.append(ContactPoint(system="email", value=p.email))
        self.add(Patient(
            id=f"patient-{p.pk}",
            meta=_meta("us-core-patient"),
            identifier=[Identifier(system=MRN_SYSTEM, value=p.mrn,
                                   type=_fixed("http://terminology.hl7.org/CodeSystem/v2-0203", "MR",
                                               "Medical record number"))],
            name=[HumanName(family=p.last_name, given=[p.first_name])],
            gender=p.sex,  # the clinic's values are FHIR's administrative genders (female, male, other, unknown)
            birthDate=p.date_of_birth,
            telecom=telecom or None,
        ))
        for key, value, day in (("weight", p.weight_kg, p.weight_measured_on),
                                ("height", p.height_cm, p.height_measured_on)):
            if value is not None and day is not None:
                code = codes.VITALS[key]
                self.add(Observation(
                    id=f"patient-{p.pk}-{key}", meta=_meta(f"us-core-body-{key}"), status="final",
                    category=[_fixed(CATEGORY, "vital-signs", "Vital Signs")], code=_concept(code),
                    subject=self.patient_ref, effectiveDateTime=_when(day), valueQuantity=_quantity(value, code.unit),
                ))

    def conditions(self):
        for d in self.patient.diagnoses.all():
            self.add(Condition(
                id=f"condition-{d.pk}", meta=_meta("us-core-condition-problems-health-concerns"),
                clinicalStatus=_fixed("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active"),
                category=[_fixed("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item",
                                 "Problem List Item")],
                code=_concept(*codes.diagnosis(d.icd10_code, d.description), text=d.description),
                subject=self.patient_ref, recordedDate=_when(d.noted_on),
            ))

    def allergies(self):
        # The chart keeps allergies as free text, one per line: each line is one AllergyIntolerance, its words
        # as code.text (no code is inferred from them).
        lines = [line.strip() for line in self.patient.allergies.splitlines() if line.strip()]
        for n, line in enumerate(lines, start=1):
            self.add(AllergyIntolerance(
                id=f"allergy-{self.patient.pk}-{n}", meta=_meta("us-core-allergyintolerance"),
                clinicalStatus=_fixed("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                                      "active", "Active"),
                code=_text(line), patient=self.patient_ref,
            ))

    def previous_treatments(self):
        drug_kinds = {"antidepressant", "augmentation"}
        for t in self.patient.previous_treatments.select_related("recorded_by"):
            outcome = f"Outcome: {t.get_outcome_display()}"
            if t.duration_weeks is not None:
                outcome += f"; {t.duration_weeks.normalize():f} weeks"
            if t.dose_adequate is not None:
                outcome += "; adequate dose" if t.dose_adequate else "; dose below the MGH-ATRQ minimum"
            notes = [Annotation(text=outcome)] + ([Annotation(text=t.notes)] if t.notes else [])
            if t.kind in drug_kinds:
                self.add(MedicationStatement(
                    id=f"medicationstatement-{t.pk}", status="completed",
                    medicationCodeableConcept=_concept(codes.drug(t.name), text=t.name),
                    subject=self.patient_ref, dateAsserted=_when(t.recorded_at),
                    informationSource=self.practitioner(t.recorded_by),
                    dosage=[Dosage(text=t.dose)] if t.dose else None, note=notes,
                ))
            else:
                self.add(Procedure(
                    id=f"procedure-previous-{t.pk}", meta=_meta("us-core-procedure"), status="completed",
                    code=_concept(codes.session_concept(f"previous-{t.kind}", t.get_kind_display()), text=t.name),
                    subject=self.patient_ref, note=notes,
                    performedString=t.dose or t.get_kind_display(),
                ))

    def consents(self):
        for c in self.patient.consents.select_related("document"):
            doc = c.document
            self.add(Consent(
                id=f"consent-{c.pk}", status="active",
                scope=_fixed("http://terminology.hl7.org/CodeSystem/consentscope", "treatment", "Treatment"),
                category=[_text(f"Informed consent: {doc.get_route_display()}")],
                patient=self.patient_ref, dateTime=_when(c.acknowledged_at),
                policyRule=_text(f"{doc.title}, version {doc.version}"),
                sourceAttachment=Attachment(title=f"{doc.title} (v{doc.version})", contentType="text/plain",
                                            data=base64.b64encode(doc.body.encode())),
            ))

    def care_plans(self):
        status = {"draft": "draft", "active": "active", "completed": "completed", "stopped": "revoked"}
        for plan in self.patient.treatment_plans.prefetch_related("versions__created_by"):
            summary = (f"{plan.get_route_display()}: {plan.drug}, {plan.dose_amount.normalize():f} "
                       f"{'mg/kg' if plan.dose_kind == 'mg_per_kg' else 'mg'} (version {plan.version}).")
            versions = [
                Annotation(text=f"Version {v.number}: {v.dose_text}. Why: {v.reason}",
                           time=_when(v.created_at), authorReference=self.practitioner(v.created_by))
                for v in sorted(plan.versions.all(), key=lambda v: v.number)
            ]
            self.add(CarePlan(
                id=f"careplan-{plan.pk}", meta=_meta("us-core-careplan"), text=_narrative(summary),
                status=status.get(plan.status, "unknown"), intent="plan",
                category=[_fixed("http://hl7.org/fhir/us/core/CodeSystem/careplan-category", "assess-plan",
                                 "Assessment and Plan of Treatment")],
                title=plan.get_route_display(), description=summary, subject=self.patient_ref,
                period=Period(start=_when(plan.start_date)) if plan.start_date else None,
                created=_when(plan.created_at), author=self.practitioner(plan.created_by),
                note=versions or None,
            ))

    def appointments(self):
        status = {"booked": "booked", "checked_in": "checked-in", "completed": "fulfilled",
                  "cancelled": "cancelled", "no_show": "noshow"}
        for a in self.patient.appointments.select_related("staff"):
            participants = [AppointmentParticipant(actor=self.patient_ref, status="accepted")]
            if a.staff is not None:
                participants.append(AppointmentParticipant(actor=self.practitioner(a.staff), status="accepted"))
            self.add(Appointment(
                id=f"appointment-{a.pk}", status=status[a.status],
                serviceType=[_text(a.get_kind_display())], description=a.label or a.get_kind_display(),
                start=_when(a.starts_at), end=_when(a.ends_at), minutesDuration=a.duration_min,
                cancelationReason=_text(a.cancel_reason) if a.cancel_reason else None,
                participant=participants,
            ))

    def sessions(self):
        from ketamine_clinic.inventory.models import Lot

        state = {"scheduled": "planned", "checked_in": "arrived", "pre_dose_checks": "in-progress",
                 "dosing": "in-progress", "monitoring": "in-progress", "ready_for_discharge": "in-progress",
                 "discharged": "finished", "aborted": "cancelled", "stopped_early": "finished"}
        sessions = self.patient.dosing_sessions.all()
        if self.session_ids is not None:
            sessions = sessions.filter(pk__in=self.session_ids)
        sessions = sessions.select_related(
            "nurse", "prescriber", "plan", "dose_confirmed_by", "note__signed_by",
        ).prefetch_related("vitalsreadings", "dissociationscores", "sideeffects", "interventions",
                           "note__amendments")
        lots = {}
        for s in sessions:
            enc_id = f"encounter-{s.pk}"
            enc_ref = Reference(reference=f"Encounter/{enc_id}")
            participants = [EncounterParticipant(individual=self.practitioner(u)) for u in (s.nurse, s.prescriber) if u]
            self.add(Encounter(
                id=enc_id, meta=_meta("us-core-encounter"), status=state.get(s.state, "unknown"),
                class_fhir=Coding(system="http://terminology.hl7.org/CodeSystem/v3-ActCode", code="AMB",
                                  display="ambulatory"),
                type=[_text(f"Supervised dosing session: {s.get_route_display()}")],
                subject=self.patient_ref, participant=participants or None,
                appointment=[Reference(reference=f"Appointment/appointment-{s.appointment_id}")]
                if s.appointment_id else None,
                period=Period(start=_when(s.checked_in_at or s.scheduled_for), end=_when(s.discharged_at)),
            ))
            self._administration(s, enc_ref, lots, Lot)
            self._vitals(s, enc_ref)
            self._session_entries(s, enc_ref)
            self._note(s, enc_ref)

    def _administration(self, s, enc_ref, lots, lot_model):
        if s.dose_mg is None:
            return
        concentration = float(s.plan.concentration_mg_per_ml) if s.plan and s.plan.concentration_mg_per_ml else None
        drug_name = s.plan.drug if s.plan else ("esketamine" if s.route == "intranasal" else "racemic ketamine")
        drug_code = codes.drug(drug_name, concentration)
        medication = None
        if s.lot_id:
            if s.lot_id not in lots:
                lot = lot_model.objects.filter(pk=s.lot_id).first()
                lots[s.lot_id] = lot and self.add(Medication(
                    id=f"medication-lot-{lot.pk}", meta=_meta("us-core-medication"),
                    code=_concept(drug_code, text=drug_name),
                    batch=MedicationBatch(lotNumber=lot.lot_number, expirationDate=_when(lot.expires_on)),
                ))
            medication = lots[s.lot_id]
        status = {"discharged": "completed", "aborted": "stopped", "stopped_early": "stopped"}.get(s.state, "in-progress")
        notes = [f"Confirmed dose {s.dose_mg} mg"]
        if s.delivered_mg is not None:
            notes.append(f"delivered {s.delivered_mg} mg" + (f" ({s.delivery_basis})" if s.delivery_basis else ""))
        if s.dose_override_reason:
            notes.append(f"override: {s.dose_override_reason}")
        self.add(MedicationAdministration(
            id=f"medicationadministration-{s.pk}", status=status,
            medicationReference=self.ref(medication) if medication else None,
            medicationCodeableConcept=None if medication else _concept(drug_code, text=drug_name),
            subject=self.patient_ref, context=enc_ref,
            effectivePeriod=Period(start=_when(s.dosing_started_at or s.dose_confirmed_at),
                                   end=_when(s.dosing_ended_at)),
            performer=[MedicationAdministrationPerformer(actor=self.practitioner(u))
                       for u in (s.dose_confirmed_by or s.nurse,) if u] or None,
            dosage=MedicationAdministrationDosage(
                text=s.get_route_display(), route=_text(s.get_route_display()),
                dose=_quantity(s.given_mg, "mg"),
                rateQuantity=_quantity(s.pump_rate_ml_per_h, "mL/h") if s.pump_rate_ml_per_h else None,
            ),
            note=[Annotation(text="; ".join(notes))],
        ))

    def _observation(self, oid, code, when, enc_ref, profile=None, category="vital-signs", **value):
        return self.add(Observation(
            id=oid, meta=_meta(profile) if profile else None, status="final",
            category=[_fixed(CATEGORY, category, {"vital-signs": "Vital Signs", "survey": "Survey",
                                                  "exam": "Exam"}[category])],
            code=code, subject=self.patient_ref, encounter=enc_ref, effectiveDateTime=_when(when), **value,
        ))

    def _vitals(self, s, enc_ref):
        for r in s.vitalsreadings.all():
            self._vital_set(f"vitals-{r.pk}", r.taken_at, enc_ref, sbp=r.sbp, dbp=r.dbp, hr=r.hr, rr=r.rr, spo2=r.spo2)

    def _vital_set(self, prefix, when, enc_ref, *, sbp=None, dbp=None, hr=None, rr=None, spo2=None, weight=None):
        """One set of readings taken together: a blood-pressure panel and one Observation per other sign."""
        v = codes.VITALS
        if sbp is not None and dbp is not None:
            self._observation(
                f"{prefix}-bp", _concept(v["bp_panel"]), when, enc_ref, "us-core-blood-pressure",
                component=[ObservationComponent(code=_concept(v[k]), valueQuantity=_quantity(value, "mm[Hg]"))
                           for k, value in (("sbp", sbp), ("dbp", dbp))],
            )
        for key, value, profile, table_codes in (
            ("hr", hr, "us-core-heart-rate", (v["hr"],)),
            ("rr", rr, "us-core-respiratory-rate", (v["rr"],)),
            # US Core pulse oximetry: both codes (59408-5 and 2708-6)
            ("spo2", spo2, "us-core-pulse-oximetry", (v["spo2"], v["spo2_arterial"])),
            ("weight", weight, "us-core-body-weight", (v["weight"],)),
        ):
            if value is not None:
                self._observation(f"{prefix}-{key}", _concept(*table_codes), when, enc_ref, profile,
                                  valueQuantity=_quantity(value, table_codes[0].unit))

    def intakes(self):
        """The intake's baseline vitals (the screen reads them), at the time they were taken."""
        for i in self.patient.intakes.all():
            if i.vitals_taken_at is None:
                continue
            self._vital_set(f"intake-{i.pk}", i.vitals_taken_at, None, sbp=i.systolic_bp_mmhg,
                            dbp=i.diastolic_bp_mmhg, hr=i.heart_rate_bpm, spo2=i.spo2_percent, weight=i.weight_kg)

    def _session_entries(self, s, enc_ref):
        for d in s.dissociationscores.all():
            inst = INSTRUMENTS.get(d.instrument)
            code = codes.instrument_total(d.instrument, inst.short_name if inst else d.instrument.upper())
            self._observation(f"dissociation-{d.pk}", _concept(code), d.taken_at, enc_ref,
                              "us-core-observation-screening-assessment", category="survey",
                              valueQuantity=_quantity(d.total, "{score}"))
        for e in s.sideeffects.all():
            self._observation(
                f"sideeffect-{e.pk}", _concept(codes.session_concept(f"side-effect-{e.kind}", e.get_kind_display())),
                e.onset_at, enc_ref, category="exam", valueCodeableConcept=_text(e.get_severity_display()),
                note=[Annotation(text=e.note)] if e.note else None,
            )
        for i in s.interventions.all():
            detail = " ".join(x for x in (i.medication, i.dose_text) if x)
            notes = [x for x in (detail, i.note, f"new rate {i.new_rate_ml_per_h} mL/h" if i.new_rate_ml_per_h else "") if x]
            self.add(Procedure(
                id=f"procedure-{i.pk}", meta=_meta("us-core-procedure"), status="completed",
                code=_concept(codes.session_concept(f"intervention-{i.kind}", i.get_kind_display())),
                subject=self.patient_ref, encounter=enc_ref, performedDateTime=_when(i.given_at),
                performer=None, note=[Annotation(text=n) for n in notes] or None,
            ))

    def _note(self, s, enc_ref):
        note = getattr(s, "note", None)
        if note is None or not note.is_signed:
            return  # only a signed note is a document; a draft stays in the clinic
        body = note.body
        for a in note.amendments.all():
            body += f"\n\nAmendment ({_when(a.created_at)}, {a.author}): {a.reason}\n{a.body}"
        self.add(DocumentReference(
            id=f"documentreference-{note.pk}", status="current", docStatus="final",
            type=_concept(codes.session_concept("session-note", "Dosing session note")),
            category=[_fixed("http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
                             "clinical-note", "Clinical Note")],
            subject=self.patient_ref, date=_when(note.signed_at), authenticator=self.practitioner(note.signed_by),
            author=[self.practitioner(note.generated_by)],
            content=[DocumentReferenceContent(attachment=Attachment(
                contentType="text/plain", title=f"Session note {s.scheduled_for:%Y-%m-%d}",
                data=base64.b64encode(body.encode()), creation=_when(note.generated_at)))],
            context=DocumentReferenceContext(encounter=[enc_ref]),
        ))

    def instruments(self):
        """Each administration: the answers as a QuestionnaireResponse, one Observation per answered item (its
        code from the table) and the scored result, whose members are the items (as US Core's PHQ-9 example)."""
        administrations = self.patient.measure_responses.all()
        if self.administration_ids is not None:
            administrations = administrations.filter(pk__in=self.administration_ids)
        for a in administrations.select_related("administered_by", "session"):
            inst = INSTRUMENTS.get(a.instrument)
            name = inst.short_name if inst else a.instrument
            enc_ref = Reference(reference=f"Encounter/encounter-{a.session_id}") if a.session_id else None
            author = self.patient_ref if a.self_reported else self.practitioner(a.administered_by)
            qr_ref = Reference(reference=f"QuestionnaireResponse/questionnaireresponse-{a.pk}")
            common = dict(status="final", category=[_fixed(CATEGORY, "survey", "Survey")], subject=self.patient_ref,
                          encounter=enc_ref, effectiveDateTime=_when(a.taken_at),
                          performer=[author] if author else None, derivedFrom=[qr_ref])
            items, members = [], []
            for n, answer in enumerate(a.answers, start=1):
                code = codes.instrument_item(a.instrument, name, n)
                text = inst.item(n).text if inst and n <= inst.n_items else code.display
                items.append(QuestionnaireResponseItem(
                    linkId=str(n), text=text,
                    answer=[QuestionnaireResponseItemAnswer(valueInteger=answer)] if answer is not None else None,
                ))
                if answer is not None:
                    members.append(self.ref(self.add(Observation(
                        id=f"score-{a.pk}-item-{n}", meta=_meta("us-core-observation-screening-assessment"),
                        code=_concept(code), valueInteger=answer, **common,
                    ))))
            self.add(QuestionnaireResponse(
                id=f"questionnaireresponse-{a.pk}", meta=_meta("us-core-questionnaireresponse"),
                questionnaire=f"{BASE_URL}/Questionnaire/{a.instrument}", status="completed",
                subject=self.patient_ref, encounter=enc_ref, authored=_when(a.taken_at), author=author,
                item=items or None,
            ))
            total = codes.instrument_total(a.instrument, name)
            value = ({"valueQuantity": _quantity(a.total, "{score}")} if a.total is not None
                     else {"valueCodeableConcept": _text(a.severity)} if a.severity else {})
            if not value:
                continue
            self.add(Observation(
                id=f"score-{a.pk}", meta=_meta("us-core-observation-screening-assessment"), code=_concept(total),
                interpretation=[_text(a.severity)] if a.severity and a.total is not None else None,
                hasMember=members or None, **common, **value,
            ))

    def build(self, sections=SECTION_ORDER) -> list:
        """The resources of ``sections`` (builder method names, in the Bundle's order), then their practitioners."""
        for name in SECTION_ORDER:
            if name in sections:
                getattr(self, name)()
        return [*self.resources, *self.staff.values()]

    def bundle(self) -> Bundle:
        resources = self.build()
        return Bundle(
            id=f"patient-{self.patient.pk}-record",
            identifier=Identifier(system=f"{BASE_URL}/sid/export", value=f"{self.patient.mrn}-{timezone.now():%Y%m%dT%H%M%S}"),
            type="collection", timestamp=_when(timezone.now()),
            entry=[BundleEntry(fullUrl=f"{BASE_URL}/{r.get_resource_type()}/{r.id}", resource=r) for r in resources],
        )


def patient_bundle(patient) -> Bundle:
    """The Bundle of ``patient``'s record. No permission check here: callers use ``export_patient``."""
    return _Builder(patient).bundle()


def patient_resources(patient, types, *, session_ids=None, administration_ids=None) -> list:
    """The resources of ``types`` (FHIR resource type names) in ``patient``'s record, built as the Bundle builds
    them. No permission check here: the REST endpoint and the bulk export check and audit first."""
    sections = {name for t in types for name in SECTIONS[t]}
    built = _Builder(patient, session_ids=session_ids, administration_ids=administration_ids).build(sections)
    return [r for r in built if r.get_resource_type() in types]


def export_patient(actor, patient, *, via: str) -> str:
    """``patient``'s record as FHIR JSON for ``actor``, who must be allowed to read its clinical record; the
    export is audited (before any byte leaves, as the CSV exports are)."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    user = audit.acting_user(actor)
    if not access.is_visible(user, patient):
        audit.record(actor, "denied", detail={"patient_id": str(patient.pk), "area": "clinical", "export": "FHIR"})
        raise Http404("No such patient.")
    if not access.can(user, "clinical", access.READ, patient):
        audit.record(actor, "denied", patient=patient, detail={"area": "clinical", "export": "FHIR"})
        raise PermissionDenied("Your role may not read the clinical record of this patient.")
    bundle = patient_bundle(patient)
    audit.record(actor, "export", patient=patient,
                 detail={"export": "FHIR bundle", "resources": len(bundle.entry or []), "via": via})
    return bundle.model_dump_json(indent=2)
