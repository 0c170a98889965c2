"""Demo dosing sessions (synthetic): one session for every past dose of every demo plan - induction series
(some mid-series), induction plus boosters for maintenance patients, a whole course for discharged patients -
some with vitals alerts, side effects and interventions, signed notes, plus today's board with sessions in
progress.

Idempotent: a marker observation (key ``demo-seed``) on the first seeded session means "already seeded".
"""

import dataclasses
import datetime as dt
from decimal import Decimal

from django.utils import timezone

from ketamine_clinic.core.administration.delivery import delivered_dose
from ketamine_clinic.core.administration.discharge import MIN_OBSERVATION_MIN
from ketamine_clinic.core.administration.predose import pregnancy_test_applicable
from ketamine_clinic.core.administration.vitals import VitalSigns, vitals_alerts
from ketamine_clinic.core.pharmacology.dosing import plan_dose
from ketamine_clinic.core.protocols.dose_rule import DoseRule
from ketamine_clinic.patients.models import Phase

from .models import (
    DischargeChecklist,
    DosingSession,
    Intervention,
    Observation,
    SessionEvent,
    SessionNote,
    SideEffect,
    VitalsReading,
)
from .services import compose_note, dose_calculation_of

MARKER = "demo-seed"
# Demo fallback order when a patient has no plan: 0.5 mg/kg over 40 min (Berman et al. 2000), 50 mg/mL stock.
DEMO_IV_RULE = DoseRule("mg_per_kg", 0.5, 0.25, 1.0, infusion_duration_min=40, concentration_mg_per_ml=50)
DEMO_NASAL_RULE = DoseRule("fixed_mg", 56, 28, 84, drug="esketamine")
# The one past IV session stopped early: the patient asked to stop this many minutes into the infusion and left
# (with the escort, against advice) after a short observation.
STOPPED_AFTER_MIN = 20
STOPPED_REASON = (
    "Infusion stopped at the patient's request (distressing dissociation); patient declined further "
    "observation and left with escort against advice"
)


def _rule_and_route(patient):
    from ketamine_clinic.plans.services import current_plan

    plan = current_plan(patient)
    if plan is not None:
        try:
            rule = plan.dose_rule()
            if plan.route in ("iv", "intranasal"):
                return plan, rule, plan.route
        except (TypeError, ValueError):
            pass
    return None, DEMO_IV_RULE, "iv"


def _chairs():
    from ketamine_clinic.scheduling.models import Chair

    chairs = list(Chair.objects.filter(active=True).order_by("name")[:4])
    if not chairs:
        chairs = [
            Chair.objects.get_or_create(name=f"Chair {n}", defaults={"room": "Infusion suite"})[0]
            for n in (1, 2, 3)
        ]
    return chairs


def _session(
    clinic,
    patient,
    when,
    *,
    nurse,
    prescriber,
    chair,
    alert=False,
    nausea=False,
    state="discharged",
    dosing=None,
    appointment=None,
):
    """One session as the flowsheet would leave it in ``state``; ``dosing`` = (plan, rule, route) to use.

    ``state="stopped_early"`` stops the infusion ``STOPPED_AFTER_MIN`` minutes in; the delivered dose is then
    read from the pump's volume infused, as it is when an alert halves the rate (the infusion still ends at
    its planned time, so less than the confirmed dose goes in)."""
    rng = clinic.rng
    plan, rule, route = dosing or _rule_and_route(patient)
    weight = float(patient.weight_kg or 70)
    dose = plan_dose(rule, weight_kg=weight, route=route)
    session = DosingSession.objects.create(
        patient=patient,
        appointment=appointment,
        plan=plan,
        route=route,
        scheduled_for=when,
        chair=chair,
        nurse=nurse,
        prescriber=prescriber,
        dose_rule=dataclasses.asdict(rule),
        weight_kg=Decimal(str(round(weight, 1))),
        fasting_confirmed=True,
        escort_confirmed=True,
        escort_name="Demo escort",
        pregnancy_test="negative" if pregnancy_test_applicable(patient.sex, patient.age or 0) else "",
        pre_dose_checked_by=nurse,
        pre_dose_checked_at=when + dt.timedelta(minutes=5),
        dose_mg=Decimal(str(round(dose.dose_mg, 2))),
        dose_calculation=dose_calculation_of(dose),
        pump_rate_ml_per_h=Decimal(str(dose.infusion.pump_rate_ml_per_h)) if dose.infusion else None,
        dose_confirmed_by=nurse,
        dose_confirmed_at=when + dt.timedelta(minutes=10),
    )
    steps = [
        ("scheduled", "checked_in", 0),
        ("checked_in", "pre_dose_checks", 3),
        ("pre_dose_checks", "dosing", 12),
    ]
    duration = int(rule.infusion_duration_min or 10)
    stopped = state == "stopped_early"
    end = 12 + (STOPPED_AFTER_MIN if stopped else duration)
    # Observe at least the route's minimum (2 h for esketamine per the label) before discharge.
    observe = MIN_OBSERVATION_MIN[route]
    if stopped:
        steps += [("dosing", "stopped_early", end)]
    else:
        steps += [("dosing", "monitoring", end), ("monitoring", "ready_for_discharge", end + observe)]
        steps += [("ready_for_discharge", "discharged", end + observe + 5)]
    order = [
        "scheduled",
        "checked_in",
        "pre_dose_checks",
        "dosing",
        "monitoring",
        "ready_for_discharge",
        "discharged",
    ]
    stop_at = 4 if stopped else order.index(state)  # stopped early: the dose has been given, as in monitoring
    for src, dst, minute in steps:
        if dst != "stopped_early" and order.index(dst) > stop_at:
            break
        SessionEvent.objects.create(
            session=session,
            from_state=src,
            to_state=dst,
            at=when + dt.timedelta(minutes=minute),
            by=nurse,
            reason=STOPPED_REASON if dst == "stopped_early" else "",
        )
    session.state = state
    if stopped:
        session.end_reason = STOPPED_REASON
    session.checked_in_at = when if stop_at >= 1 else None
    if stop_at < 3:  # dose not confirmed yet
        session.dose_mg = session.dose_calculation = session.pump_rate_ml_per_h = None
        session.dose_confirmed_by = session.dose_confirmed_at = None
    if stop_at < 2:
        session.pre_dose_checked_by = session.pre_dose_checked_at = session.weight_kg = None
        session.fasting_confirmed = session.escort_confirmed = None
    session.dosing_started_at = when + dt.timedelta(minutes=12) if stop_at >= 3 else None
    session.dosing_ended_at = when + dt.timedelta(minutes=end) if stop_at >= 4 else None
    session.discharged_at = when + dt.timedelta(minutes=end + observe + 5) if stop_at >= 6 else None
    if stopped:
        observe = 20  # left 20 minutes after the infusion was stopped
    session.state_changed_at = when
    session.version = stop_at + 1
    session.save()
    base = VitalSigns(
        sbp=rng.randint(112, 134), dbp=rng.randint(70, 84), hr=rng.randint(62, 84), spo2=98, rr=14
    )
    slowed_at = None  # minute at which an alert halved the infusion rate
    # Baseline at 8 min, then readings every 10 (IV) or 15 min until just before discharge.
    minutes = [8] + list(range(22, end + observe + 5, 10 if route == "iv" else 15))
    for i, minute in enumerate(minutes):
        at = when + dt.timedelta(minutes=minute)
        if at > clinic.now:
            break
        rise = 0 if i == 0 else max(0, 18 - abs(minute - 40) // 2)
        v = VitalSigns(
            sbp=base.sbp + rise + rng.randint(-3, 3),
            dbp=base.dbp + rise // 2,
            hr=base.hr + rise // 3,
            spo2=rng.choice([97, 98, 99]),
            rr=14,
        )
        if alert and i == 3:
            v = dataclasses.replace(v, sbp=186, dbp=104)
        alerts = [a.message for a in vitals_alerts(v)]
        VitalsReading.objects.create(
            session=session,
            entered_by=nurse,
            idempotency_key=f"seed-{i}",
            taken_at=at,
            is_baseline=(i == 0),
            alerts=alerts,
            alert_acknowledged_by=nurse if alerts and state == "discharged" else None,
            alert_acknowledged_at=at + dt.timedelta(minutes=1) if alerts and state == "discharged" else None,
            **{k: int(val) for k, val in dataclasses.asdict(v).items()},
        )
        if alerts and not slowed_at:
            # An infusion can be slowed; a nasal dose already given cannot, so the nurse reassures and rechecks.
            if route == "iv" and minute + 1 < end:
                slowed_at = minute + 1
            Intervention.objects.create(
                session=session,
                entered_by=nurse,
                idempotency_key="seed-rate",
                given_at=at + dt.timedelta(minutes=1),
                kind="rate_reduced" if route == "iv" else "reassurance",
                new_rate_ml_per_h=(session.pump_rate_ml_per_h or Decimal("150")) / 2
                if route == "iv"
                else None,
                note="BP above alert threshold; prescriber informed",
            )
            SideEffect.objects.create(
                session=session,
                entered_by=nurse,
                idempotency_key="seed-bp",
                onset_at=at,
                kind="elevated_bp",
                severity="moderate",
            )
    if nausea and stop_at >= 3:
        at = when + dt.timedelta(minutes=35)
        SideEffect.objects.create(
            session=session,
            entered_by=nurse,
            idempotency_key="seed-nausea",
            onset_at=at,
            kind="nausea",
            severity="mild",
        )
        Intervention.objects.create(
            session=session,
            entered_by=nurse,
            idempotency_key="seed-antiemetic",
            given_at=at + dt.timedelta(minutes=2),
            kind="antiemetic",
            medication="ondansetron",
            dose_text="4 mg IV",
        )
    if stopped:
        Intervention.objects.create(
            session=session,
            entered_by=nurse,
            idempotency_key="seed-stop",
            given_at=when + dt.timedelta(minutes=end),
            kind="infusion_stopped",
            note="Patient asked to stop",
        )
    if stop_at >= 4:
        _record_delivered(session, end=end, slowed_at=slowed_at)
    if state == "discharged":
        DischargeChecklist.objects.create(
            session=session,
            alert_and_oriented=True,
            steady_gait=True,
            nausea_controlled=True,
            escort_present=True,
            escort_name="Demo escort",
            updated_by=nurse,
        )
    if state in ("discharged", "stopped_early"):
        closed_at = session.discharged_at or session.dosing_ended_at + dt.timedelta(minutes=observe)
        SessionNote.objects.create(
            session=session,
            body=compose_note(session),
            generated_at=closed_at,
            generated_by=nurse,
            signed_by=prescriber,
            signed_at=closed_at,
        )
    return session


def _record_delivered(session, *, end: int, slowed_at: int | None):
    """The delivered dose when dosing ended, read as the nurse reads it (core.administration.delivery): for an
    infusion that was slowed or stopped, the pump's volume infused at the rate it ran; otherwise all of it."""
    given = {}
    if session.route == "iv" and (slowed_at or session.state == "stopped_early"):
        rate = float(session.pump_rate_ml_per_h)
        full = (slowed_at or end) - 12
        halved = end - slowed_at if slowed_at else 0
        bag = float(session.dose_calculation["bag_volume_ml"])
        volume = min(bag, rate * full / 60 + rate / 2 * halved / 60)
        given["volume_infused_ml"] = Decimal(str(round(volume, 1)))
    delivery = delivered_dose(
        route=session.route,
        confirmed_mg=session.dose_mg,
        completed=session.state != "stopped_early",
        bag_volume_ml=(session.dose_calculation or {}).get("bag_volume_ml"),
        **given,
    )
    session.delivered_mg, session.delivery_basis = delivery.delivered_mg, delivery.basis
    session.save(update_fields=["delivered_mg", "delivery_basis"])


# Titrated demo plans went up after this many doses at the first version's dose (the plans seed's reason:
# "No response after two infusions"; step-up after early non-response as in Cusin et al. 2017).
TITRATED_AFTER_DOSES = 2
# Minutes from a dosing visit's start to discharge: preparation, dose, observation (see _session).
BOARD_OFFSETS_MIN = [70, 30, 10, -45]  # today's board: monitoring, dosing, pre-dose checks, still to come
BOARD_STATES = ["monitoring", "dosing", "pre_dose_checks", "scheduled"]


def _state_at(route, rule, elapsed_min: float) -> str:
    """The state a visit that started ``elapsed_min`` ago is in (same timings as _session)."""
    end = 12 + int(rule.infusion_duration_min or 10)
    observe = MIN_OBSERVATION_MIN[route]
    for state, until in (
        ("checked_in", 3),
        ("pre_dose_checks", 12),
        ("dosing", end),
        ("monitoring", end + observe),
        ("ready_for_discharge", end + observe + 5),
    ):
        if elapsed_min < until:
            return state
    return "discharged"


def _plan_doses(plan, now):
    """(when, appointment) of every dose of ``plan`` given before ``now``.

    Active plans: the completed dosing appointments the scheduling seed booked from the plan. A completed
    plan (discharged patient) has no appointments, so its course is the plan's template schedule from its
    start date (the same core schedule the scheduling app books from), all of it in the past.
    """
    from ketamine_clinic.scheduling.models import Appointment

    if plan.status == "active":
        appointments = Appointment.objects.filter(
            plan=plan, kind="dosing", status__in=["completed", "checked_in"], starts_at__lt=now
        ).order_by("starts_at")
        return [(a.starts_at, a) for a in appointments]
    if plan.start_date is None:
        return []
    from ketamine_clinic.core.protocols import schedule as core_schedule

    slots = core_schedule.generate(
        plan.template(),
        plan.start_date,
        time_of_day=plan.session_time,
        tz=timezone.get_current_timezone(),
        phase_changes=plan.phase_changes or None,
        include_integration=False,
        include_assessments=False,
    )
    return [(slot.starts_at, None) for slot in slots if slot.starts_at < now]


def _dosing_by_number(plan):
    """dose number (1-based) -> (plan, rule, route): a titrated plan's first doses used version 1's amount."""
    current = plan.dose_rule()
    first = plan.versions.order_by("number").first()
    early = current
    if first is not None and plan.version > 1:
        amount = first.data.get("dose_amount")
        if amount is not None and float(amount) != current.amount:
            early = dataclasses.replace(current, amount=float(amount))

    def pick(number):
        rule = early if number <= TITRATED_AFTER_DOSES else current
        return plan, rule, plan.route

    return pick


def _fallback_doses(patient, n, now):
    """Dose times for a patient without a plan: induction Mon/Wed/Fri-like every 2-3 days (Murrough et al.
    2013: six infusions over 12 days), then boosters; part of the series for induction patients."""
    induction = [0, 2, 4, 7, 9, 11]
    if patient.phase == Phase.INDUCTION:
        count = 2 + n % 4
        first = now - dt.timedelta(days=3 + induction[count - 1])
        days = induction[:count]
    else:
        ago = 40 + 6 * (n % 8) if patient.phase == Phase.MAINTENANCE else 150 + 10 * (n % 10)
        first = now - dt.timedelta(days=ago)
        days = (
            induction
            + [11 + 7 * j for j in (1, 2)]
            + [25 + 14 * j for j in (1, 2)]
            + [53 + 28 * j for j in (1, 2, 3)]
        )
    first = timezone.localtime(first).replace(hour=9 + (n % 4) * 2, minute=0, second=0, microsecond=0)
    times = [first + dt.timedelta(days=d) for d in days]
    return [t for t in times if t < now - dt.timedelta(days=2)]


def _board_patients(active, now, count):
    """Patients due a dose today: induction patients part-way through their series, or maintenance patients
    whose last booster was at least a week ago; none with a dosing appointment or session within the
    minimum interval (48 h in every demo template, core.protocols.templates) of today's board times."""
    from ketamine_clinic.scheduling.models import Appointment

    gap = dt.timedelta(hours=48)
    times = [now - dt.timedelta(minutes=m) for m in BOARD_OFFSETS_MIN]
    lo, hi = min(times) - gap, max(times) + gap
    chosen = []
    for patient in active:
        past = DosingSession.objects.filter(patient=patient, scheduled_for__lt=now).order_by("-scheduled_for")
        last = past.values_list("scheduled_for", flat=True).first()
        if patient.phase == Phase.INDUCTION:
            due = past.count() < 6  # induction = six doses (Murrough et al. 2013)
        else:
            due = last is None or now - last >= dt.timedelta(days=7)
        busy = (
            Appointment.objects.filter(patient=patient, kind="dosing", starts_at__gt=lo, starts_at__lt=hi)
            .exclude(status="cancelled")
            .exists()
            or DosingSession.objects.filter(
                patient=patient, scheduled_for__gt=lo, scheduled_for__lt=hi
            ).exists()
        )
        if due and not busy:
            chosen.append(patient)
        if len(chosen) == count:
            break
    return chosen


def _on_team(patient, staff, turn: int):
    """A member of ``staff`` on the patient's care team (taking turns when several are), so whoever runs or
    signs the session can open the chart; the first of ``staff`` if none is on the team."""
    team = [u for u in staff if patient.care_team.filter(pk=u.pk).exists()]
    return team[turn % len(team)] if team else staff[0]


def seed(clinic):
    """Every past dose of every demo plan as a completed session, plus today's board.

    Induction patients have the part of their series booked before today (some mid-series), maintenance
    patients a finished induction followed by boosters, discharged patients a completed course. Doses follow
    each patient's plan (and its titration) and weight; the appointments already respect the minimum interval.
    """
    if Observation.objects.filter(idempotency_key=MARKER).exists():
        return
    from ketamine_clinic.plans.models import TreatmentPlan

    prescribers = clinic.staff["prescriber"]
    nurses = clinic.staff["nurse"]
    chairs = _chairs()
    first = stopped = None
    now = clinic.now
    treated = [
        p for p in clinic.patients if p.phase in (Phase.INDUCTION, Phase.MAINTENANCE, Phase.DISCHARGED)
    ]
    for n, patient in enumerate(treated):
        plan = (
            TreatmentPlan.objects.filter(patient=patient, status__in=["active", "completed"])
            .order_by("-created_at")
            .first()
        )
        if plan is None:  # seeded without the plans app: a synthetic course on the demo order
            fixed = _rule_and_route(patient)
            doses = [(when, None) for when in _fallback_doses(patient, n, now)]

            def dosing(number, fixed=fixed):
                return fixed
        else:
            dosing = _dosing_by_number(plan)
            doses = _plan_doses(plan, now)
        for k, (when, appointment) in enumerate(doses):
            plan_, rule, route = dosing(k + 1)
            state = _state_at(route, rule, (now - when).total_seconds() / 60)
            # One past IV infusion (a third dose, no alert or nausea planned for it) was stopped early.
            if stopped is None and state == "discharged" and route == "iv" and k == 2 and n % 3 != 0:
                state = "stopped_early"
            s = _session(
                clinic,
                patient,
                when,
                nurse=_on_team(patient, nurses, k),
                prescriber=_on_team(patient, prescribers, 0),
                chair=(appointment.chair if appointment and appointment.chair else chairs[n % len(chairs)]),
                alert=(k == 1 and n % 4 == 1),
                nausea=(k == 2 and n % 3 == 0),
                state=state,
                dosing=(plan_, rule, route),
                appointment=appointment,
            )
            if appointment is not None and state not in ("discharged", "stopped_early"):
                appointment.status = "checked_in"  # still in the chair: not completed yet
                appointment.save(update_fields=["status"])
            first = first or s
            if state == "stopped_early":
                stopped = s
    # Today's board: a few sessions in progress and one still to come, for patients due no dose nearby.
    active = [p for p in clinic.patients if p.phase in (Phase.INDUCTION, Phase.MAINTENANCE)]
    # The first demo nurse's patients first, so the `nurse` login finds the live sessions on the board.
    active.sort(key=lambda p: not p.care_team.filter(pk=nurses[0].pk).exists())
    for i, patient in enumerate(_board_patients(active, now, len(BOARD_STATES))):
        started = now - dt.timedelta(minutes=BOARD_OFFSETS_MIN[i])
        _session(
            clinic,
            patient,
            started,
            nurse=_on_team(patient, nurses, 0),
            prescriber=_on_team(patient, prescribers, 0),
            chair=chairs[i % len(chairs)],
            alert=(i == 0),
            state=BOARD_STATES[i],
        )
    if first is not None:
        Observation.objects.create(
            session=first,
            entered_by=nurses[0],
            idempotency_key=MARKER,
            at=first.scheduled_for,
            text="Synthetic demo session.",
        )
