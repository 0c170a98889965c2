"""The patient progress report: diagnosis, treatment course, doses, score plots, current status."""

from __future__ import annotations

from django.utils import timezone

from ketamine_clinic.portal.services import score_summaries

from .models import BoosterSuggestion
from .services import DOSED_STATES, evaluate


def _protocol_name(plan) -> str:
    """The protocol's name as the clinic reads it, not its template key ("iv_racemic_standard")."""
    try:
        return plan.template().name
    except KeyError:
        return plan.protocol_key


def report_context(patient) -> dict:
    from ketamine_clinic.plans.models import TreatmentPlan
    from ketamine_clinic.sessions.models import DosingSession

    sessions = list(
        DosingSession.objects.filter(patient=patient, state__in=DOSED_STATES)
        .select_related("plan")
        .order_by("scheduled_for")
    )
    rows = [{"session": s, "dose_mg": s.given_mg} for s in sessions]  # delivered, else confirmed
    result = evaluate(patient)
    return {
        "patient": patient,
        "generated_at": timezone.now(),
        "diagnoses": list(patient.diagnoses.all()),
        "plans": [
            {"plan": plan, "protocol": _protocol_name(plan), "since": plan.start_date or plan.created_at}
            for plan in TreatmentPlan.objects.filter(patient=patient).order_by("created_at")
        ],
        "dose_rows": rows,
        "doses_recorded": any(r["dose_mg"] is not None for r in rows),
        "first_dose": sessions[0].scheduled_for if sessions else None,
        "last_dose": sessions[-1].scheduled_for if sessions else None,
        "summaries": score_summaries(patient, plots=True),
        "status": result,
        "open_suggestion": BoosterSuggestion.objects.filter(patient=patient, status="open").first(),
    }
