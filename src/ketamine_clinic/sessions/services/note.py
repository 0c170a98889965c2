"""The session note: composed from the record only, generated (regenerated until signed), signed by a
prescriber once the session has ended, then amended only."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic import audit
from ketamine_clinic.core.administration import delivery as core_delivery

from ..models import (
    DischargeChecklist,
    DosingSession,
    SessionNote,
    SessionNoteAmendment,
)
from . import rems
from .common import _now, _require_prescriber
from .flowsheet import readings
from .states import _delivery_note, held_remainder_mg


def _hm(value) -> str:
    return timezone.localtime(value).strftime("%H:%M") if value else "-"


def _header_lines(session: DosingSession) -> list[str]:
    t = _hm
    p = session.patient
    return [
        f"Dosing session note - {p.last_name}, {p.first_name} (MRN {p.mrn})",
        f"Date: {timezone.localtime(session.scheduled_for):%Y-%m-%d}  Route: {session.get_route_display()}",
        f"Outcome: {session.state_label}" + (f" - {session.end_reason}" if session.end_reason else ""),
        f"Times: checked in {t(session.checked_in_at)}, dosing {t(session.dosing_started_at)}-"
        f"{t(session.dosing_ended_at)}, discharged {t(session.discharged_at)}",
    ]


def _dose_lines(session: DosingSession) -> list[str]:
    lines = ["", "Dose"]
    if session.dose_mg is None:
        return lines + ["  No dose given."]
    by = session.dose_confirmed_by.display_name() if session.dose_confirmed_by else "-"
    lines.append(f"  {session.dose_mg} mg confirmed by {by} at {_hm(session.dose_confirmed_at)}")
    if session.delivered_differs:
        lines.append(
            f"  {_delivery_note(session)}; not given {core_delivery.fmt_mg(held_remainder_mg(session))} mg"
        )
    elif session.delivered_mg is not None:
        lines.append(f"  Delivered in full ({session.delivered_mg} mg)")
    if session.weight_kg is not None:
        lines.append(f"  Weight today {session.weight_kg} kg")
    if session.pump_rate_ml_per_h is not None:
        lines.append(f"  Pump rate {session.pump_rate_ml_per_h} mL/h")
    if session.dose_override_reason:
        lines.append(f"  Dose outside plan limits, override: {session.dose_override_reason}")
    return lines


def _vitals_lines(session: DosingSession) -> list[str]:
    lines = ["", "Vitals (BP mmHg, HR /min, SpO2 %, RR /min)"]
    rows = readings(session)
    for r in rows:
        bp = f"{r.sbp}/{r.dbp}" if r.sbp is not None else "-"
        flag = f"  ALERT: {'; '.join(r.alerts)}" if r.alerts else ""
        lines.append(
            f"  {_hm(r.taken_at)} {'baseline ' if r.is_baseline else ''}BP {bp} HR {r.hr or '-'} "
            f"SpO2 {r.spo2 or '-'} RR {r.rr or '-'}{flag}"
        )
    if rows:
        sbps = [r.sbp for r in rows if r.sbp is not None]
        hrs = [r.hr for r in rows if r.hr is not None]
        if sbps:
            lines.append(f"  Peak systolic {max(sbps)}; peak heart rate {max(hrs) if hrs else '-'}")
    else:
        lines.append("  None recorded.")
    return lines


def _entry_lines(session: DosingSession) -> list[str]:
    """Side effects and interventions (always listed, "None." if none), dissociation and observations."""
    t = _hm
    effects = list(session.sideeffects.all())
    lines = ["", "Side effects"] + (
        [
            f"  {t(e.onset_at)} {e.get_kind_display()} ({e.get_severity_display().lower()}) {e.note}".rstrip()
            for e in effects
        ]
        or ["  None."]
    )
    interventions = list(session.interventions.all())
    lines += ["", "Interventions"] + (
        [
            f"  {t(i.given_at)} {i.get_kind_display()}"
            + (f": {i.medication} {i.dose_text}".rstrip() if i.medication else "")
            + (f" (new rate {i.new_rate_ml_per_h} mL/h)" if i.new_rate_ml_per_h is not None else "")
            + (f" - {i.note}" if i.note else "")
            for i in interventions
        ]
        or ["  None."]
    )
    scores = list(session.dissociationscores.all())
    if scores:
        lines += ["", "Dissociation"] + [f"  {t(s.taken_at)} {s.instrument.upper()} {s.total}" for s in scores]
    obs = list(session.observations.all())
    if obs:
        lines += ["", "Observations"] + [f"  {t(o.at)} {o.text}" for o in obs]
    return lines


def _closing_lines(session: DosingSession) -> list[str]:
    """Overrides of clinical gates, then the discharge checklist's criteria met."""
    lines = []
    overrides = [e for e in session.events.all() if e.override_reason]
    if overrides:
        lines += ["", "Overrides"] + [
            f"  {_hm(e.at)} to {e.to_state}: {e.override_reason} (by {e.by.display_name()})" for e in overrides
        ]
    checklist = DischargeChecklist.objects.filter(session=session).first()
    if checklist:
        met = (
            ("alert and oriented", checklist.alert_and_oriented),
            ("steady gait", checklist.steady_gait),
            ("nausea minimal", checklist.nausea_controlled),
            (f"escort present {checklist.escort_name}".strip(), checklist.escort_present),
        )
        lines += ["", "Discharge: " + ", ".join(label for label, ok in met if ok)]
    return lines


def compose_note(session: DosingSession) -> str:
    """A plain-text session note built only from the record (times, dose, vitals, events, measures)."""
    sections = (_header_lines, _dose_lines, _vitals_lines, _entry_lines, _closing_lines)
    return "\n".join(line for section in sections for line in section(session))


def generate_note(session: DosingSession, *, user, now=None) -> SessionNote:
    now = _now(now)
    note = SessionNote.objects.filter(session=session).first()
    if note and note.is_signed:
        raise ValidationError({"__all__": ["The note is signed and locked; add an amendment instead."]})
    body = compose_note(session)
    if note is None:
        note = SessionNote.objects.create(session=session, body=body, generated_at=now, generated_by=user)
        audit.record(user, "create", note)
    else:
        note.body, note.generated_at, note.generated_by = body, now, user
        note.save(update_fields=["body", "generated_at", "generated_by"])
        audit.record(user, "update", note)
    return note


def sign_note(note: SessionNote, *, user, now=None) -> SessionNote:
    _require_prescriber(user, note.session.patient, "sign the session note")
    if not note.session.is_closed:
        raise ValidationError(
            {"__all__": ["Sign the note once the session has ended (discharged or stopped)."]}
        )
    with transaction.atomic():
        locked = SessionNote.objects.select_for_update().get(pk=note.pk)
        if locked.is_signed:
            raise ValidationError({"__all__": ["The note is already signed."]})
        rems.freeze_on_signing(note.session)  # an esketamine note locks only with a complete REMS form
        locked.signed_by, locked.signed_at = user, _now(now)
        locked.save(update_fields=["signed_by", "signed_at"])
        audit.record(user, "update", locked, detail={"signed": True})
    return locked


def amend_note(note: SessionNote, *, user, body: str, reason: str) -> SessionNoteAmendment:
    if not note.is_signed:
        raise ValidationError({"__all__": ["The note is not signed yet; regenerate it instead of amending."]})
    if not (body or "").strip() or not (reason or "").strip():
        raise ValidationError({"body": ["Write the amendment and its reason."]})
    amendment = SessionNoteAmendment.objects.create(
        note=note, body=body.strip(), reason=reason.strip(), author=user
    )
    audit.record(user, "create", amendment, patient=note.session.patient)
    return amendment
