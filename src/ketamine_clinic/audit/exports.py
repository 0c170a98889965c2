"""The audit log filtered (by patient, user, action and clinic day) and as CSV, for the director's page and
the ``export`` command."""

from __future__ import annotations

import json

from django.utils import timezone

from .models import AuditEvent

HEADER = ["at", "username", "role", "action", "patient_mrn", "object", "method", "path", "ip_address", "detail"]


def filter_events(data) -> AuditEvent.objects:
    """Newest first. ``data`` keys (all optional): patient (MRN, or part of a last name), user, action,
    date_from, date_to (clinic days, inclusive)."""
    events = AuditEvent.objects.select_related("patient")
    if data.get("patient"):
        term = data["patient"].strip()
        events = events.filter(patient__mrn__iexact=term) | events.filter(patient__last_name__icontains=term)
    if data.get("user"):
        events = events.filter(username__iexact=data["user"].strip())
    if data.get("action"):
        events = events.filter(action=data["action"])
    if data.get("date_from"):
        events = events.filter(at__date__gte=data["date_from"])
    if data.get("date_to"):
        events = events.filter(at__date__lte=data["date_to"])
    return events.order_by("-at", "-id")


def row(event: AuditEvent) -> list:
    return [
        timezone.localtime(event.at).isoformat(timespec="seconds"),
        event.username,
        event.role,
        event.action,
        event.patient.mrn if event.patient_id else "",
        f"{event.object_type}:{event.object_id}" if event.object_type else "",
        event.method,
        event.path,
        event.ip_address or "",
        json.dumps(event.detail, sort_keys=True, default=str),
    ]
