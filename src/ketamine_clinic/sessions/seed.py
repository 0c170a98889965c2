"""Demo dosing sessions (synthetic): completed sessions for induction and maintenance patients, some with
vitals alerts, side effects and interventions, signed notes, plus today's board with sessions in progress.

Idempotent: a marker observation (key ``demo-seed``) on the first seeded session means "already seeded".
"""

import dataclasses
import datetime as dt
from decimal import Decimal

from django.utils import timezone

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
from .services import compose_note

MARKER = "demo-seed"
# Demo fallback order when a patient has no plan: 0.5 mg/kg over 40 min (Berman et al. 2000), 50 mg/mL stock.
DEMO_IV_RULE = DoseRule("mg_per_kg", 0.5, 0.25, 1.0, infusion_duration_min=40, concentration_mg_per_ml=50)
DEMO_NASAL_RULE = DoseRule("fixed_mg", 56, 28, 84, drug="esketamine")


def _rule_and_route(patient):
    try:
        from ketamine_clinic.plans.services import current_plan

        plan = current_plan(patient)
    except ImportError:
        plan = None
    if plan is not None and callable(getattr(plan, "dose_rule", None)):
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
    clinic, patient, when, *, nurse, prescriber, chair, alert=False, nausea=False, state="discharged"
):
    rng = clinic.rng
    plan, rule, route = _rule_and_route(patient)
    weight = float(patient.weight_kg or 70)
    dose = plan_dose(rule, weight_kg=weight, route=route)
    session = DosingSession.objects.create(
        patient=patient,
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
        consent_attested=True,
        eligibility_attested=True,
        measures_attested=["phq9", "cssrs"],
        pregnancy_test="negative" if pregnancy_test_applicable(patient.sex, patient.age or 0) else "",
        pre_dose_checked_by=nurse,
        pre_dose_checked_at=when + dt.timedelta(minutes=5),
        dose_mg=Decimal(str(round(dose.dose_mg, 2))),
        dose_calculation={
            "lines": dose.infusion.double_check() if dose.infusion else [],
            "devices": dose.devices,
        },
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
    end = 12 + duration
    # Observe at least the route's minimum (2 h for esketamine per the label) before discharge.
    observe = MIN_OBSERVATION_MIN[route]
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
    stop_at = order.index(state)
    for src, dst, minute in steps:
        if order.index(dst) > stop_at:
            break
        SessionEvent.objects.create(
            session=session, from_state=src, to_state=dst, at=when + dt.timedelta(minutes=minute), by=nurse
        )
    session.state = state
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
    session.state_changed_at = when
    session.version = stop_at + 1
    session.save()
    base = VitalSigns(
        sbp=rng.randint(112, 134), dbp=rng.randint(70, 84), hr=rng.randint(62, 84), spo2=98, rr=14
    )
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
        if alerts:
            # An infusion can be slowed; a nasal dose already given cannot, so the nurse reassures and rechecks.
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
        SessionNote.objects.create(
            session=session,
            body=compose_note(session),
            generated_at=session.discharged_at,
            generated_by=nurse,
            signed_by=prescriber,
            signed_at=session.discharged_at,
        )
    return session


def seed(clinic):
    if Observation.objects.filter(idempotency_key=MARKER).exists():
        return
    prescriber = clinic.staff["prescriber"][0]
    nurses = clinic.staff["nurse"]
    chairs = _chairs()
    first = None
    now = clinic.now
    active = [p for p in clinic.patients if p.phase in (Phase.INDUCTION, Phase.MAINTENANCE)]
    for n, patient in enumerate(active):
        past = 3 if patient.phase == Phase.INDUCTION else 2
        for k in range(past):
            when = timezone.localtime(now - dt.timedelta(days=3 + 4 * k + n % 3)).replace(
                hour=9 + (n % 4) * 2, minute=0, second=0, microsecond=0
            )
            s = _session(
                clinic,
                patient,
                when,
                nurse=nurses[n % len(nurses)],
                prescriber=prescriber,
                chair=chairs[n % len(chairs)],
                alert=(k == 0 and n % 4 == 1),
                nausea=(k == 1 and n % 3 == 0),
            )
            first = first or s
    # Today's board: a few sessions in progress and one still to come.
    today_states = ["monitoring", "dosing", "pre_dose_checks", "scheduled"]
    for i, (patient, state) in enumerate(zip(active[:4], today_states, strict=False)):
        started = now - dt.timedelta(minutes=[70, 30, 10, -45][i])
        _session(
            clinic,
            patient,
            started,
            nurse=nurses[i % len(nurses)],
            prescriber=prescriber,
            chair=chairs[i % len(chairs)],
            alert=(i == 0),
            state=state,
        )
    if first is not None:
        Observation.objects.create(
            session=first,
            entered_by=nurses[0],
            idempotency_key=MARKER,
            at=first.scheduled_for,
            text="Synthetic demo session.",
        )
