"""What happens to a dosing session, in one place for pages, API, CLI and seeding.

Rules that protect the record:
- State changes and edits of the session row carry the ``version`` they were based on; a stale version is
  refused with :class:`StaleSession` (HTTP 409) so two staff never silently overwrite each other. The row is
  locked (``select_for_update``) while the check and the write happen.
- Flowsheet entries (vitals, side effects, interventions, observations, dissociation scores) are appended with
  a client-generated idempotency key, unique per session: a retried submission returns the row already saved.
- Clinical limits (pre-dose gate, plan dose limits, discharge criteria) stop the action; only a prescriber may
  override, with a written reason, and the override is audited as "override".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ketamine_clinic import access, audit
from ketamine_clinic.accounts.services import confirm_second_person
from ketamine_clinic.assessment import services as assessment_services
from ketamine_clinic.core.administration import delivery as core_delivery
from ketamine_clinic.core.administration import discharge as core_discharge
from ketamine_clinic.core.administration import predose as core_predose
from ketamine_clinic.core.administration.states import IllegalTransition, SessionState, plan_transition
from ketamine_clinic.core.administration.vitals import (
    VITALS_SCHEDULES,
    ImplausibleVitals,
    VitalSigns,
    next_vitals_due,
    validate_vitals,
    vitals_alerts,
)
from ketamine_clinic.core.instruments import INSTRUMENTS
from ketamine_clinic.core.instruments.library import escalating_flags
from ketamine_clinic.core.pharmacology.dosing import DoseCalculationError, DosePlan, plan_dose
from ketamine_clinic.core.protocols.dose_rule import DoseRule
from ketamine_clinic.core.protocols.routes import dose_rule_problem
from ketamine_clinic.core.safety.event_time import event_time_problem
from ketamine_clinic.inventory import services as inventory
from ketamine_clinic.inventory.models import Lot
from ketamine_clinic.outcomes.models import Administration, UrgentTask
from ketamine_clinic.plans.services import current_plan

from . import custody
from .models import (
    DischargeChecklist,
    DosingSession,
    SessionEvent,
    SessionNote,
    SessionNoteAmendment,
    VitalsReading,
)

VITAL_FIELDS = ("sbp", "dbp", "hr", "spo2", "rr")
SUICIDE_FLAGS = frozenset({"cssrs_positive", "phq9_item9", "qids_item12", "madrs_item10"})


class StaleSession(Exception):
    """The session changed since the user loaded it; the message says so and what to do."""

    def __init__(self, session_id: int, expected: int, actual: int):
        self.expected, self.actual = expected, actual
        super().__init__(
            f"This session was changed by someone else (you had version {expected}, it is now {actual}). "
            "Reload the page to see the latest record, then try again."
        )


def _now(now=None):
    return now or timezone.now()


def _locked(session: DosingSession, version: int | None) -> DosingSession:
    """Re-read the session row under a lock and check the caller's version (None skips the check)."""
    fresh = DosingSession.objects.select_for_update().get(pk=session.pk)
    if version is not None and int(version) != fresh.version:
        raise StaleSession(session.pk, int(version), fresh.version)
    return fresh


def _bump(fresh: DosingSession, fields: list[str]) -> DosingSession:
    fresh.version = fresh.version + 1
    fresh.save(update_fields=sorted(set(fields) | {"version"}))
    return fresh


def _require_prescriber(user, patient, what: str):
    if not access.can(user, "prescribing", "write", patient):
        raise PermissionDenied(f"Only a prescriber may {what}.")


# --------------------------------------------------------------------------------------------------- dose rule


def dose_rule_for(session: DosingSession, *, snapshot: bool = False) -> DoseRule | None:
    """The order for this session: the stored snapshot, else the active plan *for the session's route*.

    Until the dose is confirmed the live plan is read (a prescriber's change shows at once); ``record_dose``
    passes ``snapshot=True`` so the order the dose was prepared from is stored with the session for good. A plan
    for another route never supplies the order (an intranasal session must not get the IV mg/kg rule).
    """
    if session.dose_rule:
        return DoseRule(**session.dose_rule)
    plan = plan_for_route(session)
    if plan is None:
        return None
    rule = plan.dose_rule()
    if rule is None or not snapshot:
        return rule
    session.dose_rule = dataclasses.asdict(rule)
    if session.plan_id is None:
        session.plan = plan
    DosingSession.objects.filter(pk=session.pk).update(dose_rule=session.dose_rule, plan=plan)
    return rule


def plan_for_route(session: DosingSession):
    """The active plan that orders this session's route: its own plan if still active, else the patient's."""
    plan = session.plan
    if plan is not None and plan.status == plan.Status.ACTIVE and plan.route == session.route:
        return plan
    return (
        session.patient.treatment_plans.filter(status="active", route=session.route).order_by("-created_at").first()
    )


def dose_plan_for(
    session: DosingSession, dose_mg_override: float | None = None, snapshot: bool = False
) -> DosePlan:
    rule = dose_rule_for(session, snapshot=snapshot)
    if rule is None:
        raise ValidationError(
            {
                "dose_mg": [
                    f"No active plan orders a {session.get_route_display()} dose for this patient: the prescriber "
                    "must write the order."
                ]
            }
        )
    problem = dose_rule_problem(session.route, rule.kind)
    if problem:
        raise ValidationError({"dose_mg": [f"The order does not fit this session's route: {problem}"]})
    weight = float(session.weight_kg) if session.weight_kg is not None else None
    try:
        return plan_dose(rule, weight_kg=weight, route=session.route, dose_mg_override=dose_mg_override)
    except DoseCalculationError as err:
        raise ValidationError({"dose_mg": [str(err)]}) from err


def session_for_appointment(appointment, *, user) -> tuple[DosingSession, bool]:
    """The dosing session of a booked dosing appointment, created on first use (idempotent: one per
    appointment, enforced by the one-to-one link). Route and plan come from the appointment's plan, else the
    patient's current plan."""
    if appointment.kind != "dosing":
        raise ValidationError({"__all__": ["Only dosing appointments have a dosing session."]})
    if appointment.status in ("cancelled", "no_show"):
        raise ValidationError(
            {"__all__": [f"The appointment is {appointment.get_status_display().lower()}."]}
        )
    existing = DosingSession.objects.filter(appointment=appointment).first()
    if existing:
        return existing, False
    plan = appointment.plan
    if plan is None:
        plan = current_plan(appointment.patient)
    if plan is None:
        raise ValidationError(
            {"__all__": ["The patient has no active plan: the prescriber must write one first."]}
        )
    try:
        with transaction.atomic():
            session = DosingSession.objects.create(
                patient=appointment.patient,
                appointment=appointment,
                plan=plan,
                route=plan.route,
                scheduled_for=appointment.starts_at,
                chair=appointment.chair,
                # The booked nurse runs it if she may open the chart; else whoever checks the patient in.
                nurse=appointment.staff
                if getattr(appointment.staff, "role", "") == "nurse"
                and access.can(appointment.staff, "clinical", "write", appointment.patient)
                else None,
                prescriber=appointment.patient.primary_prescriber(),
            )
    except IntegrityError:
        return DosingSession.objects.get(appointment=appointment), False
    audit.record(user, "create", session, detail={"appointment": appointment.pk})
    return session, True


# --------------------------------------------------------------------------------------------------- readings


def readings(session: DosingSession):
    return list(session.vitalsreadings.select_related("entered_by").order_by("taken_at", "id"))


def vitals_of(reading: VitalsReading | None) -> VitalSigns | None:
    if reading is None:
        return None
    return VitalSigns(**{f: getattr(reading, f) for f in VITAL_FIELDS})


def baseline_reading(session: DosingSession) -> VitalsReading | None:
    return session.vitalsreadings.filter(is_baseline=True).order_by("-taken_at", "-id").first()


def _entry(model, session, *, user, idempotency_key: str, **fields):
    """Append one flowsheet row idempotently; returns (row, created)."""
    key = (idempotency_key or "").strip()
    if not key or len(key) > 64:
        raise ValidationError({"idempotency_key": ["A submission key (1-64 characters) is required."]})
    if session.is_closed:
        raise ValidationError(
            {"__all__": [f"The session is {session.state_label.lower()}; it takes no new entries."]}
        )
    existing = model.objects.filter(session=session, idempotency_key=key).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            row = model.objects.create(session=session, entered_by=user, idempotency_key=key, **fields)
    except IntegrityError:
        # Another request with the same key won the race; return its row.
        return model.objects.get(session=session, idempotency_key=key), False
    audit.record(user, "create", row, patient=session.patient, detail={"session": session.pk})
    return row, True


def record_reading(
    session: DosingSession,
    *,
    user,
    idempotency_key: str,
    values: dict,
    taken_at: dt.datetime | None = None,
    is_baseline: bool = False,
    now=None,
):
    """Save one set of vitals at once (idempotent); alerts are computed and stored with it."""
    taken_at = taken_at or _now(now)
    _refuse_bad_time("taken_at", taken_at, after=session.checked_in_at, after_what="check-in")
    vitals = VitalSigns(
        **{k: (float(values[k]) if values.get(k) not in (None, "") else None) for k in VITAL_FIELDS}
    )
    try:
        validate_vitals(vitals)
    except ImplausibleVitals as err:
        raise ValidationError(err.errors) from err
    alerts = [a.message for a in vitals_alerts(vitals)]
    ints = {k: (int(round(v)) if v is not None else None) for k, v in dataclasses.asdict(vitals).items()}
    return _entry(
        VitalsReading,
        session,
        user=user,
        idempotency_key=idempotency_key,
        taken_at=taken_at,
        is_baseline=is_baseline,
        alerts=alerts,
        **ints,
    )


def add_entry(model, session, *, user, idempotency_key: str, **fields):
    """Append a side effect, intervention, observation or dissociation score (idempotent)."""
    for name, value in fields.items():
        if isinstance(value, dt.datetime):
            _refuse_bad_time(name, value, after=session.checked_in_at, after_what="check-in")
    return _entry(model, session, user=user, idempotency_key=idempotency_key, **fields)


def acknowledge_alert(reading: VitalsReading, *, user, now=None):
    if reading.alerts and reading.alert_acknowledged_at is None:
        reading.alert_acknowledged_by = user
        reading.alert_acknowledged_at = _now(now)
        reading.save(update_fields=["alert_acknowledged_by", "alert_acknowledged_at"])
        audit.record(user, "update", reading, detail={"acknowledged": reading.alerts})
    return reading


def active_alerts(session: DosingSession):
    return [r for r in session.vitalsreadings.all() if r.alerts and r.alert_acknowledged_at is None]


def next_due(session: DosingSession):
    schedule = VITALS_SCHEDULES.get(session.route)
    if schedule is None or session.is_closed:
        return None
    # Baseline readings are pre-dose checks; only monitoring readings satisfy the schedule.
    times = [r.taken_at for r in session.vitalsreadings.all() if not r.is_baseline]
    return next_vitals_due(
        schedule,
        dosing_started_at=session.dosing_started_at,
        dosing_ended_at=session.dosing_ended_at,
        reading_times=times,
    )


# --------------------------------------------------------------------------------------------------- gates


def pre_dose_measures(session: DosingSession, now: dt.datetime) -> tuple[set[str], bool, list[str]]:
    """Pre-dose measures actually taken and scored for this session or within the protocol's window before
    ``now``; whether one has a suicide item at its escalation level with no urgent task (the prescriber must see
    the patient); and suicide items noted below that level (a caution for the prescriber)."""
    window = dt.timedelta(hours=core_predose.PreDoseRules().measures_window_hours)
    rows = Administration.objects.filter(patient=session.patient, taken_at__lte=now).filter(
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


# --------------------------------------------------------------------------------------------------- transitions


def _refuse_bad_time(field: str, at: dt.datetime, *, after, after_what: str) -> None:
    """A session's clinical events happen in order and not in the future (the seed passes past times)."""
    problem = event_time_problem(at, now=timezone.now(), after=after, after_what=after_what)
    if problem:
        raise ValidationError({field: [problem]})


def _check_dose_drawn(session: DosingSession) -> None:
    """A controlled dose is given only from drug the session holds: drawn from a lot in the ledger."""
    held = inventory.held_for_session(session.lot_id, session.pk) if session.lot_id else 0
    if held < inventory.to_mcg(session.dose_mg, "dose_mg"):
        raise ValidationError(
            {
                "__all__": [
                    "The confirmed dose has not been drawn from the controlled-substance stock for this session: "
                    "confirm the dose with its lot before starting."
                ]
            }
        )


def transition(
    session: DosingSession,
    target: str,
    *,
    user,
    version: int | None,
    reason: str = "",
    override_reason: str = "",
    delivered_mg=None,
    volume_infused_ml=None,
    devices_used=None,
    now=None,
) -> DosingSession:
    """Move the session to ``target`` if the state machine, the gates and the version allow it.

    Leaving *dosing* ends the administration: the dose actually delivered is recorded on the session
    (``delivered_mg``: mg, or for an infusion the pump's ``volume_infused_ml``, or for nasal sprays the
    ``devices_used``; see :mod:`ketamine_clinic.core.administration.delivery`). To *monitoring* it defaults to
    the whole confirmed dose; *stopped early* needs it. If the dose came from a stock lot, the delivered
    amount is recorded in the ledger as administered in the same transaction, and the rest stays held by the
    session until it is wasted with a witness. *Aborted* after the dose was drawn records nothing given.
    """
    now = _now(now)
    delivery_input = {
        "delivered_mg": delivered_mg,
        "volume_infused_ml": volume_infused_ml,
        "devices_used": devices_used,
    }
    delivery_given = any(v not in (None, "") for v in delivery_input.values())
    with transaction.atomic():
        fresh = _locked(session, version)
        target_state = target
        pre = dis = None
        cautions: list[str] = []
        try:
            target_state = SessionState(target)
        except ValueError:
            pass
        _refuse_bad_time("__all__", now, after=fresh.state_changed_at, after_what="the last step")
        observation = None
        if target_state == SessionState.DOSING:
            if fresh.dose_mg is None:
                raise ValidationError({"__all__": ["Confirm the dose before starting dosing."]})
            _check_dose_drawn(fresh)
            pre_result = pre_dose_result(fresh, now)
            pre = pre_result.gate()
            cautions = [f.message for f in pre_result.cautions]
        if target_state == SessionState.DISCHARGED:
            dis = discharge_result(fresh, now).gate()
        if target_state == SessionState.READY_FOR_DISCHARGE:
            observation = discharge_result(fresh, now).observation_gate()
        try:
            move = plan_transition(
                fresh.state,
                target,
                reason=reason,
                pre_dose=pre,
                discharge=dis,
                observation=observation,
                override_reason=override_reason,
            )
        except IllegalTransition as err:
            raise ValidationError({"__all__": [str(err)]}) from err
        if move.overridden:
            _require_prescriber(user, fresh.patient, "override a clinical gate")
        delivery = None
        if move.source is SessionState.DOSING and fresh.dose_mg is not None:
            delivery = _delivery(
                fresh, completed=move.target is SessionState.MONITORING, now=now, **delivery_input
            )
        elif delivery_given:
            raise ValidationError(
                {
                    "delivered_mg": [
                        "The delivered dose is recorded when dosing ends (leaving 'Dosing'); "
                        + (
                            f"it was recorded as {core_delivery.fmt_mg(fresh.delivered_mg)} mg."
                            if fresh.delivered_mg is not None
                            else "dosing has not started."
                        )
                    ]
                }
            )
        elif move.target is SessionState.ABORTED and fresh.dose_mg is not None:
            delivery = core_delivery.Delivery(Decimal("0.00"), "aborted before dosing: nothing given")
        fields = ["state", "state_changed_at"]
        if delivery is not None:
            fresh.delivered_mg, fresh.delivery_basis = delivery.delivered_mg, delivery.basis[:120]
            fields += ["delivered_mg", "delivery_basis"]
        fresh.state = move.target.value
        fresh.state_changed_at = now
        if move.target is SessionState.CHECKED_IN:
            fresh.checked_in_at = now
            fields.append("checked_in_at")
            if fresh.nurse_id is None and user.role == "nurse":
                fresh.nurse = user
                fields.append("nurse")
        elif move.target is SessionState.DOSING:
            fresh.dosing_started_at = now
            fields.append("dosing_started_at")
        elif move.target is SessionState.MONITORING and fresh.dosing_ended_at is None:
            fresh.dosing_ended_at = now
            fields.append("dosing_ended_at")
        elif move.target is SessionState.DISCHARGED:
            fresh.discharged_at = now
            fields.append("discharged_at")
        elif move.target in (SessionState.ABORTED, SessionState.STOPPED_EARLY):
            fresh.end_reason = move.reason
            fields.append("end_reason")
            if (
                move.target is SessionState.STOPPED_EARLY
                and fresh.dosing_started_at
                and not fresh.dosing_ended_at
            ):
                fresh.dosing_ended_at = now
                fields.append("dosing_ended_at")
        _bump(fresh, fields)
        given = None
        if delivery is not None and delivery.delivered_mg > 0 and fresh.lot_id is not None:
            given = custody.record_administration(
                session=fresh,
                lot_id=fresh.lot_id,
                dose_mg=delivery.delivered_mg,
                user=user,
                reason=_delivery_note(fresh) if fresh.delivered_differs else "",
                now=now,
            )
        # Cautions (e.g. BP above 140/90) do not block, but the record keeps that dosing began with them known.
        noted = f"Cautions noted at dosing: {'; '.join(cautions)}" if cautions else ""
        if delivery is not None and fresh.delivered_differs:
            noted = "; ".join(filter(None, [noted, _delivery_note(fresh)]))
        event = SessionEvent.objects.create(
            session=fresh,
            from_state=move.source.value,
            to_state=move.target.value,
            at=now,
            by=user,
            reason="; ".join(filter(None, [move.reason, noted])),
            override_reason=move.override_reason,
            overridden_items=list(move.gate_blocking),
        )
        _sync_appointment(fresh, move.target)
        detail = {"from": move.source.value, "to": move.target.value, "reason": move.reason}
        if move.overridden:
            detail.update(override_reason=move.override_reason, overridden=list(move.gate_blocking))
        if cautions:
            detail["cautions"] = cautions
        if delivery is not None:
            detail.update(
                confirmed_mg=str(fresh.dose_mg),
                delivered_mg=str(delivery.delivered_mg),
                delivery_basis=delivery.basis,
                ledger_entry=given.sequence if given is not None else None,
            )
        audit.record(user, "override" if move.overridden else "update", fresh, detail=detail)
        audit.record(user, "create", event, patient=fresh.patient)
    session.__dict__.update({k: v for k, v in fresh.__dict__.items() if not k.startswith("_")})
    return fresh


def _delivery(session: DosingSession, *, completed: bool, now, **given) -> core_delivery.Delivery:
    """The delivered dose from the nurse's input (core rules); errors become field errors."""
    rule = dose_rule_for(session)
    planned = rule.infusion_duration_min if rule is not None and session.route == "iv" else None
    elapsed = (now - session.dosing_started_at).total_seconds() / 60 if session.dosing_started_at else None
    try:
        return core_delivery.delivered_dose(
            route=session.route,
            confirmed_mg=session.dose_mg,
            completed=completed,
            bag_volume_ml=(session.dose_calculation or {}).get("bag_volume_ml"),
            planned_min=planned,
            elapsed_min=elapsed,
            **given,
        )
    except core_delivery.DeliveryError as err:
        raise ValidationError({err.field: [str(err)]}) from None


def _delivery_note(session: DosingSession) -> str:
    """e.g. "Delivered 20 mg of 35 mg confirmed (pump volume infused 57 of 100 mL)"."""
    return (
        f"Delivered {core_delivery.fmt_mg(session.delivered_mg)} mg of "
        f"{core_delivery.fmt_mg(session.dose_mg)} mg confirmed"
        + (f" ({session.delivery_basis})" if session.delivery_basis else "")
    )


def held_remainder_mg(session: DosingSession) -> Decimal | None:
    """Confirmed but not delivered (mg): still in the bag, syringe or vial, to be wasted with a witness."""
    if session.delivered_mg is None or session.dose_mg is None:
        return None
    return session.dose_mg - session.delivered_mg


def _sync_appointment(session: DosingSession, target: SessionState):
    appt = session.appointment
    if appt is None:
        return
    status = {SessionState.CHECKED_IN: "checked_in", SessionState.DISCHARGED: "completed"}.get(target)
    if status and appt.status != status:
        appt.status = status
        appt.save(update_fields=["status"])


# --------------------------------------------------------------------------------------------------- pre-dose & dose


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


def dose_calculation_of(plan: DosePlan) -> dict:
    """What is stored with a confirmed dose: the double-check lines, devices, limits and, for an infusion, the
    final bag volume (the pump's "volume infused" is converted to mg with it when dosing ends)."""
    return {
        "lines": plan.infusion.double_check() if plan.infusion else [],
        "devices": plan.devices,
        "min_mg": round(plan.min_mg, 2),
        "max_mg": round(plan.max_mg, 2),
        "computed_mg": round(plan.dose_mg, 2),
        "bag_volume_ml": plan.infusion.bag_volume_ml if plan.infusion else None,
    }


def record_dose(
    session,
    *,
    dose_mg,
    user,
    lot_id=None,
    second_checker=None,
    second_checker_password: str = "",
    override_reason="",
    expected_version=None,
    now=None,
):
    """Confirm the dose for this session: the two-person check, and the draw from the controlled-substance stock.

    Ketamine and esketamine are Schedule III: a dose exists only with a draw from a lot in stock, so ``lot_id``
    is required, and the drug is DRAWN into the session's custody in the SAME transaction as the dose record (a
    stock error rolls back the dose too). A second staff member (``second_checker``) checks the dose with the
    nurse and confirms by typing their own password now; both are recorded. The dose is checked against the
    plan's limits for today's weight; outside them it is refused unless a prescriber gives ``override_reason``
    (audited as "override"). What was actually given is recorded when administration ends (:func:`transition`
    out of dosing), and only then does the ledger record it as administered.
    """
    now = _now(now)
    override_reason = (override_reason or "").strip()
    try:
        dose = float(dose_mg)
    except (TypeError, ValueError):
        raise ValidationError({"dose_mg": ["Enter the dose in mg as a number."]}) from None
    if not math.isfinite(dose) or not dose > 0:
        raise ValidationError({"dose_mg": ["The dose must be a positive number of mg."]})
    if lot_id in (None, ""):
        raise ValidationError(
            {"lot_id": ["Choose the stock lot the dose is drawn from: every controlled dose is drawn from the ledger."]}
        )
    with transaction.atomic():
        fresh = _locked(session, expected_version)
        if fresh.state != SessionState.PRE_DOSE_CHECKS:
            raise ValidationError(
                {"__all__": ["The dose is confirmed during pre-dose checks, before dosing starts."]}
            )
        access.require(user, "clinical", "write", fresh.patient)
        confirm_second_person(
            user,
            second_checker,
            second_checker_password,
            area="clinical",
            field="second_checker",
            role_words="second checker",
        )
        plan = dose_plan_for(fresh, dose_mg_override=dose, snapshot=True)
        overridden = not plan.within_limits
        if overridden:
            if not override_reason:
                raise ValidationError(
                    {
                        "dose_mg": [
                            f"{dose:g} mg is outside the plan's limits {plan.min_mg:.1f}-{plan.max_mg:.1f} mg; "
                            "a prescriber must override with a written reason."
                        ]
                    }
                )
            _require_prescriber(user, fresh.patient, "give a dose outside the plan's limits")
        fresh.dose_mg = Decimal(str(round(dose, 2)))
        fresh.dose_calculation = dose_calculation_of(plan)
        fresh.pump_rate_ml_per_h = (
            Decimal(str(plan.infusion.pump_rate_ml_per_h)) if plan.infusion is not None else None
        )
        fresh.dose_confirmed_by = user
        fresh.dose_confirmed_at = now
        fresh.dose_second_checker = second_checker
        fresh.dose_override_reason = override_reason if overridden else ""
        fresh.lot_id = lot_id
        _bump(
            fresh,
            [
                "dose_mg",
                "dose_calculation",
                "pump_rate_ml_per_h",
                "dose_confirmed_by",
                "dose_confirmed_at",
                "dose_second_checker",
                "dose_override_reason",
                "lot_id",
            ],
        )
        _check_lot_strength(lot_id, plan)
        custody.draw_for_dose(session=fresh, lot_id=lot_id, dose_mg=fresh.dose_mg, user=user, now=now)
        detail = {
            "dose_mg": dose,
            "limits_mg": [round(plan.min_mg, 2), round(plan.max_mg, 2)],
            "lot_id": lot_id,
            "second_checker": second_checker.pk,
        }
        if overridden:
            detail["override_reason"] = override_reason
        audit.record(user, "override" if overridden else "update", fresh, detail=detail)
    session.__dict__.update({k: v for k, v in fresh.__dict__.items() if not k.startswith("_")})
    return fresh


def lot_choices(session: DosingSession, today: dt.date | None = None) -> list[tuple[str, str]]:
    """In-date stock lots of the session's drug, for the dose form."""
    today = today or timezone.localdate()
    lots = Lot.objects.filter(expires_on__gte=today, product__active=True).select_related("product")
    if session.route == "intranasal":
        lots = lots.filter(product__drug__icontains="esketamine")
    else:
        lots = lots.exclude(product__drug__icontains="esketamine").filter(product__drug__icontains="ketamine")
    return [
        (str(lot.pk), f"{lot.product.name} - lot {lot.lot_number} (exp {lot.expires_on:%Y-%m-%d})")
        for lot in lots
    ]


def _check_lot_strength(lot_id, plan: DosePlan):
    """Refuse a lot whose strength differs from the concentration the draw-up volume was calculated for."""
    lot = Lot.objects.select_related("product").filter(pk=lot_id).first()
    wanted = plan.rule.concentration_mg_per_ml
    have = getattr(getattr(lot, "product", None), "concentration_mg_per_ml", None)
    if lot is not None and wanted and have and abs(float(have) - float(wanted)) > 1e-6:
        raise ValidationError(
            {
                "lot_id": [
                    f"Lot {lot.lot_number} is {float(have):g} mg/mL but the dose was calculated for "
                    f"{float(wanted):g} mg/mL; choose a matching lot or ask the prescriber to change the order."
                ]
            }
        )


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


# --------------------------------------------------------------------------------------------------- note


def compose_note(session: DosingSession) -> str:
    """A plain-text session note built only from the record (times, dose, vitals, events, measures)."""

    def t(value):
        return timezone.localtime(value).strftime("%H:%M") if value else "-"

    p = session.patient
    lines = [
        f"Dosing session note - {p.last_name}, {p.first_name} (MRN {p.mrn})",
        f"Date: {timezone.localtime(session.scheduled_for):%Y-%m-%d}  Route: {session.get_route_display()}",
        f"Outcome: {session.state_label}" + (f" - {session.end_reason}" if session.end_reason else ""),
        f"Times: checked in {t(session.checked_in_at)}, dosing {t(session.dosing_started_at)}-"
        f"{t(session.dosing_ended_at)}, discharged {t(session.discharged_at)}",
        "",
        "Dose",
    ]
    if session.dose_mg is not None:
        by = session.dose_confirmed_by.display_name() if session.dose_confirmed_by else "-"
        lines.append(f"  {session.dose_mg} mg confirmed by {by} at {t(session.dose_confirmed_at)}")
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
    else:
        lines.append("  No dose given.")
    lines += ["", "Vitals (BP mmHg, HR /min, SpO2 %, RR /min)"]
    rows = readings(session)
    for r in rows:
        bp = f"{r.sbp}/{r.dbp}" if r.sbp is not None else "-"
        flag = f"  ALERT: {'; '.join(r.alerts)}" if r.alerts else ""
        lines.append(
            f"  {t(r.taken_at)} {'baseline ' if r.is_baseline else ''}BP {bp} HR {r.hr or '-'} "
            f"SpO2 {r.spo2 or '-'} RR {r.rr or '-'}{flag}"
        )
    if rows:
        sbps = [r.sbp for r in rows if r.sbp is not None]
        hrs = [r.hr for r in rows if r.hr is not None]
        if sbps:
            lines.append(f"  Peak systolic {max(sbps)}; peak heart rate {max(hrs) if hrs else '-'}")
    else:
        lines.append("  None recorded.")
    effects = list(session.sideeffects.all())
    lines += ["", "Side effects"] + (
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
        lines += ["", "Dissociation"] + [
            f"  {t(s.taken_at)} {s.instrument.upper()} {s.total}" for s in scores
        ]
    obs = list(session.observations.all())
    if obs:
        lines += ["", "Observations"] + [f"  {t(o.at)} {o.text}" for o in obs]
    events = list(session.events.all())
    overrides = [e for e in events if e.override_reason]
    if overrides:
        lines += ["", "Overrides"] + [
            f"  {t(e.at)} to {e.to_state}: {e.override_reason} (by {e.by.display_name()})" for e in overrides
        ]
    checklist = DischargeChecklist.objects.filter(session=session).first()
    if checklist:
        lines += [
            "",
            "Discharge: "
            + ", ".join(
                label
                for label, ok in (
                    ("alert and oriented", checklist.alert_and_oriented),
                    ("steady gait", checklist.steady_gait),
                    ("nausea minimal", checklist.nausea_controlled),
                    (f"escort present {checklist.escort_name}".strip(), checklist.escort_present),
                )
                if ok
            ),
        ]
    return "\n".join(lines)


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
