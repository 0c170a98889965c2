"""Synthetic score histories for the demo clinic, shaped like real ketamine courses.

Per patient (all numbers invented; shapes follow the pattern reported for IV ketamine in TRD - severe
baseline, a large drop within 24 h of the first infusions in responders, little change in non-responders,
and loss of response in some maintenance patients):
- screening: baseline PHQ-9, GAD-7 and C-SSRS screener only;
- induction / maintenance / discharged: baseline, 24 h after the first infusion, before infusions 3 and 5,
  a week after induction, then monthly; MADRS at baseline and end of induction; CADSS during early infusions;
  PCL-5 for patients with PTSD.
Sessions come from the sessions app's seed when it has made any; otherwise a six-infusion induction is
assumed on the timeline (dates only, no DosingSession rows are created here).
Idempotent: if any demo patient already has an administration, nothing is added.
"""

from __future__ import annotations

import datetime as dt

from ketamine_clinic.core.instruments import INSTRUMENTS

from . import services
from .models import Administration, UrgentTask

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


def _profile(patient, rng) -> str:
    if patient.phase == "screening":
        return "screening"
    if patient.phase == "induction":
        return rng.choices(["responder", "non_responder"], weights=[7, 3])[0]
    if patient.phase == "maintenance":
        return rng.choices(["responder", "relapse", "partial"], weights=[6, 3, 1])[0]
    return rng.choices(["responder", "non_responder"], weights=[4, 2])[0]


def _fraction(profile: str, day: float, last_day: float) -> float:
    """Score as a fraction of baseline ``day`` days after the first infusion."""
    if profile == "non_responder":
        return 0.97 - 0.15 * min(day, 21) / 21
    if profile == "partial":
        return 0.85 - 0.25 * min(day, 21) / 21
    # Responder: rapid drop within 24 h, continuing over the induction (clinic-plausible synthetic shape).
    if day <= 1:
        f = 0.6
    elif day <= 21:
        f = 0.6 - 0.3 * (day - 1) / 20
    else:
        f = 0.3
    if profile == "relapse" and day > 45:
        f = min(0.75, 0.3 + 0.45 * (day - 45) / max(1.0, last_day - 45))
    return f


def _session_days(patient, start: dt.datetime, now: dt.datetime) -> list[dt.datetime]:
    from ketamine_clinic.sessions.models import DosingSession

    real = list(
        DosingSession.objects.filter(patient=patient, scheduled_for__lte=now)
        .exclude(state__in=NOT_DOSED)
        .order_by("scheduled_for")
        .values_list("scheduled_for", flat=True)
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


def seed(clinic) -> None:
    patients = list(clinic.patients)
    if not patients or Administration.objects.filter(patient__in=patients).exists():
        return
    rng = clinic.rng
    now = clinic.now
    nurse = clinic.staff["nurse"][0]
    prescriber = clinic.staff["prescriber"][0]
    phq9, gad7, cssrs, madrs, cadss, pcl5 = (
        INSTRUMENTS[k] for k in ("phq9", "gad7", "cssrs_screener", "madrs", "cadss", "pcl5")
    )
    open_task_left = False

    def add(patient, inst, answers, when, *, self_reported=False):
        return services.record_administration(
            patient=patient,
            instrument=inst.key,
            answers=answers,
            user=patient.user if self_reported else nurse,
            self_reported=self_reported and patient.user is not None,
            taken_at=min(when, now),
        )

    for patient in patients:
        profile = _profile(patient, rng)
        base = rng.randint(17, 25)
        item9 = 1 if rng.random() < 0.4 else 0
        ptsd = patient.diagnoses.filter(icd10_code__startswith="F43.1").exists()
        if profile == "screening":
            when = now - dt.timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 6))
            add(patient, phq9, _answers_for_total(phq9, base, rng, {9: item9}), when)
            add(patient, gad7, _answers_for_total(gad7, rng.randint(8, 18), rng), when)
            add(patient, cssrs, [item9, 0, None, None, None, 0, None], when)
            continue

        length = {
            "induction": rng.randint(4, 16),
            "maintenance": rng.randint(60, 200),
            "discharged": rng.randint(120, 300),
        }[patient.phase]
        first = now - dt.timedelta(days=length, hours=rng.randint(0, 4))
        first = first.replace(hour=9, minute=0, second=0, microsecond=0)
        sessions = _session_days(patient, first, now)
        first = sessions[0] if sessions else first
        last_day = (now - first).total_seconds() / 86400
        end = now if patient.phase != "discharged" else first + dt.timedelta(days=min(last_day, 120))

        # Baseline: PHQ-9, GAD-7, C-SSRS, MADRS (and PCL-5 for PTSD) two days before the first infusion.
        t0 = first - dt.timedelta(days=2)
        add(patient, phq9, _answers_for_total(phq9, base, rng, {9: item9}), t0)
        add(patient, gad7, _answers_for_total(gad7, rng.randint(10, 19), rng), t0)
        add(patient, cssrs, [item9, 0, None, None, None, 0, None], t0)
        madrs_base = rng.randint(28, 40)
        add(patient, madrs, _answers_for_total(madrs, madrs_base, rng), t0 + dt.timedelta(hours=1))
        pcl_base = rng.randint(38, 60) if ptsd else None
        if ptsd:
            add(patient, pcl5, _answers_for_total(pcl5, pcl_base, rng), t0)

        # CADSS about 40 min into the first three infusions (dissociation fades with repeated dosing).
        for k, s in enumerate(sessions[:3]):
            add(
                patient,
                cadss,
                _answers_for_total(cadss, max(0, rng.randint(8, 22) - 4 * k), rng),
                s + dt.timedelta(minutes=40),
            )

        # PHQ-9 time points (days after the first infusion).
        points = [1.0, 4.0, 8.5, 18.0]
        d = 30.0
        while d < (end - first).total_seconds() / 86400:
            points.append(d)
            d += 28.0
        for day in points:
            when = first + dt.timedelta(days=day)
            if when > end:
                break
            frac = _fraction(profile, day, last_day)
            total = max(0, min(27, round(base * frac + rng.uniform(-1.5, 1.5))))
            nine = item9 if total >= 14 else 0
            self_rep = patient.user is not None and day > 5
            add(patient, phq9, _answers_for_total(phq9, total, rng, {9: nine}), when, self_reported=self_rep)
            if day in (8.5, 18.0) or (day >= 30 and rng.random() < 0.5):
                add(
                    patient,
                    gad7,
                    _answers_for_total(gad7, max(0, round(14 * frac + rng.uniform(-2, 2))), rng),
                    when,
                )
            if day == 18.0:
                add(
                    patient,
                    madrs,
                    _answers_for_total(madrs, max(0, round(madrs_base * frac)), rng),
                    when + dt.timedelta(hours=1),
                )
                if ptsd:
                    add(
                        patient, pcl5, _answers_for_total(pcl5, round(pcl_base * (0.5 + frac / 2)), rng), when
                    )

    # Historical escalations were dealt with at the time; the most recent one stays open for the demo.
    tasks = list(
        UrgentTask.objects.filter(patient__in=patients)
        .select_related("administration")
        .order_by("-administration__taken_at")
    )
    for i, task in enumerate(tasks):
        taken = task.administration.taken_at
        UrgentTask.objects.filter(pk=task.pk).update(created_at=taken)
        if i == 0 and not open_task_left and now - taken < dt.timedelta(days=14):
            open_task_left = True
            continue
        assignee = task.assigned_to or prescriber
        services.acknowledge_task(
            task,
            user=assignee if assignee.role in ("prescriber", "director") else prescriber,
            action="Called patient the same day; passive thoughts only, no intent or plan; "
            "safety plan reviewed; continue treatment (synthetic demo entry).",
        )
        UrgentTask.objects.filter(pk=task.pk).update(acknowledged_at=taken + dt.timedelta(hours=3))
