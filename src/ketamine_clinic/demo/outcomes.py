"""Synthetic score histories for the demo clinic, shaped like real ketamine courses.

Per patient (all numbers invented; shapes follow the pattern reported for IV ketamine in TRD - severe
baseline, a large drop within 24 h of the first infusions in responders, little change in non-responders,
and loss of response in some maintenance patients):
- screening: baseline PHQ-9, GAD-7 and C-SSRS screener only;
- induction / maintenance / discharged: baseline, 24 h after the first infusion, before infusions 3 and 5,
  two days after the sixth (end of induction), before every booster, then a between-visits self-report (or,
  once discharged, a week and a month after the last dose); MADRS at baseline and end of induction; CADSS
  during early infusions; GAD-7 and, for patients with PTSD, PCL-5 at the later check points.
Doses are the dosing visits the scheduling seed booked (the sessions seed, which runs after this one, gives each
of them through the flowsheet's services); before each, the pre-dose PHQ-9 and C-SSRS screener its gate needs.
Idempotent: if any demo patient already has an administration, nothing is added.
"""

from __future__ import annotations

import datetime as dt

from ketamine_clinic.core.instruments import INSTRUMENTS
from ketamine_clinic.outcomes import services
from ketamine_clinic.outcomes.models import MeasureResponse, UrgentTask
from ketamine_clinic.scheduling.models import Appointment

NOT_DOSED = services.NOT_DOSED_STATES


def _answers_for_total(inst, total: int, rng, fixed: dict[int, int] | None = None) -> list[int]:
    """Spread ``total`` over the items at random (fixed items kept), within each item's range."""
    fixed = fixed or {}
    answers = {it.number: fixed.get(it.number, it.min_value) for it in inst.items}
    free = [it for it in inst.items if it.number not in fixed]
    remaining = max(0, total - sum(answers.values()))
    cap = sum(it.max_value - answers[it.number] for it in free)
    remaining = min(remaining, cap)
    while remaining > 0:
        it = rng.choice([i for i in free if answers[i.number] < i.max_value])
        answers[it.number] += 1
        remaining -= 1
    return [answers[it.number] for it in inst.items]


# Course shapes by phase, assigned in turn so every demo shows each kind (synthetic):
# - responder: large drop within 24 h of the first infusions, continuing over the induction;
# - non_responder: little change (a maintenance one is due a prescriber review); - late: a slow partial improvement that becomes a response after the
#   titrated dose (maintenance patients whose plan was titrated); - stable: response held across boosters;
# - fading: response lost over the last weeks (above the response line again, loses >= half the gain);
# - relapse: response lost gradually after about six weeks (sooner in a shorter course).
PROFILES = {
    "induction": ["responder", "non_responder", "responder", "responder", "non_responder", "responder"],
    "maintenance": ["stable", "fading", "relapse", "responder", "non_responder", "fading", "stable"],
    "discharged": ["responder", "responder", "non_responder"],
}
FADING_DAYS = 21.0  # the fading profile loses its response over the last three weeks (synthetic shape)


def _profile(patient, index: int, titrated: bool) -> str:
    if patient.phase == "screening":
        return "screening"
    if titrated:
        return "late"
    cycle = PROFILES.get(patient.phase, PROFILES["discharged"])
    return cycle[index % len(cycle)]


def _fraction(profile: str, day: float, last_day: float, depth: float = 0.3) -> float:
    """Score as a fraction of baseline ``day`` days after the first infusion (``last_day`` = latest day).

    ``depth`` is a responder's best score as a fraction of baseline.
    """
    if profile == "non_responder":
        return 0.97 - 0.15 * min(day, 21) / 21
    if profile == "late":
        # Little change on the first dose; improves after titration, response by about day 30.
        return 0.9 if day <= 5 else max(0.38, 0.9 - 0.5 * (day - 5) / 25)
    # Responder: rapid drop within 24 h, continuing over the induction to the patient's best (``depth``; a
    # deep response is a remission), then holding (clinic-plausible synthetic shape).
    if day <= 1:
        f = 0.6
    elif day <= 12:
        f = 0.6 - (0.6 - depth) * (day - 1) / 11
    else:
        f = depth
    # Relapse begins about six weeks in, or three weeks before the latest score in a shorter course.
    onset = min(45.0, max(21.0, last_day - 21.0))
    if profile == "relapse" and day > onset:
        f = min(0.75, depth + (0.75 - depth) * (day - onset) / max(1.0, last_day - onset))
    if profile == "fading" and day > 28 and day > last_day - FADING_DAYS:
        f = depth + (0.68 - depth) * (day - (last_day - FADING_DAYS)) / FADING_DAYS
    return f


def _session_days(patient, start: dt.datetime, now: dt.datetime) -> list[dt.datetime]:
    """The patient's doses so far: the dosing visits booked from the plan (the sessions seed, which runs next,
    gives each of them), else a six-infusion induction assumed on the timeline."""
    real = list(
        Appointment.objects.filter(patient=patient, kind=Appointment.Kind.DOSING, starts_at__lte=now)
        .exclude(status__in=NOT_DOSED)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
    )
    if real:
        return real
    # Six infusions over about 2.5 weeks (Mon/Wed/Fri), then boosters every 4 weeks.
    offsets = [0, 2, 4, 7, 9, 11]
    days = [start + dt.timedelta(days=o) for o in offsets]
    t = days[-1] + dt.timedelta(days=28)
    while t < now - dt.timedelta(days=1):
        days.append(t)
        t += dt.timedelta(days=28)
    return [d for d in days if d < now]


# The pre-dose measures are taken this long before each dose (at check-in), so the nurse's gate finds them.
PRE_DOSE_LEAD = dt.timedelta(minutes=45)


def _time_points(sessions, phase, now, rng) -> list[tuple[dt.datetime, str]]:
    """(when, kind) of the PHQ-9s after the first dose, following the doses actually given.

    24 h after the first infusion; before infusions 3 and 5 and before every booster (the pre-dose measure
    the flowsheet attests); two days after the sixth dose (end of induction); then, for patients still in
    care, a between-visits self-report a few days after the latest dose; for discharged patients a week
    and a month after the last dose.
    """
    # Before every dose: the pre-dose PHQ-9 (with the C-SSRS screener) the flowsheet's gate requires.
    pre = [(s - PRE_DOSE_LEAD, "pre_induction" if k < 6 else "pre_booster") for k, s in enumerate(sessions)]
    points = [(sessions[0] + dt.timedelta(days=1), "day1")]
    if len(sessions) >= 6:
        points.append((sessions[5] + dt.timedelta(days=2), "post_induction"))
    last = sessions[-1]
    if phase == "discharged":
        points += [(last + dt.timedelta(days=7), "closing"), (last + dt.timedelta(days=35), "follow_up")]
    elif now - last > dt.timedelta(days=2):
        gap = min(dt.timedelta(days=rng.randint(2, 5)), (now - last) / 2)
        points.append((last + gap, "interim"))
    # One score per visit: a between-visits point within 12 h of a pre-dose measure gives way to it.
    points = [(w, k) for w, k in points if all(abs(w - p) >= dt.timedelta(hours=12) for p, _ in pre)]
    points += pre
    return sorted({w: k for w, k in points if w < now}.items())


# How many days before the demo's "now" each phase's course began (synthetic), drawn in this order.
COURSE_DAYS = {"induction": (4, 16), "maintenance": (60, 200), "discharged": (120, 300)}


class _Scores:
    """Records one demo score through the service: by the nurse, or self-reported by a patient with a login."""

    def __init__(self, clinic):
        self.nurse, self.now = clinic.staff["nurse"][0], clinic.now

    def add(self, patient, inst, answers, when, *, self_reported=False):
        return services.record_measure_response(
            patient=patient,
            instrument=inst.key,
            answers=answers,
            user=patient.user if self_reported else self.nurse,
            self_reported=self_reported and patient.user is not None,
            taken_at=min(when, self.now),
        )


def _cssrs(first: int) -> list[int | None]:
    """The demo's C-SSRS screener answers: ``first`` (the PHQ-9's item 9) for the first item, the others "no"
    or left unasked, as the screener's skip logic allows."""
    return [first, 0, None, None, None, 0, None]


def seed(clinic) -> None:
    patients = list(clinic.patients)
    if not patients or MeasureResponse.objects.filter(patient__in=patients).exists():
        return
    rng = clinic.rng
    scores = _Scores(clinic)
    in_phase: dict[str, int] = {}
    for patient in patients:
        index = in_phase.get(patient.phase, 0)
        in_phase[patient.phase] = index + 1
        plan = patient.treatment_plans.order_by("-created_at").first()
        profile = _profile(patient, index, titrated=plan is not None and plan.version > 1)
        base = rng.randint(17, 25)
        depth = 0.15 if index % 3 == 1 else 0.3  # about one responder in three remits (synthetic)
        item9 = 1 if rng.random() < 0.4 else 0
        if profile == "screening":
            _screening_scores(clinic, scores, patient, base, item9)
        else:
            _course_scores(clinic, scores, patient, profile, base=base, depth=depth, item9=item9)
    _settle_escalations(clinic, patients)


def _screening_scores(clinic, scores, patient, base: int, item9: int) -> None:
    """A screening patient: baseline PHQ-9, GAD-7 and C-SSRS screener only, in the last ten days."""
    rng = clinic.rng
    phq9, gad7, cssrs = (INSTRUMENTS[k] for k in ("phq9", "gad7", "cssrs_screener"))
    when = clinic.now - dt.timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 6))
    scores.add(patient, phq9, _answers_for_total(phq9, base, rng, {9: item9}), when)
    scores.add(patient, gad7, _answers_for_total(gad7, rng.randint(8, 18), rng), when)
    scores.add(patient, cssrs, _cssrs(item9), when)


def _course_scores(clinic, scores, patient, profile: str, *, base: int, depth: float, item9: int) -> None:
    """A treated patient's course: baseline, dissociation during the first doses, then each check point."""
    rng, now = clinic.rng, clinic.now
    # Every phase's length is drawn (in COURSE_DAYS' order), the patient's own phase is used.
    length = {phase: rng.randint(low, high) for phase, (low, high) in COURSE_DAYS.items()}[patient.phase]
    first = now - dt.timedelta(days=length, hours=rng.randint(0, 4))
    first = first.replace(hour=9, minute=0, second=0, microsecond=0)
    sessions = _session_days(patient, first, now)
    if not sessions:
        return
    first = sessions[0]
    points = _time_points(sessions, patient.phase, now, rng)
    last_day = ((points[-1][0] if points else now) - first).total_seconds() / 86400
    ptsd = patient.diagnoses.filter(icd10_code__startswith="F43.1").exists()
    baselines = _baseline_scores(clinic, scores, patient, first, base=base, item9=item9, ptsd=ptsd)
    # CADSS about 40 min into the first three infusions (dissociation fades with repeated dosing).
    cadss = INSTRUMENTS["cadss"]
    for k, s in enumerate(sessions[:3]):
        scores.add(
            patient,
            cadss,
            _answers_for_total(cadss, max(0, rng.randint(8, 22) - 4 * k), rng),
            s + dt.timedelta(minutes=40),
        )
    for n, (when, kind) in enumerate(points):
        day = (when - first).total_seconds() / 86400
        frac = _fraction(profile, day, last_day, depth)
        _check_point(clinic, scores, patient, n, when, kind, day=day, frac=frac, item9=item9, **baselines)


def _baseline_scores(clinic, scores, patient, first, *, base: int, item9: int, ptsd: bool) -> dict:
    """PHQ-9, GAD-7, C-SSRS, MADRS (and PCL-5 for PTSD) two days before the first infusion: the baselines
    ({base, gad_base, madrs_base, pcl_base}) the later scores follow."""
    rng = clinic.rng
    phq9, gad7, cssrs, madrs, pcl5 = (INSTRUMENTS[k] for k in ("phq9", "gad7", "cssrs_screener", "madrs", "pcl5"))
    t0 = first - dt.timedelta(days=2)
    scores.add(patient, phq9, _answers_for_total(phq9, base, rng, {9: item9}), t0)
    gad_base = rng.randint(10, 19)
    scores.add(patient, gad7, _answers_for_total(gad7, gad_base, rng), t0)
    scores.add(patient, cssrs, _cssrs(item9), t0)
    madrs_base = rng.randint(28, 40)
    scores.add(patient, madrs, _answers_for_total(madrs, madrs_base, rng), t0 + dt.timedelta(hours=1))
    pcl_base = rng.randint(38, 60) if ptsd else None
    if ptsd:
        scores.add(patient, pcl5, _answers_for_total(pcl5, pcl_base, rng), t0)
    return {"base": base, "gad_base": gad_base, "madrs_base": madrs_base, "pcl_base": pcl_base}


def _check_point(clinic, scores, patient, n, when, kind, *, day, frac, item9, base, gad_base, madrs_base,
                 pcl_base) -> None:
    """The scores taken at one check point ``kind`` (the ``n``-th), ``frac`` of the way from baseline."""
    rng = clinic.rng
    phq9, gad7, cssrs, madrs, pcl5 = (INSTRUMENTS[k] for k in ("phq9", "gad7", "cssrs_screener", "madrs", "pcl5"))
    total = max(0, min(27, round(base * frac + rng.uniform(-1.5, 1.5))))
    # Suicidal thoughts ease with the depression; after the induction weeks they persist only while
    # symptoms stay severe (keeps the demo's escalations to the patients who need them).
    nine = item9 if total >= (14 if day <= 21 else 20) else 0
    self_rep = patient.user is not None and kind in ("interim", "follow_up")
    scores.add(patient, phq9, _answers_for_total(phq9, total, rng, {9: nine}), when, self_reported=self_rep)
    if kind.startswith("pre_"):
        scores.add(patient, cssrs, _cssrs(nine), when)
    # Anxiety and PTSD measures at the end of induction and at the later check points (every other
    # pre-booster visit), so each condition's own instrument follows the course too.
    later = kind in ("post_induction", "interim", "closing", "follow_up") or (
        kind == "pre_booster" and n % 2 == 0
    )
    if later or kind == "pre_induction":
        gad = max(0, min(21, round(gad_base * frac + rng.uniform(-1.5, 1.5))))
        scores.add(patient, gad7, _answers_for_total(gad7, gad, rng), when, self_reported=self_rep)
    if pcl_base is not None and later:
        pcl = max(0, min(80, round(pcl_base * (0.15 + 0.85 * frac) + rng.uniform(-2, 2))))
        scores.add(patient, pcl5, _answers_for_total(pcl5, pcl, rng), when)
    if kind in ("post_induction", "closing"):
        scores.add(
            patient,
            madrs,
            _answers_for_total(madrs, max(0, round(madrs_base * frac)), rng),
            when + dt.timedelta(hours=1),
        )


def _settle_escalations(clinic, patients) -> None:
    """Historical escalations were dealt with at the time - a pre-dose one at the chair, before the dose; the
    most recent one with no dose after it (a between-visits self-report) stays open for the demo."""
    now = clinic.now
    prescriber = clinic.staff["prescriber"][0]
    open_task_left = False
    tasks = list(
        UrgentTask.objects.filter(patient__in=patients)
        .select_related("measure_response")
        .order_by("-measure_response__taken_at")
    )
    for task in tasks:
        taken = task.measure_response.taken_at
        UrgentTask.objects.filter(pk=task.pk).update(created_at=taken)
        dosed_after = Appointment.objects.filter(
            patient=task.patient, kind=Appointment.Kind.DOSING, starts_at__gt=taken, starts_at__lte=now
        ).exclude(status__in=NOT_DOSED)
        if not open_task_left and now - taken < dt.timedelta(days=14) and not dosed_after.exists():
            open_task_left = True
            continue
        assignee = task.assigned_to or prescriber
        services.acknowledge_task(
            task,
            user=assignee if assignee.role in ("prescriber", "director") else prescriber,
            action="Assessed by the prescriber the same day; passive thoughts only, no intent or plan; "
            "safety plan reviewed; continue treatment (synthetic demo entry).",
        )
        UrgentTask.objects.filter(pk=task.pk).update(acknowledged_at=taken + dt.timedelta(minutes=20))
