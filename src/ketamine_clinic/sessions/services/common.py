"""What every session service shares: the version check under a row lock (:class:`StaleSession`), the
clock, the prescriber rule and the order of clinical times."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ketamine_clinic import access
from ketamine_clinic.core.safety.event_time import event_time_problem

from ..models import (
    DosingSession,
)


class StaleSession(Exception):
    """The session changed since the user loaded it; the message says so and what to do."""

    def __init__(self, session_id: int, expected: int, actual: int):
        self.expected, self.actual = expected, actual
        super().__init__(
            f"This session was changed by someone else (you had version {expected}, it is now {actual}). "
            "Reload the page to see the latest record, then try again."
        )


def _now(now=None):
    return now or timezone.now()


def _locked(session: DosingSession, version: int | None) -> DosingSession:
    """Re-read the session row under a lock and check the caller's version (None skips the check)."""
    fresh = DosingSession.objects.select_for_update().get(pk=session.pk)
    if version is not None and int(version) != fresh.version:
        raise StaleSession(session.pk, int(version), fresh.version)
    return fresh


def _bump(fresh: DosingSession, fields: list[str]) -> DosingSession:
    fresh.version = fresh.version + 1
    fresh.save(update_fields=sorted(set(fields) | {"version"}))
    return fresh


def _require_prescriber(user, patient, what: str):
    if not access.can(user, "prescribing", "write", patient):
        raise PermissionDenied(f"Only a prescriber may {what}.")


def _refuse_bad_time(field: str, at: dt.datetime, *, after, after_what: str) -> None:
    """A session's clinical events happen in order and not in the future (the seed passes past times)."""
    problem = event_time_problem(at, now=timezone.now(), after=after, after_what=after_what)
    if problem:
        raise ValidationError({field: [problem]})
