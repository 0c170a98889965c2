"""Daily digests to staff: what waits for them, once a day per person, by email.

The digest is built from DIGEST_SOURCES, the extension point: each source is a function ``source(now)`` that
returns ``[(user, line), ...]``, one line per thing the user owns that is waiting. A new kind of work list (e.g.
REMS forms near their deadline) adds one function to the list. Lines say what and how many, never who: the
patients' names and details stay in the clinic's system; the email links to it.

The digest goes at the first sweep on or after settings.DIGEST_AT (clinic time) on a day the clinic is open;
its dedupe key is the day and the recipient, so it goes once a day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.core.administration import rems_form as core_rems
from ketamine_clinic.inventory.models import Count, StorageLocation
from ketamine_clinic.notifications import services as notifications
from ketamine_clinic.notifications.models import Message
from ketamine_clinic.scheduling.services import clinic_calendar
from ketamine_clinic.sessions.models import DosingSession, SessionNote

SUBJECT = "ketamine-clinic: your daily digest"

DigestSource = Callable[[dt.datetime], list[tuple[object, str]]]


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def unsigned_notes(now: dt.datetime) -> list[tuple[object, str]]:
    """Session notes generated and not yet signed, for the session's prescriber (else the patient's primary)."""
    waiting = defaultdict(int)
    for note in SessionNote.objects.filter(signed_at__isnull=True).select_related("session__prescriber",
                                                                                  "session__patient"):
        owner = note.session.prescriber or note.session.patient.primary_prescriber()
        if owner is not None and owner.is_active:
            waiting[owner] += 1
    return [(user, f"{_plural(n, 'session note waits', 'session notes wait')} for your signature.")
            for user, n in waiting.items()]


def counts_not_recorded(now: dt.datetime) -> list[tuple[object, str]]:
    """The end-of-day count: every active safe without a count today, for the director and the nurses (the
    inventory has no count schedule of its own; a daily count of each safe is the clinic's routine)."""
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    counted = set(
        Count.objects.filter(performed_at__gte=start, performed_at__lt=start + dt.timedelta(days=1))
        .values_list("location_id", flat=True)
    )
    missing = [loc.name for loc in StorageLocation.objects.filter(active=True) if loc.pk not in counted]
    if not missing:
        return []
    line = f"Today's count is not recorded yet for: {', '.join(missing)}."
    staff = get_user_model().objects.filter(role__in=("director", "nurse"), is_active=True)
    return [(user, line) for user in staff]


REMS_WARN_DAYS = 2  # clinic-defined: a form is "near its deadline" with this many days or fewer left of the 7


def rems_forms_near_deadline(now: dt.datetime) -> list[tuple[object, str]]:
    """SPRAVATO REMS forms not yet submitted with REMS_WARN_DAYS or fewer left (or overdue), for the session's
    nurse and prescriber; overdue ones also for the medical director, who answers for the certified setting."""
    today = timezone.localdate(now)
    waiting = defaultdict(lambda: [0, 0])  # user -> [near, overdue]
    sessions = (
        DosingSession.objects.filter(route=core_rems.ROUTE, dosing_started_at__isnull=False)
        .exclude(rems_form__submitted_on__isnull=False)
        .select_related("nurse", "prescriber")
    )
    directors = list(get_user_model().objects.filter(role="director", is_active=True))
    for session in sessions:
        due = core_rems.deadline(timezone.localdate(session.dosing_started_at), today)
        if due.days_left > REMS_WARN_DAYS:
            continue
        owners = {u for u in (session.nurse, session.prescriber) if u is not None and u.is_active}
        if due.overdue:
            owners.update(directors)
        for user in owners:
            waiting[user][1 if due.overdue else 0] += 1
    def forms(n: int) -> str:
        return f"{n} REMS monitoring form{' is' if n == 1 else 's are'}"

    lines = []
    for user, (near, overdue) in waiting.items():
        parts = ([f"{forms(overdue)} overdue"] if overdue else []) + (
            [f"{forms(near)} due within {REMS_WARN_DAYS} days"] if near else [])
        lines.append((user, "; ".join(parts) + f" (each is due {core_rems.SUBMIT_WITHIN_DAYS} days after its treatment)."))
    return lines


# The extension point: add a source here (a function of ``now`` returning ``[(user, line), ...]``).
DIGEST_SOURCES: list[DigestSource] = [unsigned_notes, counts_not_recorded, rems_forms_near_deadline]


def digest_due(now: dt.datetime) -> bool:
    local = timezone.localtime(now)
    return clinic_calendar().is_open(local.date()) and local.time() >= settings.DIGEST_AT


def send_digests(now: dt.datetime | None = None, sources: list[DigestSource] | None = None) -> list[Message]:
    """Queue today's digest for everyone with something waiting (nothing before DIGEST_AT or on a closed day)."""
    now = now or timezone.now()
    if not digest_due(now):
        return []
    lines = defaultdict(list)
    for source in DIGEST_SOURCES if sources is None else sources:
        for user, line in source(now):
            lines[user].append(line)
    day = timezone.localdate(now)
    link = notifications.portal_link(reverse("home"))
    written = []
    for user, items in lines.items():
        body = (
            f"Hello {user.first_name or user.username},\n\nWaiting for you in ketamine-clinic today:\n\n"
            + "\n".join(f"- {item}" for item in items)
            + f"\n\nSign in to see them: {link}\n"
        )
        written += notifications.page_staff(
            [user], kind=Message.Kind.DIGEST, subject=SUBJECT, body=body, key=f"{day.isoformat()}",
        )
    return written
