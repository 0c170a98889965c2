"""Demo dosing sessions (synthetic), run through the flowsheet's own services, dose by dose.

Every past dosing visit the scheduling seed booked becomes a session that the patient's nurse walks as she would
on the flowsheet: check-in, baseline vitals, pre-dose checks (the PHQ-9 and C-SSRS the outcomes seed scored before
the dose), the dose confirmed with a second checker and drawn from the stock lot, dosing, readings (some raising
an alert, answered by slowing the infusion), side effects, the end of dosing with the dose delivered, observation
for the route's minimum, the discharge checklist, discharge, the remainder wasted with a witness, and the note
generated and signed. So the demo's data are ones a real clinic could have: ``ketamine-clinic verify`` passes on it.
Today's board adds a few visits still in progress. A discharged patient's plan is completed after its last dose.

Idempotent: a marker observation (key ``demo-seed``) on the first seeded session means "already seeded".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.core.administration.predose import pregnancy_test_applicable
from ketamine_clinic.core.administration.rems_form import MIN_MONITORING_MIN
from ketamine_clinic.core.administration.vitals import VitalSigns
from ketamine_clinic.core.pharmacology.dosing import plan_dose
from ketamine_clinic.core.protocols.routes import rules_for
from ketamine_clinic.inventory import services as inventory
from ketamine_clinic.inventory.models import Lot
from ketamine_clinic.outcomes import services as outcomes
from ketamine_clinic.outcomes.models import UrgentTask
from ketamine_clinic.patients.models import Phase
from ketamine_clinic.plans import services as plans
from ketamine_clinic.plans.models import TreatmentPlan
from ketamine_clinic.scheduling import services as scheduling
from ketamine_clinic.scheduling.models import Appointment
from ketamine_clinic.sessions import custody, services
from ketamine_clinic.sessions.models import DissociationScore, Intervention, Observation, SideEffect

from .inventory import receive_stock
from .registry import DEMO_PASSWORD

MARKER = "demo-seed"
# The one past IV session stopped early: the patient asked to stop this many minutes into the infusion and left
# (with the escort, against advice) after a short observation.
STOPPED_AFTER_MIN = 20
STOPPED_REASON = (
    "Infusion stopped at the patient's request (distressing dissociation); patient declined further "
    "observation and left with escort against advice"
)
# Minutes from the visit's start: check-in 0, pre-dose 3, weight and checks 5, baseline 8, dose 10, dosing 12.
DOSING_AT = 12
# Today's board: visits that started this many minutes ago (negative: still to come), and how far they got.
BOARD_OFFSETS_MIN = [80, 30, 6, -45]
BOARD_STATES = ["monitoring", "dosing", "pre_dose_checks", "scheduled"]
# Titrated demo plans went up after this many doses at the first version's dose (the plans seed's reason:
# "No response after two infusions"; step-up after early non-response as in Cusin et al. 2017).
TITRATED_AFTER_DOSES = 2
NOT_GIVEN = ("cancelled", "no_show")
SKIPPED: list[str] = []  # visits the services refused while seeding (left booked), for the seed's tests


class Walk:
    """One visit walked through the services on the clinic's clock (``at(minutes)`` after it started)."""

    def __init__(self, clinic, session, *, nurse, checker, prescriber, witness):
        self.clinic, self.session = clinic, session
        self.nurse, self.checker, self.prescriber, self.witness = nurse, checker, prescriber, witness
        self.start = session.scheduled_for
        self.keys = 0

    def at(self, minutes: float) -> dt.datetime:
        return self.start + dt.timedelta(minutes=minutes)

    def key(self, name: str) -> str:
        self.keys += 1
        return f"seed-{name}-{self.keys}"

    def move(self, target: str, minutes: float, user=None, **kwargs):
        s = self.session
        services.transition(s, target, user=user or self.nurse, version=s.version, now=self.at(minutes), **kwargs)

    def reading(self, minutes: float, vitals: VitalSigns, baseline: bool = False):
        row, _ = services.record_reading(
            self.session,
            user=self.nurse,
            idempotency_key=self.key("vitals"),
            values=dataclasses.asdict(vitals),
            taken_at=self.at(minutes),
            is_baseline=baseline,
        )
        return row


def _dose_rule(plan, number):
    """The order for dose ``number`` (1-based): a titrated plan's first doses used version 1's amount."""
    current = plan.dose_rule()
    first = plan.versions.order_by("number").first()
    if number <= TITRATED_AFTER_DOSES and first is not None and plan.version > 1:
        amount = first.data.get("dose_amount")
        if amount is not None and float(amount) != current.amount:
            return dataclasses.replace(current, amount=float(amount))
    return current


def _end_minute(route, rule, stopped: bool) -> int:
    return DOSING_AT + (STOPPED_AFTER_MIN if stopped else int(rule.infusion_duration_min or 10))


def _state_at(route, rule, elapsed_min: float) -> str:
    """The furthest state a visit that started ``elapsed_min`` ago has reached (the walk's own timings)."""
    end = _end_minute(route, rule, False)
    observe = rules_for(route).min_observation_min
    for state, until in (
        ("scheduled", 0),
        ("checked_in", 3),
        ("pre_dose_checks", DOSING_AT),
        ("dosing", end),
        ("monitoring", end + observe),
        ("ready_for_discharge", end + observe + 5),
    ):
        if elapsed_min < until:
            return state
    return "discharged"


ORDER = ["scheduled", "checked_in", "pre_dose_checks", "dosing", "monitoring", "ready_for_discharge", "discharged"]


def _walk(clinic, walk: Walk, rule, *, state: str, lot, alert=False, nausea=False):
    """Walk the session to ``state`` (or stop it early: ``state="stopped_early"``) through the services."""
    route = walk.session.route
    stopped = state == "stopped_early"
    reach = ORDER.index("monitoring") if stopped else ORDER.index(state)
    if reach < ORDER.index("checked_in"):
        return
    walk.move("checked_in", 0)
    if reach < ORDER.index("pre_dose_checks"):
        return
    walk.move("pre_dose_checks", 3)
    base = _pre_dose(clinic, walk)
    if reach < ORDER.index("dosing"):
        return
    _confirm_and_draw(walk, rule, lot)
    walk.move("dosing", DOSING_AT)
    end = _end_minute(route, rule, stopped)
    observe = 20 if stopped else rules_for(route).min_observation_min  # stopped early: left after 20 min
    slowed_at = _monitor(clinic, walk, rule, base, reach=reach, end=end, observe=observe, stopped=stopped,
                         alert=alert, nausea=nausea)
    if reach < ORDER.index("monitoring"):
        return
    if walk.session.state == "dosing":  # no reading fell just before the end (short administrations)
        _end_dosing(walk, rule, end=end, slowed_at=slowed_at, stopped=stopped)
    if stopped:
        _close(walk, lot, closed=end + observe)
        return
    if reach < ORDER.index("ready_for_discharge"):
        return
    _ready_for_discharge(walk, end + observe)
    if reach < ORDER.index("discharged"):
        return
    walk.move("discharged", end + observe + 5)
    _close(walk, lot, closed=end + observe + 5)


def _pre_dose(clinic, walk: Walk) -> VitalSigns:
    """The pre-dose checks (weight, fasting, escort, pregnancy test where it applies) and baseline vitals."""
    rng = clinic.rng
    s = walk.session
    patient = s.patient
    services.save_pre_dose(
        s,
        {
            "weight_kg": patient.weight_kg,
            "fasting_confirmed": True,
            "escort_confirmed": True,
            "escort_name": "Demo escort",
            "pregnancy_test": "negative" if pregnancy_test_applicable(patient.sex, patient.age or 0) else "",
        },
        user=walk.nurse,
        version=s.version,
        now=walk.at(5),
    )
    base = VitalSigns(sbp=rng.randint(112, 134), dbp=rng.randint(70, 84), hr=rng.randint(62, 84), spo2=98, rr=14)
    walk.reading(8, base, baseline=True)
    return base


def _confirm_and_draw(walk: Walk, rule, lot) -> None:
    """The dose from the order at today's weight, confirmed by a second checker and drawn from ``lot``."""
    s = walk.session
    dose = plan_dose(rule, weight_kg=float(s.patient.weight_kg or 70), route=s.route)
    services.record_dose(
        s,
        dose_mg=round(dose.dose_mg, 2),
        user=walk.nurse,
        lot_id=lot.pk,
        second_checker=walk.checker,
        second_checker_password=DEMO_PASSWORD,
        expected_version=s.version,
        now=walk.at(10),
    )


def _monitor(clinic, walk: Walk, rule, base: VitalSigns, *, reach: int, end: int, observe: int, stopped: bool,
             alert: bool, nausea: bool) -> int | None:
    """Readings every ``vitals.during_min`` from dosing through observation (none after the clinic's now),
    with the alert answered and the nausea treated; dosing ends at ``end``. Returns the minute the infusion
    was slowed, if it was."""
    step = rules_for(walk.session.route).vitals.during_min
    slowed_at = None
    for i, minute in enumerate(range(DOSING_AT + step, end + observe + 5, step)):
        if walk.at(minute) > clinic.now or (reach == ORDER.index("dosing") and minute >= end):
            break
        row = walk.reading(minute, _vitals(clinic.rng, base, minute, raised=alert and i == 2))
        if row.alerts:
            slowed_at = _answer_alert(walk, row, minute, end=end, slowed_at=slowed_at)
        if nausea and minute == DOSING_AT + 2 * step:
            _treat_nausea(walk, minute)
        _chart_dissociation(walk, minute, step)
        if minute + step >= end and minute < end and reach >= ORDER.index("monitoring"):
            _end_dosing(walk, rule, end=end, slowed_at=slowed_at, stopped=stopped)
            if stopped:
                break  # the patient has left: the flowsheet takes no more entries
    return slowed_at


# The nurse's CADSS at the chair: near the peak (about 40 minutes into the dose) and once it has passed (90).
CADSS_PEAK_AT, CADSS_RESOLVED_AT = 40, 90


def _chart_dissociation(walk: Walk, minute: int, step: int) -> None:
    """A dissociation total at the first reading on or after each CADSS time; the peak varies by session (its id,
    so the seed's random sequence is not disturbed)."""
    since_dose = minute - DOSING_AT
    for at, total in ((CADSS_PEAK_AT, 4 + walk.session.pk * 7 % 17), (CADSS_RESOLVED_AT, 0)):
        if since_dose - step < at <= since_dose:
            services.add_entry(
                DissociationScore, walk.session, user=walk.nurse, idempotency_key=walk.key("cadss"),
                taken_at=walk.at(minute), total=total,
            )


def _vitals(rng, base: VitalSigns, minute: int, *, raised: bool) -> VitalSigns:
    """The reading ``minute`` into the visit: blood pressure rising to a peak around minute 40 (``raised``: a
    reading above the alert threshold)."""
    rise = max(0, 18 - abs(minute - 40) // 2)
    v = VitalSigns(
        sbp=base.sbp + rise + rng.randint(-3, 3), dbp=base.dbp + rise // 2, hr=base.hr + rise // 3,
        spo2=rng.choice([97, 98, 99]), rr=14,
    )
    return dataclasses.replace(v, sbp=186, dbp=104) if raised else v


def _answer_alert(walk: Walk, row, minute: int, *, end: int, slowed_at: int | None) -> int | None:
    """The nurse acknowledges the alert and acts on it; returns when the infusion was slowed (if it was)."""
    s = walk.session
    services.acknowledge_alert(row, user=walk.nurse, now=walk.at(minute + 1))
    # An infusion can be slowed; a nasal dose already given cannot, so the nurse reassures and rechecks.
    if s.route == "iv" and minute + 1 < end and not slowed_at:
        slowed_at = minute + 1
    services.add_entry(
        Intervention, s, user=walk.nurse, idempotency_key=walk.key("alert"), given_at=walk.at(minute + 1),
        kind="rate_reduced" if s.route == "iv" else "reassurance",
        new_rate_ml_per_h=(s.pump_rate_ml_per_h or Decimal("150")) / 2 if s.route == "iv" else None,
        note="BP above alert threshold; prescriber informed",
    )
    services.add_entry(
        SideEffect, s, user=walk.nurse, idempotency_key=walk.key("bp"), onset_at=walk.at(minute),
        kind="elevated_bp", severity="moderate",
    )
    return slowed_at


def _treat_nausea(walk: Walk, minute: int) -> None:
    s = walk.session
    services.add_entry(
        SideEffect, s, user=walk.nurse, idempotency_key=walk.key("nausea"), onset_at=walk.at(minute),
        kind="nausea", severity="mild",
    )
    services.add_entry(
        Intervention, s, user=walk.nurse, idempotency_key=walk.key("antiemetic"),
        given_at=walk.at(minute + 1), kind="antiemetic", medication="ondansetron", dose_text="4 mg IV",
    )


def _ready_for_discharge(walk: Walk, minute: int) -> None:
    """Observation over: ready for discharge, with the discharge checklist filled in."""
    walk.move("ready_for_discharge", minute)
    services.save_discharge_checklist(
        walk.session,
        {"alert_and_oriented": True, "steady_gait": True, "nausea_controlled": True, "escort_present": True,
         "escort_name": "Demo escort"},
        user=walk.nurse,
    )


def _end_dosing(walk: Walk, rule, *, end: int, slowed_at: int | None, stopped: bool):
    """Leave dosing with the dose delivered as the nurse reads it: for an infusion slowed or stopped, the pump's
    volume infused at the rate it ran; otherwise the whole dose (the form's empty field)."""
    s = walk.session
    given = {}
    if s.route == "iv" and (slowed_at or stopped):
        rate = float(s.pump_rate_ml_per_h)
        full = (slowed_at or end) - DOSING_AT
        halved = end - slowed_at if slowed_at else 0
        bag = float(s.dose_calculation["bag_volume_ml"])
        given["volume_infused_ml"] = Decimal(str(round(min(bag, rate * full / 60 + rate / 2 * halved / 60), 1)))
    if stopped:
        services.add_entry(
            Intervention, s, user=walk.nurse, idempotency_key=walk.key("stop"), given_at=walk.at(end),
            kind="infusion_stopped", note="Patient asked to stop",
        )
        walk.move("stopped_early", end, reason=STOPPED_REASON, **given)
    else:
        walk.move("monitoring", end, **given)


def _close(walk: Walk, lot, *, closed: int):
    """After the patient left: the remainder wasted in front of a witness, the note generated and signed."""
    s = walk.session
    remainder = inventory.held_for_session(lot.pk, s.pk)
    if remainder > 0:
        custody.waste(
            actor=walk.nurse, witness=walk.witness, witness_password=DEMO_PASSWORD, lot=lot, quantity_mcg=remainder,
            reason="Unused remainder of single-patient vial" if s.route != "intranasal" else "Unused nasal device",
            session=s, occurred_at=walk.at(closed + 2), now=walk.at(closed + 2),
        )
    note = services.generate_note(s, user=walk.nurse, now=walk.at(closed + 3))
    if services.rems.needs_form(s):
        _answer_rems_form(walk, closed)
    services.sign_note(note, user=walk.prescriber, now=walk.at(closed + 10))
    # Forms of the last two days are still to be sent: the REMS work list has something on it.
    closed_on = timezone.localtime(walk.at(closed)).date()
    if services.rems.needs_form(s) and closed_on < timezone.localdate() - dt.timedelta(days=2):
        services.rems.record_submission(s, user=walk.nurse, submitted_on=closed_on,
                                        confirmation=f"DEMO-{s.pk:06d}")


def _answer_rems_form(walk: Walk, closed: int) -> None:
    """The nurse confirms the REMS form's answers as the chart suggests them; the prescriber takes the suggested
    evaluation answer (or the 2 hours observed, where the record supports no suggestion)."""
    s = walk.session
    initial = services.rems.prefill(s, charted=services.rems.charted_answers(s), hint=services.rems.suggestion(s))
    services.rems.save_answers(s, {**initial, "serious_adverse_event": False}, user=walk.nurse)
    minutes = initial["evaluation_minutes"] or MIN_MONITORING_MIN
    services.rems.confirm_evaluation(s, minutes, user=walk.prescriber, now=walk.at(closed + 8))


def _on_team(patient, staff, turn: int = 0):
    """A member of ``staff`` on the patient's care team (taking turns when several are)."""
    team = [u for u in staff if patient.care_team.filter(pk=u.pk).exists()]
    return team[turn % len(team)] if team else None


def _people(clinic, patient, turn):
    """Who runs the visit: the care team's nurse, a second checker, the prescriber who signs, a waste witness."""
    nurses, prescribers = clinic.staff["nurse"], clinic.staff["prescriber"]
    nurse = _on_team(patient, nurses, turn)
    prescriber = _on_team(patient, prescribers)
    if nurse is None or prescriber is None:
        return None
    others = [u for u in nurses + prescribers if u.pk != nurse.pk]
    return {"nurse": nurse, "checker": prescriber, "prescriber": prescriber, "witness": others[0]}


def _past_visits(clinic):
    """(appointment, dose number) of every dosing visit booked before now, in time order across patients."""
    visits = (
        Appointment.objects.filter(
            patient__in=clinic.patients, kind=Appointment.Kind.DOSING, starts_at__lt=clinic.now, plan__isnull=False
        )
        .exclude(status__in=NOT_GIVEN)
        .select_related("patient", "plan", "chair")
        .order_by("starts_at", "pk")
    )
    counts: dict[int, int] = {}
    out = []
    for a in visits:
        counts[a.patient_id] = counts.get(a.patient_id, 0) + 1
        out.append((a, counts[a.patient_id]))
    return out


def _lots():
    """The newest lot of each route's product, which every demo dose is drawn from."""
    lots = {}
    for route, drug in (("iv", "ketamine-50-10"), ("intranasal", "esketamine-28")):
        lots[route] = Lot.objects.filter(product__key=drug).order_by("-expires_on").first()
    return lots


def _run(clinic, appointment, number, *, state, alert=False, nausea=False, lots):
    people = _people(clinic, appointment.patient, number)
    if people is None:
        return None
    session, _ = services.session_for_appointment(appointment, user=people["nurse"])
    rule = _dose_rule(appointment.plan, number)
    walk = Walk(clinic, session, **people)
    _walk(clinic, walk, rule, state=state, lot=lots[session.route], alert=alert, nausea=nausea)
    return session


def _board_visits(clinic, lots):
    """Today's board: visits booked for patients due a dose now, none within their minimum interval of another."""
    nurses = clinic.staff["nurse"]
    active = [p for p in clinic.patients if p.phase in (Phase.INDUCTION, Phase.MAINTENANCE)]
    # The first demo nurse's patients first, so the `nurse` login finds the live sessions on the board.
    active.sort(key=lambda p: not p.care_team.filter(pk=nurses[0].pk).exists())
    booked = 0
    for patient in active:
        if booked == len(BOARD_STATES):
            break
        plan = plans.current_plan(patient)
        if plan is None or UrgentTask.objects.filter(patient=patient, acknowledged_at__isnull=True).exists():
            continue  # an open suicide-risk task holds dosing until the prescriber has seen the patient
        starts = (clinic.now - dt.timedelta(minutes=BOARD_OFFSETS_MIN[booked])).replace(second=0, microsecond=0)
        appointment = _book_today(nurses, patient, plan, starts)
        if appointment is not None and _walk_today(clinic, appointment, plan, booked, lots):
            booked += 1


def _book_today(nurses, patient, plan, starts):
    """Today's visit booked through scheduling: the first chair (then no chair) the rules allow, with the
    patient's nurse (then no one named); None if every booking is refused."""
    nurse = _on_team(patient, nurses)
    duration = plan.template().chair_minutes
    for chair in list(scheduling.chairs_for_route(plan.route)) + [None]:
        for staff in (nurse, None):
            try:
                with transaction.atomic():
                    return scheduling.book(
                        nurse or nurses[0], patient=patient, kind="dosing", starts_at=starts,
                        duration_min=duration, chair=chair, staff=staff, plan=plan, label="Today's visit",
                    )
            except ValidationError:
                continue
    return None


def _walk_today(clinic, appointment, plan, booked: int, lots) -> bool:
    """Walk today's ``booked``-th visit as far as it has got (BOARD_STATES); False if the services refused."""
    starts = appointment.starts_at
    number = plan.appointments.filter(kind="dosing", starts_at__lte=starts).exclude(status__in=NOT_GIVEN).count()
    try:
        with transaction.atomic():
            if starts + dt.timedelta(minutes=4) <= clinic.now:
                _measures_for_today(clinic, appointment)
            _run(clinic, appointment, number, state=BOARD_STATES[booked], alert=(booked == 0), lots=lots)
    except ValidationError as err:
        SKIPPED.append(f"board visit {appointment.pk}: {err.messages[0]}")
        return False
    return True


def _measures_for_today(clinic, appointment):
    """The board visits were booked after the outcomes seed: their pre-dose measures are taken at check-in."""

    nurse = clinic.staff["nurse"][0]
    when = min(appointment.starts_at + dt.timedelta(minutes=4), clinic.now)
    outcomes.record_measure_response(
        patient=appointment.patient, instrument="phq9", answers=[1, 1, 1, 1, 1, 1, 1, 1, 0], user=nurse,
        taken_at=when,
    )
    outcomes.record_measure_response(
        patient=appointment.patient, instrument="cssrs_screener", answers=[0, 0, None, None, None, 0, None],
        user=nurse, taken_at=when,
    )


def seed(clinic):
    """Every past dosing visit as a session walked through the services, then today's board."""
    if Observation.objects.filter(idempotency_key=MARKER).exists():
        return
    visits = _past_visits(clinic)
    if not visits:
        return
    receive_stock(clinic, before=visits[0][0].starts_at)
    lots = _lots()
    first = _past_sessions(clinic, visits, lots)
    _complete_discharged_plans(clinic)
    _board_visits(clinic, lots)
    if first is not None:
        Observation.objects.create(
            session=first, entered_by=clinic.staff["nurse"][0], idempotency_key=MARKER, at=first.scheduled_for,
            text="Synthetic demo session.",
        )


def _past_sessions(clinic, visits, lots):
    """Each past visit walked as far as it has got by now, one IV infusion stopped early; the first session
    given (None if none was)."""
    first = stopped = None
    for n, (appointment, number) in enumerate(visits):
        plan = appointment.plan
        rule = _dose_rule(plan, number)
        state = _state_at(plan.route, rule, (clinic.now - appointment.starts_at).total_seconds() / 60)
        # One past IV infusion (a third dose, no alert or nausea planned for it) was stopped early.
        if stopped is None and state == "discharged" and plan.route == "iv" and number == 3 and n % 3 != 0:
            state = "stopped_early"
        try:
            with transaction.atomic():
                s = _run(
                    clinic, appointment, number, state=state, lots=lots,
                    alert=(number == 2 and appointment.patient_id % 4 == 1),
                    nausea=(number == 3 and appointment.patient_id % 3 == 0),
                )
        except ValidationError as err:
            # A visit the rules refuse (e.g. the gate) is left as booked: the demo shows only what could happen.
            SKIPPED.append(f"visit {appointment.pk} not given: {err.messages[0]}")
            continue
        if s is None:
            continue
        first = first or s
        if s.state == "stopped_early":
            stopped = s
    return first


def _complete_discharged_plans(clinic) -> None:
    """Discharged patients' plans are completed after their last dose, as the prescriber records it."""
    for plan in TreatmentPlan.objects.filter(patient__in=clinic.patients, patient__phase=Phase.DISCHARGED,
                                             status=TreatmentPlan.Status.ACTIVE):
        plans.set_status(
            clinic.staff["prescriber"][0], plan, status="completed", reason="Course completed; remission sustained."
        )
