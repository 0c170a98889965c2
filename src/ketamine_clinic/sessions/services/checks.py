"""The gates before dosing and before discharge: the pre-dose checks (measures, suicide-risk items and tasks,
consent, eligibility, weight, baseline vitals...) and the discharge criteria, with the forms that feed them."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ketamine_clinic import audit
from ketamine_clinic.assessment import services as assessment_services
from ketamine_clinic.core.administration import discharge as core_discharge
from ketamine_clinic.core.administration import predose as core_predose
from ketamine_clinic.core.administration.states import SessionState
from ketamine_clinic.core.instruments import INSTRUMENTS
from ketamine_clinic.core.instruments.library import escalating_flags
from ketamine_clinic.outcomes.models import MeasureResponse, UrgentTask

from ..models import (
    DischargeChecklist,
    DosingSession,
)
from .common import _bump, _locked, _now
from .dosing import dose_rule_for
from .flowsheet import baseline_reading, vitals_of

SUICIDE_FLAGS = frozenset({"cssrs_positive", "phq9_item9", "qids_item12", "madrs_item10"})


def pre_dose_measures(session: DosingSession, now: dt.datetime) -> tuple[set[str], bool, list[str]]:
    """Pre-dose measures actually taken and scored for this session or within the protocol's window before
    ``now``; whether one has a suicide item at its escalation level with no urgent task (the prescriber must see
    the patient); and suicide items noted below that level (a caution for the prescriber)."""
    window = dt.timedelta(hours=core_predose.PreDoseRules().measures_window_hours)
    rows = MeasureResponse.objects.filter(patient=session.patient, taken_at__lte=now).filter(
        Q(session=session) | Q(taken_at__gte=now - window)
    )
    done, risk, noted = set(), False, []
    for row in rows.prefetch_related("urgent_tasks"):
        key = "".join(ch for ch in str(row.instrument).lower() if ch.isalnum())
        if key.startswith("phq9"):
            done.add("phq9")
        if key.startswith("cssrs"):
            done.add("cssrs")
        # The core's escalation rule decides (C-SSRS screener positive, PHQ-9 item 9 >= 1, QIDS item 12 >= 2,
        # MADRS item 10 >= 4): an escalating item is held by its urgent task until the prescriber records a
        # disposition there (without a task, the prescriber's override is the disposition).
        flags = [str(f).lower() for f in (row.flags or [])]
        suicide = [f for f in flags if f in SUICIDE_FLAGS or "suicid" in f]
        if not suicide:
            continue
        definition = INSTRUMENTS.get(row.instrument)
        escalating = escalating_flags(definition, row.flags, row.answers or []) if definition else suicide
        if escalating and not row.urgent_tasks.all():
            risk = True
        elif not escalating:
            noted.append(f"{row.instrument_name} {timezone.localtime(row.taken_at):%Y-%m-%d %H:%M}")
    return done, risk, noted


def open_suicide_tasks(patient, now: dt.datetime | None = None) -> list[str]:
    """Urgent suicide-risk tasks of the patient (any day) open at ``now``, described for the pre-dose checklist."""
    tasks = UrgentTask.objects.filter(patient=patient, acknowledged_at__isnull=True)
    if now is not None:
        tasks = tasks.filter(created_at__lte=now)
    return [f"{t.reason}, opened {timezone.localtime(t.created_at):%Y-%m-%d %H:%M}" for t in tasks.order_by("created_at")]


def pre_dose_checks(session: DosingSession, now=None) -> core_predose.PreDoseChecks:
    now = _now(now)
    today = timezone.localdate(now) if timezone.is_aware(now) else now.date()
    rule = dose_rule_for(session)
    patient = session.patient
    done, risk, noted = pre_dose_measures(session, now)
    # The assessment record decides (consent for this route, eligibility decision), with its reason.
    consent_problem = assessment_services.consent_problem(patient, session.route, now)
    eligibility_problem = assessment_services.eligibility_problem(patient, now)
    measured_on = None
    if session.weight_kg is not None and session.pre_dose_checked_at is not None:
        checked = session.pre_dose_checked_at
        measured_on = timezone.localdate(checked) if timezone.is_aware(checked) else checked.date()
    return core_predose.PreDoseChecks(
        session_date=today,
        weight_based_dose=(rule is None or rule.kind == "mg_per_kg"),
        weight_kg=float(session.weight_kg) if session.weight_kg is not None else None,
        weight_measured_on=measured_on,
        baseline=vitals_of(baseline_reading(session)),
        fasting_confirmed=session.fasting_confirmed,
        escort_confirmed=session.escort_confirmed,
        pregnancy_test_applicable=core_predose.pregnancy_test_applicable(patient.sex, patient.age or 0),
        pregnancy_test=session.pregnancy_test or None,
        measures_done=frozenset(done),
        suicide_risk_flagged=risk,
        open_suicide_tasks=tuple(open_suicide_tasks(patient, now)),
        suicide_items_noted=tuple(noted),
        route=session.route,
        consent_current=consent_problem is None,
        eligibility_current=eligibility_problem is None,
        consent_problem=consent_problem or "",
        eligibility_problem=eligibility_problem or "",
    )


def pre_dose_result(session: DosingSession, now=None) -> core_predose.PreDoseResult:
    return core_predose.evaluate_pre_dose(pre_dose_checks(session, now))


def _local(value):
    # The core formats times it reports ("not before 10:40"); give it the clinic's local wall-clock time.
    return timezone.localtime(value) if value is not None and timezone.is_aware(value) else value


def discharge_result(session: DosingSession, now=None) -> core_discharge.DischargeResult:
    now = _local(_now(now))
    checklist = DischargeChecklist.objects.filter(session=session).first()
    latest = session.vitalsreadings.filter(is_baseline=False).order_by("-taken_at", "-id").first()
    return core_discharge.evaluate_discharge(
        core_discharge.DischargeInputs(
            route=session.route,
            now=now,
            dosing_ended_at=_local(session.dosing_ended_at),
            baseline=vitals_of(baseline_reading(session)),
            latest=vitals_of(latest),
            latest_at=_local(latest.taken_at) if latest else None,
            alert_and_oriented=bool(checklist and checklist.alert_and_oriented),
            steady_gait=bool(checklist and checklist.steady_gait),
            escort_present=bool(checklist and checklist.escort_present),
            nausea_controlled=bool(checklist and checklist.nausea_controlled),
        )
    )


PRE_DOSE_FIELDS = ("weight_kg", "fasting_confirmed", "escort_confirmed", "escort_name", "pregnancy_test")


def save_pre_dose(
    session: DosingSession, data: dict, *, user, version: int | None, now=None
) -> DosingSession:
    """Store the pre-dose checks (not the baseline vitals, which are a reading). Weight also updates the chart."""
    now = _now(now)
    with transaction.atomic():
        fresh = _locked(session, version)
        if fresh.state not in (SessionState.CHECKED_IN, SessionState.PRE_DOSE_CHECKS):
            raise ValidationError(
                {"__all__": ["Pre-dose checks are recorded after check-in and before dosing."]}
            )
        changed = [f for f in PRE_DOSE_FIELDS if f in data and getattr(fresh, f) != data[f]]
        for f in changed:
            setattr(fresh, f, data[f])
        fresh.pre_dose_checked_by = user
        fresh.pre_dose_checked_at = now
        _bump(fresh, changed + ["pre_dose_checked_by", "pre_dose_checked_at"])
        if "weight_kg" in changed and fresh.weight_kg is not None:
            patient = fresh.patient
            patient.weight_kg = fresh.weight_kg
            patient.weight_measured_on = timezone.localdate(now) if timezone.is_aware(now) else now.date()
            patient.save(update_fields=["weight_kg", "weight_measured_on"])
            audit.record(user, "update", patient, detail={"fields": ["weight_kg"], "from_session": fresh.pk})
        audit.record(user, "update", fresh, detail={"pre_dose": changed})
    session.__dict__.update({k: v for k, v in fresh.__dict__.items() if not k.startswith("_")})
    return fresh


def save_discharge_checklist(session: DosingSession, data: dict, *, user) -> DischargeChecklist:
    if session.is_closed:
        raise ValidationError({"__all__": ["The session is closed."]})
    checklist, _ = DischargeChecklist.objects.get_or_create(session=session, defaults={"updated_by": user})
    for f in ("alert_and_oriented", "steady_gait", "nausea_controlled", "escort_present", "escort_name"):
        if f in data:
            setattr(checklist, f, data[f])
    checklist.updated_by = user
    checklist.save()
    audit.record(user, "update", checklist, detail={k: data.get(k) for k in data})
    return checklist
