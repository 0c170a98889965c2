"""The SPRAVATO REMS Patient Monitoring Form of an esketamine session, filled from the record.

What the record holds (patient, dose, lot, times, blood pressures, the setting) is read each time; what a
clinician answers is kept on :class:`~ketamine_clinic.sessions.models.RemsForm`: the nurse confirms the
concomitant medications and the yes/no answers (pre-filled from the chart), the prescriber confirms the
evaluation answer (pre-filled with a suggestion from the charted recovery and the predicted level). The
session note of an esketamine session cannot be signed while a required field is blank (note.sign_note), and
the signed note freezes the form's values. Submission to the REMS happens outside (fax, REMS portal); the
clinic records when, by whom and the confirmation number, against the 7-day deadline.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic import access, audit
from ketamine_clinic.assessment import services as assessment_services
from ketamine_clinic.clinic import services as clinic_services
from ketamine_clinic.core.administration import rems_form as core_rems
from ketamine_clinic.core.pharmacology import models as pk_models
from ketamine_clinic.core.safety.medications import drug_classes_in
from ketamine_clinic.inventory.models import Lot

from .. import rems_pdf
from ..models import DosingSession, RemsForm
from . import exposure
from .common import _now, _require_prescriber
from .flowsheet import readings

YES_NO_FIELDS = (
    "vitals_acceptable_before",
    "vitals_acceptable_at_completion",
    "sedation",
    "dissociation",
    "respiratory_depression",
    "serious_adverse_event",
)
# Charted evidence of respiratory depression: an SpO2 below this or a rate below this (clinic-defined, as the
# flowsheet's alert thresholds in core.administration.vitals).
_SPO2_LOW, _RR_LOW = 92, 10


def needs_form(session: DosingSession) -> bool:
    return session.route == core_rems.ROUTE


def _require_form_session(session: DosingSession) -> None:
    if not needs_form(session):
        raise ValidationError({"__all__": ["Only esketamine nasal-spray sessions have a REMS monitoring form."]})


def form_of(session: DosingSession) -> RemsForm | None:
    return RemsForm.objects.filter(session=session).first()


def _first_treatment(session: DosingSession) -> bool:
    """No earlier esketamine session of this patient reached dosing."""
    return not (
        DosingSession.objects.filter(
            patient=session.patient, route=core_rems.ROUTE, dosing_started_at__isnull=False,
            dosing_started_at__lt=session.dosing_started_at or session.scheduled_for,
        )
        .exclude(pk=session.pk)
        .exists()
    )


def _predicted_below_min(session: DosingSession) -> float | None:
    """Minutes from the first device until the predicted esketamine level stays below the clinic's level (the
    dose as given, sessions.services.exposure); None where the record gives no prediction (the clinician judges)."""
    try:
        given = exposure.given_events(session)
        return exposure.predicted_below_min(given, exposure.hint_level_ng_per_ml(given.drug))
    except (ValidationError, pk_models.ModelError):
        return None


def suggestion(session: DosingSession) -> core_rems.EvaluationSuggestion | None:
    if session.dosing_started_at is None:
        return None
    return exposure.charted_recovery(session, session.dosing_started_at, _predicted_below_min(session))


def charted_answers(session: DosingSession) -> dict:
    """What the chart suggests for each yes/no answer, with the evidence (shown beside the answer)."""
    effects = list(session.sideeffects.all())
    kinds = {e.kind for e in effects}
    cadss = [s.total for s in session.dissociationscores.all() if s.total > 0]
    charted_readings = list(readings(session))
    low = [
        r for r in charted_readings
        if (r.spo2 is not None and r.spo2 < _SPO2_LOW) or (r.rr is not None and r.rr < _RR_LOW)
    ]
    before_alerts = [r for r in charted_readings if r.is_baseline and r.alerts]
    last = charted_readings[-1] if charted_readings else None
    severe = [e for e in effects if e.severity == "severe"]
    evidence = {
        "sedation": ("sedation" in kinds, "sedation charted as a side effect" if "sedation" in kinds else
                     "no sedation charted"),
        "dissociation": (
            bool(cadss) or "dissociation" in kinds,
            f"CADSS up to {max(cadss)}" if cadss else ("dissociation charted" if "dissociation" in kinds
                                                        else "CADSS 0 or not charted"),
        ),
        "respiratory_depression": (
            bool(low), "low SpO2 or respiratory rate charted" if low else "SpO2 and respiratory rate in range",
        ),
        "vitals_acceptable_before": (not before_alerts, "baseline raised an alert" if before_alerts else
                                     "baseline without alerts"),
        "vitals_acceptable_at_completion": (
            bool(last and not last.alerts), "last reading without alerts" if last and not last.alerts
            else "last reading raised an alert or none charted",
        ),
        "serious_adverse_event": (bool(severe), "severe side effect charted" if severe else
                                  "no severe side effect charted"),
    }
    return {k: {"suggested": v[0], "evidence": v[1]} for k, v in evidence.items()}


def _concomitant_suggested(patient) -> dict[str, list[str]]:
    found = drug_classes_in(patient.current_medications or "")
    return {key: list(found.get(key, ())) for key, _ in core_rems.CONCOMITANT_CLASSES}


def _monitoring_provider(session: DosingSession):
    """The session's nurse; for a session opened without one, whoever started the dose (and so watched it)."""
    if session.nurse_id:
        # By id, not session.nurse: a session object walked through the services may hold a stale cached relation.
        return get_user_model().objects.filter(pk=session.nurse_id).first()
    started = session.events.filter(to_state="dosing").select_related("by").order_by("at").first()
    return started.by if started else None


def _provider(session: DosingSession, site) -> dict:
    nurse = _monitoring_provider(session)
    # Staff records hold no personal telephone, and not every account has an email: the form then gets the
    # setting's own number and address, where the provider can be reached.
    return {
        "provider_name": nurse.display_name() if nurse else None,
        "provider_phone": site.phone or None,
        "provider_email": (nurse.email if nurse and nurse.email else site.email) or None,
    }


def _lot_number(session: DosingSession) -> str | None:
    if session.lot_id is None:
        return None
    lot = Lot.objects.filter(pk=session.lot_id).only("lot_number").first()
    return lot.lot_number if lot else None


def _bp(checkpoint) -> dict | None:
    if checkpoint is None:
        return None
    return {"text": core_rems.bp_text(checkpoint.vitals), "at": timezone.localtime(checkpoint.at).isoformat()}


def values(session: DosingSession, form: RemsForm | None = None) -> dict:
    """The whole form: from the record, plus the clinicians' answers (None where not yet answered)."""
    form = form if form is not None else form_of(session)
    patient = session.patient
    site = clinic_services.current_site()
    enrolment = assessment_services.rems_enrolment(patient)
    start, end = session.dosing_started_at, session.discharged_at  # the first device, the end of monitoring
    checkpoints = core_rems.bp_checkpoints(exposure.charted_readings(session), start, end)
    dose = float(session.given_mg) if session.given_mg is not None else None
    out = {
        "session_id": session.pk,
        "patient_first_name": patient.first_name or None,
        "patient_last_name": patient.last_name or None,
        "patient_mrn": patient.mrn,
        "patient_birth_date": patient.date_of_birth.isoformat() if patient.date_of_birth else None,
        "patient_sex": patient.get_sex_display() if patient.sex else None,
        "first_treatment": _first_treatment(session) if start else None,
        "enrolled": True if enrolment else None,
        "rems_patient_id": enrolment.rems_patient_id if enrolment else "",
        **_provider(session, site),
        "setting_name": site.name or None,
        "setting_address": site.address or None,
        "setting_rems_id": site.rems_setting_id,
        "treatment_date": timezone.localdate(start).isoformat() if start else None,
        "dose_mg": dose,
        "dose_box": core_rems.dose_box(dose),
        "lot_number": _lot_number(session),
        "first_device_at": timezone.localtime(start).isoformat() if start else None,
        "monitoring_ended_at": timezone.localtime(end).isoformat() if end else None,
        "total_minutes": int((end - start).total_seconds() // 60) if start and end else None,
        "bp_before": _bp(checkpoints["before"]),
        "bp_after_40_min": _bp(checkpoints["after_40_min"]),
        "bp_at_completion": _bp(checkpoints["at_completion"]),
        "concomitant_medications": form.concomitant if form and form.concomitant_confirmed_by_id else None,
        "concomitant_confirmed_by": form.concomitant_confirmed_by.display_name()
        if form and form.concomitant_confirmed_by_id else None,
        "evaluation_minutes": form.evaluation_minutes if form and form.evaluation_confirmed_by_id else None,
        "evaluation_suggested_minutes": form.evaluation_suggested_minutes if form else None,
        "evaluation_confirmed_by": form.evaluation_confirmed_by.display_name()
        if form and form.evaluation_confirmed_by_id else None,
        "serious_adverse_event_detail": form.serious_adverse_event_detail if form else "",
    }
    for name in YES_NO_FIELDS:
        out[name] = getattr(form, name) if form else None
    return out


def missing(session: DosingSession, form_values: dict | None = None) -> list[str]:
    return core_rems.missing_fields(form_values if form_values is not None else values(session))


def _lock_form(session: DosingSession, user) -> RemsForm:
    form, _ = RemsForm.objects.select_for_update().get_or_create(session=session, defaults={"updated_by": user})
    if form.signed_values is not None:
        raise ValidationError({"__all__": ["The session note is signed: the REMS form is locked."]})
    return form


def _yes_no(data: dict, name: str):
    value = data.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "true", "1", "on"):
        return True
    if text in ("no", "false", "0"):
        return False
    raise ValidationError({name: ["Answer yes or no."]})


def save_answers(session: DosingSession, data: dict, *, user) -> RemsForm:
    """The nurse's (or prescriber's) answers: concomitant medications (a list of the class keys the patient
    takes, confirmed as a whole), the yes/no answers and the serious adverse event's description."""
    _require_form_session(session)
    access.require(user, "clinical", access.WRITE, session.patient)
    known = {key for key, _ in core_rems.CONCOMITANT_CLASSES}
    errors = {}
    answers = {}
    for name in YES_NO_FIELDS:
        try:
            answers[name] = _yes_no(data, name)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    taking = data.get("concomitant")
    if taking is not None:
        taking = [taking] if isinstance(taking, str) else list(taking)
        unknown = sorted(set(taking) - known)
        if unknown:
            errors["concomitant"] = [f"Unknown medication class: {', '.join(unknown)}."]
    detail = (data.get("serious_adverse_event_detail") or "").strip()
    if len(detail) > 2000:
        errors["serious_adverse_event_detail"] = ["Keep the description under 2000 characters."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        form = _lock_form(session, user)
        for name, value in answers.items():
            setattr(form, name, value)
        form.serious_adverse_event_detail = detail
        if taking is not None:
            form.concomitant = {key: key in taking for key, _ in core_rems.CONCOMITANT_CLASSES}
            form.concomitant_confirmed_by = user
        form.updated_by = user
        form.save()
        audit.record(user, "update", form, patient=session.patient, detail={"rems_form": "answers"})
    return form


def confirm_evaluation(session: DosingSession, minutes, *, user, now=None) -> RemsForm:
    """The prescriber confirms (or changes) the answer to the REMS evaluation question, in minutes from the
    first device. The suggestion stays recorded beside it."""
    _require_form_session(session)
    _require_prescriber(user, session.patient, "confirm the REMS evaluation answer")
    try:
        minutes = int(str(minutes).strip())
    except (TypeError, ValueError):
        raise ValidationError({"evaluation_minutes": ["Give the minutes from the first device, e.g. 95."]}) from None
    if not 0 < minutes <= 24 * 60:
        raise ValidationError({"evaluation_minutes": ["Give a number of minutes between 1 and 1440."]})
    hint = suggestion(session)
    with transaction.atomic():
        form = _lock_form(session, user)
        form.evaluation_minutes = minutes
        form.evaluation_suggested_minutes = hint.minutes if hint else None
        form.evaluation_confirmed_by, form.evaluation_confirmed_at = user, _now(now)
        form.updated_by = user
        form.save()
        audit.record(user, "update", form, patient=session.patient,
                     detail={"rems_form": "evaluation", "minutes": minutes,
                             "suggested": form.evaluation_suggested_minutes})
    return form


def prefill(session: DosingSession, *, charted: dict, hint: core_rems.EvaluationSuggestion | None) -> dict:
    """Initial values for the form's page: the answers given, else what the chart suggests (``charted``, from
    :func:`charted_answers`) and the evaluation suggestion (``hint``, from :func:`suggestion`)."""
    form = form_of(session)
    initial = {}
    for name in YES_NO_FIELDS:
        given = getattr(form, name) if form else None
        initial[name] = given if given is not None else charted[name]["suggested"]
    if form and form.concomitant_confirmed_by_id:
        initial["concomitant"] = [k for k, v in (form.concomitant or {}).items() if v]
    else:
        initial["concomitant"] = [k for k, hits in _concomitant_suggested(session.patient).items() if hits]
    initial["evaluation_minutes"] = (
        form.evaluation_minutes if form and form.evaluation_confirmed_by_id else (hint.minutes if hint else None)
    )
    initial["serious_adverse_event_detail"] = form.serious_adverse_event_detail if form else ""
    return initial


def freeze_on_signing(session: DosingSession) -> None:
    """Called by sign_note inside its transaction: refuse while incomplete, else keep the values as signed."""
    if not needs_form(session):
        return
    current = values(session)
    gaps = core_rems.missing_fields(current)
    if gaps:
        raise ValidationError({"__all__": ["The REMS Patient Monitoring Form is incomplete: " + "; ".join(gaps) + "."]})
    form = RemsForm.objects.select_for_update().get(session=session)
    form.signed_values = current
    form.save(update_fields=["signed_values"])


def form_for_output(session: DosingSession) -> dict:
    """The values a PDF or the API shows: as signed once the note is signed, else as the record stands."""
    form = form_of(session)
    current = form.signed_values if form and form.signed_values is not None else values(session, form)
    out = dict(current)
    out["signed"] = bool(form and form.signed_values is not None)
    out["missing"] = core_rems.missing_fields(current)
    today = timezone.localdate()
    treatment = dt.date.fromisoformat(current["treatment_date"]) if current.get("treatment_date") else None
    due = core_rems.deadline(treatment, today) if treatment else None
    out["due_on"] = due.due_on.isoformat() if due else None
    out["deadline"] = due.text if due and not (form and form.is_submitted) else None
    out["submitted_on"] = form.submitted_on.isoformat() if form and form.submitted_on else None
    out["submitted_by"] = form.submitted_by.display_name() if form and form.submitted_by_id else None
    out["submission_confirmation"] = form.submission_confirmation if form else ""
    return out


def pdf(actor, session: DosingSession, *, via: str) -> tuple[dict, bytes]:
    """The form as the PDF a clinic faxes or uploads, and its values; audited as an export of the patient's data."""
    out = form_for_output(session)
    audit.record(actor, "export", form_of(session) or session, patient=session.patient,
                 detail={"rems_form_pdf": session.pk, "signed": out["signed"], "via": via})
    return out, rems_pdf.render(out)


def record_submission(session: DosingSession, *, user, submitted_on, confirmation: str) -> RemsForm:
    """Record that the signed form went to the REMS (on which date, the confirmation number it gave)."""
    _require_form_session(session)
    access.require(user, "clinical", access.WRITE, session.patient)
    if isinstance(submitted_on, str):
        try:
            submitted_on = dt.date.fromisoformat(submitted_on.strip())
        except ValueError:
            raise ValidationError({"submitted_on": ["Give the date as YYYY-MM-DD."]}) from None
    if submitted_on is None:
        raise ValidationError({"submitted_on": ["Give the date the form was submitted."]})
    today = timezone.localdate()
    if submitted_on > today:
        raise ValidationError({"submitted_on": ["The submission date cannot be in the future."]})
    confirmation = (confirmation or "").strip()
    if not confirmation:
        raise ValidationError({"submission_confirmation": ["Give the confirmation number the REMS returned."]})
    if len(confirmation) > 80:
        raise ValidationError({"submission_confirmation": ["Keep the confirmation under 80 characters."]})
    with transaction.atomic():
        form = RemsForm.objects.select_for_update().filter(session=session).first()
        if form is None or form.signed_values is None:
            raise ValidationError({"__all__": ["Sign the session note first: only a complete, signed form is submitted."]})
        if form.is_submitted:
            raise ValidationError({"__all__": [f"Already recorded as submitted on {form.submitted_on:%Y-%m-%d}."]})
        treatment = dt.date.fromisoformat(form.signed_values["treatment_date"])
        if submitted_on < treatment:
            raise ValidationError({"submitted_on": ["The form cannot be submitted before the treatment date."]})
        form.submitted_on, form.submitted_by, form.submission_confirmation = submitted_on, user, confirmation
        form.save(update_fields=["submitted_on", "submitted_by", "submission_confirmation"])
        audit.record(user, "update", form, patient=session.patient,
                     detail={"rems_form": "submitted", "on": submitted_on.isoformat()})
    return form


def _require_clinical_staff(user) -> None:
    if not access.can(user, "clinical", access.READ) or user.role == "patient":
        raise PermissionDenied("REMS forms are for clinical staff.")


def forms_due(user, today: dt.date | None = None) -> list[dict]:
    """Esketamine sessions that reached dosing and whose form is not yet submitted, oldest first, with the
    days left of the 7 (the clinic's calendar days). Only sessions of patients the user may see."""
    _require_clinical_staff(user)
    today = today or timezone.localdate()
    sessions = (
        DosingSession.objects.filter(
            route=core_rems.ROUTE, dosing_started_at__isnull=False, patient__in=access.visible_patients(user)
        )
        .exclude(rems_form__submitted_on__isnull=False)
        .select_related("patient", "rems_form")
        .order_by("dosing_started_at")
    )
    rows = []
    for s in sessions:
        treatment = timezone.localdate(s.dosing_started_at)
        due = core_rems.deadline(treatment, today)
        form = getattr(s, "rems_form", None)
        rows.append({
            "session": s, "patient": s.patient, "treatment_date": treatment, "deadline": due,
            "signed": bool(form and form.signed_values is not None),
        })
    return rows


def sessions_between(user, start: dt.date, end: dt.date):
    """The esketamine sessions that reached dosing on the clinic days ``start``..``end`` (inclusive), of the
    patients the user may see, oldest first (the export's list)."""
    _require_clinical_staff(user)
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return (
        DosingSession.objects.filter(
            route=core_rems.ROUTE, dosing_started_at__gte=since, dosing_started_at__lt=until,
            patient__in=access.visible_patients(user),
        )
        .select_related("patient", "nurse")
        .order_by("dosing_started_at", "pk")
    )
