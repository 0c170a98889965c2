"""Follow-up services: booster suggestions from the core rules, and deciding on them.

Data flows one way: outcomes.MeasureResponse + dosing.DosingSession -> core.followup.maintenance ->
BoosterSuggestion (saved, audited) -> the prescriber accepts (a dosing Appointment is booked) or declines
with a reason (audited). The rules only suggest.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic import audit
from ketamine_clinic.core.administration.states import DOSED_STATES
from ketamine_clinic.core.followup.maintenance import (
    DEFAULT_RULES,
    MaintenanceRules,
    MaintenanceSuggestion,
    SuggestionKind,
    rules_for_route,
    suggest_maintenance,
)
from ketamine_clinic.outcomes.history import OUTCOME_MEASURES, dose_times, trajectory

from .models import BoosterSuggestion, IntegrationNote

log = logging.getLogger(__name__)


def instrument_definition(key: str):
    """The core instrument definition (core.instruments.library), or None for an unknown key."""
    from ketamine_clinic.core.instruments import library

    try:
        return library.get(key)
    except KeyError:
        return None


def evaluate(patient, rules: MaintenanceRules | None = None) -> MaintenanceSuggestion | None:
    """Run the maintenance rules on the patient's preferred instrument; None if no instrument has data.

    Without ``rules``, the defaults with the label's maintenance intervals for the patient's route (active
    plan, else latest dosed session): esketamine is only offered every week or every 2 weeks.
    """
    from ketamine_clinic.outcomes.models import MeasureResponse
    from ketamine_clinic.plans.services import current_plan
    from ketamine_clinic.sessions.models import DosingSession

    if rules is None:
        plan = current_plan(patient)
        dosed = DosingSession.objects.filter(patient=patient, state__in=DOSED_STATES)
        latest = dosed.order_by("-scheduled_for").values_list("route", flat=True).first()
        route = plan.route if plan else latest
        rules = rules_for_route(route, DEFAULT_RULES)
    doses = dose_times(patient)
    keys = set(
        MeasureResponse.objects.filter(patient=patient, total__isnull=False).values_list(
            "instrument", flat=True
        )
    )
    ordered = [k for k in OUTCOME_MEASURES if k in keys]
    fallback = None
    for key in ordered:
        result = suggest_maintenance(trajectory(patient, key), doses, rules)
        if result.kind != SuggestionKind.INSUFFICIENT:
            return result
        fallback = fallback or result
    return fallback


ACTIONABLE = {
    SuggestionKind.BOOSTER: BoosterSuggestion.Kind.BOOSTER,
    SuggestionKind.STRETCH: BoosterSuggestion.Kind.STRETCH,
    SuggestionKind.REVIEW: BoosterSuggestion.Kind.REVIEW,
}


@transaction.atomic
def refresh_suggestion(patient, *, actor=None, now: dt.datetime | None = None) -> BoosterSuggestion | None:
    """Re-run the rules for one patient and keep at most one open suggestion in step with them.

    A new open suggestion is created when the rules propose something actionable that differs from the
    open one (kind or figures); an open suggestion the rules no longer support is marked superseded.
    Returns the open suggestion afterwards (or None).
    """
    now = now or timezone.now()
    result = evaluate(patient)
    open_qs = BoosterSuggestion.objects.select_for_update().filter(
        patient=patient, status=BoosterSuggestion.Status.OPEN
    )
    current = open_qs.first()
    kind = ACTIONABLE.get(result.kind) if result else None
    if kind is None:
        if current:
            _supersede(actor, current, now, "The rules no longer propose this: " + (result.reason if result else "no data."))
        return None
    if (
        current
        and current.kind == kind
        and current.current == result.current
        and current.last_dose_at == result.last_dose_at
    ):
        return current
    if current:
        _supersede(actor, current, now, "Replaced by a newer suggestion.")
    # A suggestion the prescriber already declined for the same latest score is not raised again.
    declined = BoosterSuggestion.objects.filter(
        patient=patient,
        status=BoosterSuggestion.Status.DECLINED,
        kind=kind,
        current=result.current,
        last_dose_at=result.last_dose_at,
    ).exists()
    if declined:
        return None
    suggestion = BoosterSuggestion.objects.create(
        patient=patient,
        kind=kind,
        reason=result.reason,
        instrument=result.instrument,
        baseline=result.baseline,
        nadir=result.nadir,
        current=result.current,
        response_threshold=result.response_threshold,
        improvement_lost_fraction=result.improvement_lost_fraction,
        last_dose_at=result.last_dose_at,
        current_interval_days=result.current_interval_days,
        suggested_interval_days=result.suggested_interval_days,
        created_at=now,
    )
    audit.record(actor, "create", suggestion, detail={"kind": kind, "rule_reason": result.reason})
    return suggestion


def _supersede(actor, suggestion: BoosterSuggestion, now, note: str) -> None:
    suggestion.status = BoosterSuggestion.Status.SUPERSEDED
    suggestion.decided_at = now
    suggestion.decision_note = note
    suggestion.save(update_fields=["status", "decided_at", "decision_note"])
    audit.record(actor, "update", suggestion, detail={"status": "superseded"})


def _require_open(suggestion: BoosterSuggestion):
    if not suggestion.is_open:
        raise ValidationError(f"This suggestion was already {suggestion.get_status_display().lower()}.")


@transaction.atomic
def accept(
    request_or_user,
    suggestion: BoosterSuggestion,
    *,
    user,
    starts_at: dt.datetime | None,
    duration_min: int = 120,
    note: str = "",
    now: dt.datetime | None = None,
) -> BoosterSuggestion:
    """Accept a suggestion. Booster/stretch book a dosing Appointment at ``starts_at``; review records the note."""
    now = now or timezone.now()
    suggestion = BoosterSuggestion.objects.select_for_update().get(pk=suggestion.pk)
    _require_open(suggestion)
    if suggestion.kind in (BoosterSuggestion.Kind.BOOSTER, BoosterSuggestion.Kind.STRETCH):
        if starts_at is None:
            raise ValidationError({"starts_at": "Choose when the booster is to be given."})
        if starts_at <= now:
            raise ValidationError({"starts_at": "A booster must be booked in the future."})
        from ketamine_clinic.scheduling import services as scheduling

        # Booked through the scheduling app so its rules hold (no double booking, minimum dose interval);
        # it audits the new appointment. No chair yet: the front desk assigns one.
        appointment = scheduling.book(
            request_or_user,
            patient=suggestion.patient,
            kind="dosing",
            starts_at=starts_at,
            duration_min=duration_min,
            label="Booster",
            note=(f"{suggestion.get_kind_display()}; accepted by {user.display_name()}")[:300],
        )
        suggestion.appointment = appointment
    elif not note.strip():
        raise ValidationError({"note": "Write what the review decided (e.g. plan change, referral)."})
    suggestion.status = BoosterSuggestion.Status.ACCEPTED
    suggestion.decided_by = user
    suggestion.decided_at = now
    suggestion.decision_note = note.strip()
    suggestion.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "appointment"])
    audit.record(
        request_or_user, "update", suggestion, detail={"status": "accepted", "note": suggestion.decision_note}
    )
    return suggestion


@transaction.atomic
def decline(
    request_or_user, suggestion: BoosterSuggestion, *, user, reason: str, now=None
) -> BoosterSuggestion:
    """Decline a suggestion; a written reason is required and audited."""
    suggestion = BoosterSuggestion.objects.select_for_update().get(pk=suggestion.pk)
    _require_open(suggestion)
    if not reason or not reason.strip():
        raise ValidationError({"reason": "Give the reason for declining (it is kept in the audit log)."})
    suggestion.status = BoosterSuggestion.Status.DECLINED
    suggestion.decided_by = user
    suggestion.decided_at = now or timezone.now()
    suggestion.decision_note = reason.strip()
    suggestion.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit.record(
        request_or_user,
        "update",
        suggestion,
        detail={"status": "declined", "reason": suggestion.decision_note},
    )
    return suggestion


def sign_integration_note(actor, note: IntegrationNote) -> IntegrationNote:
    """The therapist who wrote an integration note signs it; signed, it is final. Only its author signs (a
    signature says "I did and wrote this"); a note signed already is refused, not signed twice."""
    from ketamine_clinic import access

    user = audit.acting_user(actor)
    access.require(user, "therapy_notes", "write", note.patient)
    if note.author_id != getattr(user, "pk", None):
        raise ValidationError({"__all__": [f"Only {note.author.display_name()}, who wrote this note, can sign it."]})
    with transaction.atomic():
        fresh = IntegrationNote.objects.select_for_update().get(pk=note.pk)
        if fresh.signed_at is not None:
            raise ValidationError({"__all__": ["This note is already signed."]})
        fresh.signed_at, fresh.signed_by = timezone.now(), user
        fresh.save(update_fields=["signed_at", "signed_by"])
        audit.record(actor, "update", fresh, detail={"signed": True})
    return fresh
