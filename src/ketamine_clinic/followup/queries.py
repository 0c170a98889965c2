"""Database queries for the work lists and the clinic outcomes dashboard.

Everything here is computed by the database (Subquery / annotate / aggregate) so the pages stay fast with
years of data: Python receives one row per group, never one row per questionnaire.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    Avg,
    Case,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest

from ketamine_clinic import access
from ketamine_clinic.core.followup.maintenance import RESPONSE_FRACTION
from ketamine_clinic.core.instruments import label as instrument_label
from ketamine_clinic.outcomes.models import MeasureResponse
from ketamine_clinic.outcomes.services import patients_due
from ketamine_clinic.patients.models import Diagnosis, Patient, Phase
from ketamine_clinic.portal.models import JournalEntry, Message
from ketamine_clinic.scheduling.models import Appointment
from ketamine_clinic.scheduling.series import at_risk_patients
from ketamine_clinic.sessions.models import DosingSession, SideEffect, VitalsReading

from .models import BoosterSuggestion
from .services import DOSED_STATES, instrument_definition

# ---------------------------------------------------------------------------------------------------------
# Work lists
# ---------------------------------------------------------------------------------------------------------

NO_CONTACT_DAYS_DEFAULT = 30  # clinic-defined
MISSED_LOOKBACK_DAYS = 30  # no-shows of the last month (clinic-defined)
ACTIVE_PHASES = (Phase.INDUCTION, Phase.MAINTENANCE)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def overdue_questionnaires(user, now: dt.datetime) -> list[dict] | None:
    """Active patients with overdue measures, by the outcomes app's schedule (outcomes.services.patient_due).

    The measurement schedule is the outcomes app's rule; it is reused here, not restated. One
    schedule evaluation per active patient the user may open, over data loaded for all of them at once.
    """
    if not access.can(user, "measures", "read"):
        return None
    rows = []
    patients = list(
        access.visible_patients(user).filter(phase__in=ACTIVE_PHASES).order_by("last_name", "first_name")
    )
    due_by_patient = patients_due(patients, now)
    for patient in patients:
        overdue = [
            {"label": instrument_label(d.instrument), "reason": d.reason, "overdue_at": d.overdue_at}
            for d in due_by_patient[patient.pk]
            if d.status == "overdue"
        ]
        if overdue:
            rows.append(
                {"patient": patient, "overdue": overdue, "since": min(d["overdue_at"] for d in overdue)}
            )
    rows.sort(key=lambda r: r["since"])
    return rows


def missed_appointments(user, now: dt.datetime):
    if not access.can(user, "schedule", "read"):
        return None
    return (
        Appointment.objects.filter(
            patient__in=access.visible_patients(user),
            status=Appointment.Status.NO_SHOW,
            starts_at__gte=now - dt.timedelta(days=MISSED_LOOKBACK_DAYS),
            starts_at__lte=now,
        )
        .select_related("patient")
        .order_by("-starts_at")
    )


def no_contact(user, now: dt.datetime, days: int = NO_CONTACT_DAYS_DEFAULT):
    """Active patients with no visit, questionnaire, message or journal entry for ``days`` days."""
    if not access.can(user, "clinical", "read"):
        return None
    def latest(qs, field):
        return Coalesce(
            Subquery(qs.filter(patient=OuterRef("pk")).order_by(f"-{field}").values(field)[:1]),
            Value(_EPOCH),
            output_field=DateTimeField(),
        )

    visits = Appointment.objects.filter(
        status__in=[Appointment.Status.COMPLETED, Appointment.Status.CHECKED_IN], starts_at__lte=now
    )
    patients = (
        access.visible_patients(user)
        .filter(phase__in=ACTIVE_PHASES)
        .annotate(
            last_contact_at=Greatest(
                latest(visits, "starts_at"),
                latest(MeasureResponse.objects.all(), "taken_at"),
                latest(Message.objects.filter(from_patient=True), "sent_at"),
                latest(JournalEntry.objects.all(), "written_at"),
                output_field=DateTimeField(),
            )
        )
    )
    return patients.filter(last_contact_at__lt=now - dt.timedelta(days=days)).order_by("last_contact_at")


def response_flags(user):
    """Open booster / review / stretch suggestions for the user's patients (booster first)."""
    if not access.can(user, "clinical", "read"):
        return None
    order = Case(
        When(kind=BoosterSuggestion.Kind.BOOSTER, then=0),
        When(kind=BoosterSuggestion.Kind.REVIEW, then=1),
        default=2,
        output_field=IntegerField(),
    )
    return (
        BoosterSuggestion.objects.filter(
            status=BoosterSuggestion.Status.OPEN, patient__in=access.visible_patients(user)
        )
        .select_related("patient")
        .order_by(order, "-created_at")
    )


def unread_messages(user):
    if not access.can(user, "self_report", "read"):
        return None
    return (
        Message.objects.visible_to(user).unread_from_patients().select_related("patient").order_by("sent_at")
    )


def unread_shared_journal(user):
    """Journal entries patients shared that ``user`` may read and has not opened yet (None for roles that never
    read journals: nurses, the front desk)."""
    if not (access.can(user, "self_report", "read") and access.can(user, "therapy_notes", "read")):
        return None
    return JournalEntry.objects.visible_to(user).exclude(reads__user=user)


def series_at_risk(user, now: dt.datetime):
    """Patients whose induction series may not finish (a missed or twice-moved visit, a gap longer than the
    protocol allows), with the reasons: the scheduling app's reading (scheduling.series), not restated here."""
    return at_risk_patients(user, now)


def worklists(user, now: dt.datetime, no_contact_days: int = NO_CONTACT_DAYS_DEFAULT) -> dict:
    return {
        "shared_journal": unread_shared_journal(user),
        "series_at_risk": series_at_risk(user, now),
        "overdue": overdue_questionnaires(user, now),
        "missed": missed_appointments(user, now),
        "no_contact": no_contact(user, now, no_contact_days),
        "flags": response_flags(user),
        "unread": unread_messages(user),
    }


# ---------------------------------------------------------------------------------------------------------
# Clinic outcomes dashboard
# ---------------------------------------------------------------------------------------------------------

# Condition groups by ICD-10-CM prefix of the primary diagnosis, and the instrument each is followed with.
CONDITIONS = (
    ("F32", "Depression", "phq9"),
    ("F33", "Depression", "phq9"),
    ("F31", "Bipolar depression", "phq9"),
    ("F43.1", "PTSD", "pcl5"),
    ("F41", "Anxiety", "gad7"),
    ("F42", "OCD", "phq9"),
)
OTHER_CONDITION = ("Other", "phq9")
# Induction = the first six doses (aan het Rot et al. 2010; Murrough et al. 2013); see core.followup.maintenance.
INDUCTION_DOSES = 6


def remission_max(key: str) -> int | None:
    """The instrument's published remission cut-off from core.instruments.library (None if it has none)."""
    info = instrument_definition(key)
    return getattr(info, "remission_max", None)


def _condition_annotations() -> dict:
    """The primary diagnosis' code, the condition it names and the outcome measure that condition is followed on."""
    primary_code = Subquery(
        Diagnosis.objects.filter(patient=OuterRef("pk")).order_by("-is_primary", "id").values("icd10_code")[:1]
    )
    return {
        "primary_code": primary_code,
        "condition": Case(
            *[When(primary_code__startswith=prefix, then=Value(label)) for prefix, label, _ in CONDITIONS],
            default=Value(OTHER_CONDITION[0]),
        ),
        "outcome_instrument": Case(
            *[When(primary_code__startswith=prefix, then=Value(key)) for prefix, _, key in CONDITIONS],
            default=Value(OTHER_CONDITION[1]),
        ),
    }


def _remission_cutoffs() -> dict[str, float]:
    """{outcome measure: its remission cut-off} for the measures the dashboard follows that define one."""
    keys = sorted({k for _, _, k in CONDITIONS} | {OTHER_CONDITION[1]})
    return {key: cut for key in keys if (cut := remission_max(key)) is not None}


def _dose_annotations() -> dict:
    """The route of the first dosed session, and when the first dose and the end of induction (the 6th) were."""
    dosed = DosingSession.objects.filter(patient=OuterRef("pk"), state__in=DOSED_STATES).order_by(
        "scheduled_for", "id"
    )
    return {
        "route": Subquery(dosed.values("route")[:1]),
        "first_dose_at": Subquery(dosed.values("scheduled_for")[:1]),
        "induction_end_at": Subquery(dosed.values("scheduled_for")[INDUCTION_DOSES - 1 : INDUCTION_DOSES]),
    }


def _outcome_scores():
    """The patient's scored questionnaires on the outcome measure their condition is followed on."""
    return MeasureResponse.objects.filter(
        patient=OuterRef("pk"), instrument=OuterRef("outcome_instrument"), total__isnull=False
    )


def _baseline_annotations(scores) -> dict:
    """The baseline (last score at/before the first dose) and the first score after induction."""
    return {
        "baseline": Subquery(
            scores.filter(taken_at__lte=OuterRef("first_dose_at")).order_by("-taken_at").values("total")[:1],
            output_field=FloatField(),
        ),
        "post_induction": Subquery(
            scores.filter(taken_at__gt=OuterRef("induction_end_at")).order_by("taken_at").values("total")[:1],
            output_field=FloatField(),
        ),
    }


def _response_annotations(scores, threshold) -> dict:
    """Response and remission after induction (1/0), and the first responding score since the first dose."""
    cutoffs = _remission_cutoffs()
    return {
        "responded": Case(
            When(post_induction__lte=F("baseline") * (1.0 - RESPONSE_FRACTION), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        ),
        "remission_defined": Case(
            When(outcome_instrument__in=list(cutoffs), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        ),
        "remitted": Case(
            *[When(outcome_instrument=key, post_induction__lte=cut, then=Value(1)) for key, cut in cutoffs.items()],
            default=Value(0),
            output_field=IntegerField(),
        ),
        "first_response_at": Subquery(
            scores.filter(taken_at__gt=OuterRef("first_dose_at"), total__lte=threshold)
            .order_by("taken_at")
            .values("taken_at")[:1]
        ),
    }


def outcome_cohort(patients=None):
    """Patients annotated with condition, route, baseline, post-induction score and response timing.

    Annotations (all computed in SQL): ``condition``, ``outcome_instrument``, ``route``, ``first_dose_at``,
    ``induction_end_at`` (the 6th dose), ``baseline`` (last score at/before the first dose), ``post_induction``
    (first score after the 6th dose), ``responded`` / ``remitted`` (1/0, after induction),
    ``first_response_at`` (first score <= 50 % of baseline, any time after the first dose), ``relapse_at``
    (first score back above 50 % of baseline after that).
    """
    patients = Patient.objects.all() if patients is None else patients
    scores = _outcome_scores()
    threshold = OuterRef("baseline") * (1.0 - RESPONSE_FRACTION)
    # One annotate per step: each step reads the annotations of the step before it.
    qs = (
        patients.annotate(**_condition_annotations())
        .annotate(**_dose_annotations())
        .annotate(**_baseline_annotations(scores))
        .annotate(**_response_annotations(scores, threshold))
    )
    return qs.annotate(
        relapse_at=Subquery(
            scores.filter(taken_at__gt=OuterRef("first_response_at"), total__gt=threshold)
            .order_by("taken_at")
            .values("taken_at")[:1]
        )
    )


def _rate(num, den):
    return None if not den else round(100.0 * num / den, 1)


def dashboard_figures(now: dt.datetime | None = None) -> dict:
    """All figures of the clinic outcomes dashboard, each from an aggregate query."""
    by_phase = {row["phase"]: row["n"] for row in Patient.objects.values("phase").annotate(n=Count("pk"))}
    cohort = outcome_cohort()
    evaluable = cohort.filter(baseline__gt=0, post_induction__isnull=False)
    timing = _response_timing(cohort)
    sessions = DosingSession.objects.filter(state__in=DOSED_STATES).aggregate(n=Count("pk"))["n"]
    safety = _safety_counts()
    return {
        "phases": [(label, by_phase.get(value, 0)) for value, label in Phase.choices],
        "overall": _rates(evaluable.aggregate(**_RATE_SUMS)),
        "by_condition": _grouped(evaluable, "condition"),
        "by_route": _grouped(evaluable, "route"),
        "responders_ever": timing["responders"],
        "followed_since_first_dose": timing["followed"],
        "ever_response_rate": _rate(timing["responders"], timing["followed"]),
        "mean_days_to_response": _days(timing["mean_time_to_response"]),
        "relapsed": timing["relapsed"],
        "sustained": timing["responders"] - timing["relapsed"],
        "mean_days_response_to_relapse": _days(timing["mean_durability"]),
        "sessions": sessions,
        "adverse_events": safety["adverse_events"],
        "alerts": safety["alerts"],
        "adverse_events_per_100_sessions": _rate(safety["adverse_events"], sessions),
        "alerts_per_100_sessions": _rate(safety["alerts"], sessions),
    }


# The after-induction counts summed over a cohort or a group of it.
_RATE_SUMS = {
    "n": Count("pk"),
    "responders": Sum("responded"),
    "remission_n": Sum("remission_defined"),
    "remitters": Sum("remitted"),
}


def _rates(row) -> dict:
    """Response and remission after induction, counts and rates (remission only where the measure defines it)."""
    return {
        "n": row["n"],
        "responders": row["responders"] or 0,
        "response_rate": _rate(row["responders"] or 0, row["n"]),
        "remission_n": row["remission_n"] or 0,
        "remitters": row["remitters"] or 0,
        "remission_rate": _rate(row["remitters"] or 0, row["remission_n"] or 0),
    }


def _grouped(evaluable, field) -> list[dict]:
    rows = evaluable.values(field).annotate(**_RATE_SUMS).order_by(field)
    return [{"group": row[field], **_rates(row)} for row in rows]


def _response_timing(cohort) -> dict:
    """"Since the first dose": every patient with a baseline and a later score on their instrument, so that the
    responders have their own denominator (the after-induction figures count only those past dose 6)."""
    duration = DurationField()
    later_score = MeasureResponse.objects.filter(
        patient=OuterRef("pk"), instrument=OuterRef("outcome_instrument"), total__isnull=False,
        taken_at__gt=OuterRef("first_dose_at"),
    )
    responded = Q(first_response_at__isnull=False)
    return cohort.filter(Exists(later_score), baseline__gt=0).aggregate(
        followed=Count("pk"),
        responders=Count("pk", filter=responded),
        mean_time_to_response=Avg(
            ExpressionWrapper(F("first_response_at") - F("first_dose_at"), output_field=duration), filter=responded
        ),
        relapsed=Count("pk", filter=Q(relapse_at__isnull=False)),
        mean_durability=Avg(
            ExpressionWrapper(F("relapse_at") - F("first_response_at"), output_field=duration),
            filter=Q(relapse_at__isnull=False),
        ),
    )


def _days(value):
    return None if value is None else round(value.total_seconds() / 86400.0, 1)


def _safety_counts() -> dict:
    """Adverse events and alerts charted in dosing sessions, counted in the database.

    Adverse events = side effects recorded on a session's flowsheet (any severity); alerts = vitals readings
    that raised at least one alert.
    """
    dosed = {"session__state__in": DOSED_STATES}
    return {
        "adverse_events": SideEffect.objects.filter(**dosed).count(),
        "alerts": VitalsReading.objects.filter(**dosed).exclude(alerts=[]).count(),
    }
