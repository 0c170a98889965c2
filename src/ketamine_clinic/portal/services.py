"""What the portal shows a patient, gathered from the other apps (read-only)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from ketamine_clinic.core.followup.maintenance import RESPONSE_FRACTION
from ketamine_clinic.core.followup.plain_language import describe_trajectory
from ketamine_clinic.core.instruments import INSTRUMENTS
from ketamine_clinic.core.instruments import label as instrument_label
from ketamine_clinic.outcomes.charts import trajectory_svg
from ketamine_clinic.outcomes.history import OUTCOME_MEASURES, dose_times
from ketamine_clinic.outcomes.services import patient_due
from ketamine_clinic.plans.services import current_plan


def current_route(patient) -> str | None:
    """The route of the patient's active plan, else of their latest dosing session."""
    plan = current_plan(patient)
    if plan is not None:
        return plan.route
    session = patient.dosing_sessions.order_by("-scheduled_for").first()
    return session.route if session else None


def questionnaires_due(patient, now: dt.datetime) -> list[dict]:
    """Self-report questionnaires due or overdue now, by the outcomes app's schedule (patient_due)."""
    due = []
    seen = set()
    for d in sorted(patient_due(patient, now)):
        info = INSTRUMENTS.get(d.instrument)
        if info is None or info.respondent not in ("self", "either") or d.instrument in seen:
            continue
        seen.add(d.instrument)
        due.append(
            {
                "key": d.instrument,
                "label": info.short_name,
                "status": d.status,
                "reason": d.reason,
                "due_at": d.due_at,
                "url": self_report_url(d.instrument),
            }
        )
    return due


def score_summaries(patient, *, plots: bool = False) -> list[dict]:
    """One summary per instrument the patient has scores for: plain-language lines (and an SVG plot)."""
    from ketamine_clinic.outcomes.models import MeasureResponse

    rows = list(
        MeasureResponse.objects.filter(patient=patient, total__isnull=False)
        .order_by("taken_at")
        .values_list("instrument", "taken_at", "total", "severity")
    )
    by_key: dict[str, list] = {}
    for key, when, total, severity in rows:
        by_key.setdefault(key, []).append((when, total, severity))
    # Outcome measures only: in-session dissociation (CADSS) and risk screens are not a symptom trajectory.
    ordered = [k for k in OUTCOME_MEASURES if k in by_key]
    doses = dose_times(patient) if plots else []
    out = []
    for key in ordered:
        points = by_key[key]
        info = INSTRUMENTS.get(key)
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
            baseline = _baseline(points, doses)
            summary["svg"] = trajectory_svg(
                INSTRUMENTS[key],
                [(w, t) for w, t, _ in points],
                doses,
                threshold=baseline * (1 - RESPONSE_FRACTION) if baseline else None,
            )
        out.append(summary)
    return out


def _baseline(points, doses):
    if not doses:
        return None
    before = [t for w, t, _ in points if w <= doses[0]]
    return before[-1] if before else None


def consent_documents(patient) -> list[dict]:
    """The consent versions the patient acknowledged (assessment.ConsentAcknowledgement), newest first,
    each with whether it is still the current version for its route."""
    from ketamine_clinic.assessment.models import ConsentAcknowledgement
    from ketamine_clinic.assessment.services import current_consent_document

    docs = []
    for ack in ConsentAcknowledgement.objects.filter(patient=patient).select_related("document"):
        doc = ack.document
        current = current_consent_document(doc.route)
        docs.append(
            {
                "title": doc.title,
                "route": doc.get_route_display(),
                "version": doc.version,
                "signed": ack.acknowledged_at,
                "typed_name": ack.typed_name,
                "text": doc.body,
                "status": "Current version"
                if current and current.pk == doc.pk
                else "A newer version needs your consent",
            }
        )
    return docs


def self_report_url(instrument: str) -> str:
    """The outcomes app's self-report page for an instrument."""
    return reverse("outcomes:self_report", args=[instrument])
