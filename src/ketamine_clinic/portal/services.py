"""What the portal shows a patient, gathered from the other apps (read-only)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max

from ketamine_clinic.core.followup.maintenance import RESPONSE_FRACTION
from ketamine_clinic.core.followup.plain_language import describe_trajectory
from ketamine_clinic.followup.queries import OVERDUE_DAYS
from ketamine_clinic.followup.services import (
    MAINTENANCE_INSTRUMENTS,
    dose_times,
    instrument_definition,
    instrument_label,
)

# Questionnaires patients complete themselves at home (the clinician-rated MADRS is done in clinic).
SELF_REPORT_DUE = ("phq9", "gad7")


def current_route(patient) -> str | None:
    """The route of the patient's active plan (plans app), else of their latest dosing session."""
    try:
        from ketamine_clinic.plans.services import current_plan

        plan = current_plan(patient)
        if plan is not None:
            return plan.route
    except ImportError:
        pass
    from ketamine_clinic.plans.models import TreatmentPlan

    plan = TreatmentPlan.objects.filter(patient=patient, status="active").order_by("-created_at").first()
    if plan:
        return plan.route
    from ketamine_clinic.sessions.models import DosingSession

    session = DosingSession.objects.filter(patient=patient).order_by("-scheduled_for").first()
    return session.route if session else None


def questionnaires_due(patient, now: dt.datetime) -> list[dict]:
    """Self-report questionnaires due: none in the phase's cadence (clinic-defined, see followup.queries)."""
    from ketamine_clinic.portal.views import self_report_url

    days = OVERDUE_DAYS.get(patient.phase)
    if days is None:
        return []
    from ketamine_clinic.outcomes.models import Administration

    last = dict(
        Administration.objects.filter(patient=patient, instrument__in=SELF_REPORT_DUE)
        .values("instrument")
        .annotate(last=Max("taken_at"))
        .values_list("instrument", "last")
    )
    due = []
    for key in SELF_REPORT_DUE:
        when = last.get(key)
        if key != "phq9" and when is None:
            continue  # only the PHQ-9 is asked of everyone; others once the clinic has started them
        if when is None or when < now - dt.timedelta(days=days):
            due.append(
                {"key": key, "label": instrument_label(key), "last": when, "url": self_report_url(key)}
            )
    return due


def score_summaries(patient, *, plots: bool = False) -> list[dict]:
    """One summary per instrument the patient has scores for: plain-language lines (and an SVG plot)."""
    from ketamine_clinic.outcomes.models import Administration

    rows = list(
        Administration.objects.filter(patient=patient, total__isnull=False)
        .order_by("taken_at")
        .values_list("instrument", "taken_at", "total", "severity")
    )
    by_key: dict[str, list] = {}
    for key, when, total, severity in rows:
        by_key.setdefault(key, []).append((when, total, severity))
    ordered = [k for k in MAINTENANCE_INSTRUMENTS if k in by_key] + sorted(
        set(by_key) - set(MAINTENANCE_INSTRUMENTS)
    )
    doses = dose_times(patient) if plots else []
    out = []
    for key in ordered:
        points = by_key[key]
        info = instrument_definition(key)
        max_total = getattr(info, "max_total", None)
        label = instrument_label(key)
        summary = {
            "key": key,
            "label": label,
            "lines": describe_trajectory(
                label,
                [(w, t) for w, t, _ in points],
                max_total=max_total,
                latest_severity=points[-1][2] or None,
            ),
            "points": points,
        }
        if plots:
            from ketamine_clinic.followup.plots import score_plot

            baseline = _baseline(points, doses)
            summary["svg"] = score_plot(
                label,
                [w for w, _, _ in points],
                [t for _, t, _ in points],
                threshold=baseline * (1 - RESPONSE_FRACTION) if baseline else None,
                dose_dates=doses,
                max_total=max_total,
            )
        out.append(summary)
    return out


def _baseline(points, doses):
    if not doses:
        return None
    before = [t for w, t, _ in points if w <= doses[0]]
    return before[-1] if before else None


def consent_documents(patient) -> list[dict]:
    """The patient's consent records from the assessment app (issue 5), whatever it names its model."""
    from django.apps import apps

    for name in ("Consent", "ConsentRecord", "InformedConsent", "ConsentDocument"):
        try:
            model = apps.get_model("assessment", name)
        except LookupError:
            continue
        field_names = {f.name for f in model._meta.get_fields()}
        if "patient" not in field_names:
            continue
        docs = []
        for c in model.objects.filter(patient=patient).order_by("-pk"):
            docs.append(
                {
                    "title": str(c),
                    "route": getattr(c, "get_route_display", lambda c=c: getattr(c, "route", ""))(),
                    "signed": next(
                        (
                            getattr(c, f)
                            for f in ("signed_at", "signed_on", "consented_at", "created_at")
                            if getattr(c, f, None)
                        ),
                        None,
                    ),
                    "version": getattr(c, "version", "") or getattr(c, "form_version", ""),
                    "text": getattr(c, "text", "")
                    or getattr(c, "document_text", "")
                    or getattr(c, "body", ""),
                    "status": getattr(c, "get_status_display", lambda: "")(),
                }
            )
        return docs
    return []
