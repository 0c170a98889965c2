"""The demo's portal: integration journal entries (some shared, some private) and secure messages.

Synthetic text only. Idempotent: nothing is added if any demo patient already has a journal entry.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ketamine_clinic.accounts.models import Role
from ketamine_clinic.portal.models import JournalEntry, Message

ENTRIES = [
    (
        "before_session",
        ["emotion"],
        "Nervous about tomorrow. Setting an intention: to stay curious about whatever comes up.",
    ),
    (
        "after_session",
        ["insight"],
        "Felt like watching my worries from a distance. They were still there but smaller.",
    ),
    (
        "after_session",
        ["body"],
        "Very tired this evening, heavy limbs, slept ten hours. Mood noticeably lighter on waking.",
    ),
    (
        "after_session",
        ["relationships", "emotion"],
        "Called my brother for the first time in months. It was awkward but good.",
    ),
    (
        "other",
        ["insight"],
        "Noticed I have stopped checking the news first thing. Small thing, feels important.",
    ),
    (
        "other",
        ["emotion"],
        "Hard week. The old heaviness came back on Thursday. Writing it down so I can tell the team.",
    ),
    ("before_session", ["body"], "Headache this morning; drank water, will mention it at check-in."),
]
PATIENT_MESSAGES = [
    ("Driving", "Is it all right to drive to work the morning after my session?"),
    ("Appointment", "Could I move Thursday's session to the afternoon?"),
    ("Side effect", "I felt a bit nauseous on the way home last time. Anything I can do?"),
]
REPLIES = [
    "Please don't drive until the next day after a restful sleep. If you feel fully alert the next morning, that is fine.",
    "We can offer 2 pm on Thursday; reception will confirm by phone.",
    "Thanks for telling us. Please avoid eating for a few hours beforehand; we can also offer anti-nausea medicine.",
]


def seed(clinic) -> None:
    active = [p for p in clinic.patients if p.phase in ("induction", "maintenance")]
    if not active or JournalEntry.objects.filter(patient__in=clinic.patients).exists():
        return
    staff = clinic.staff[Role.THERAPIST][0], clinic.staff[Role.NURSE][0]
    with_login = [p for p in active if p.user_id]
    for patient in with_login + [p for p in active if not p.user_id][:6]:
        _journal(clinic, patient)
    for i, patient in enumerate(with_login + active[len(with_login) : len(with_login) + 3]):
        if patient.user is not None:
            _messages(clinic, patient, i, staff)


def _journal(clinic, patient) -> None:
    """Three to five journal entries, before or after the patient's latest sessions or in between."""
    rng, now = clinic.rng, clinic.now
    sessions = list(patient.dosing_sessions.filter(scheduled_for__lt=now).order_by("-scheduled_for")[:4])
    for i in range(rng.randint(3, 5)):
        timing, tags, body = rng.choice(ENTRIES)
        session = sessions[i % len(sessions)] if sessions and timing != "other" else None
        if session is not None:
            offset = dt.timedelta(hours=-14) if timing == "before_session" else dt.timedelta(hours=8)
            written = min(session.scheduled_for + offset, now)
        else:
            written = now - dt.timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 12))
        entry = JournalEntry(
            patient=patient,
            written_at=written,
            body=body,
            mood=rng.choice([None, 3, 4, 5, 6, 7, 8]),
            tags=list(tags),
            timing=timing,
            session=session,
        )
        # About half are shared; the first entry of each patient stays private so the demo shows both.
        entry.set_shared(i > 0 and rng.random() < 0.6)
        if entry.shared:
            entry.shared_at = written
        entry.save()


def _messages(clinic, patient, i: int, staff) -> None:
    """The ``i``-th patient's question and the team's reply, then a fresh unread one for the work list."""
    rng, now = clinic.rng, clinic.now
    sender = patient.user
    subject, body = PATIENT_MESSAGES[i % len(PATIENT_MESSAGES)]
    # Patients write when they like (07:00-21:59 clinic time); the team answers in clinic hours.
    sent = _clinic_time(timezone.localdate(now) - dt.timedelta(days=rng.randint(2, 10)), rng.randint(7, 21),
                        rng.choice([5, 20, 35, 50]))
    reply = _next_clinic_hours(sent)
    Message.objects.create(
        patient=patient,
        sender=sender,
        from_patient=True,
        subject=subject,
        body=body,
        sent_at=sent,
        read_at=reply - dt.timedelta(minutes=10),
        read_by=staff[0],
    )
    Message.objects.create(
        patient=patient,
        sender=staff[i % 2],
        from_patient=False,
        body=REPLIES[i % len(REPLIES)],
        sent_at=reply,
    )
    # A fresh, unread question for the work list: earlier today (clinic time), or yesterday evening.
    local_now = timezone.localtime(now)
    if local_now.hour >= 9:
        fresh = _clinic_time(local_now.date(), rng.randint(8, local_now.hour - 1), rng.choice([0, 15, 30, 45]))
    else:
        fresh = _clinic_time(local_now.date() - dt.timedelta(days=1), rng.randint(17, 21), rng.choice([0, 30]))
    Message.objects.create(
        patient=patient,
        sender=sender,
        from_patient=True,
        subject="Follow-up",
        body="Thank you. One more question: should I keep journaling every day?",
        sent_at=fresh,
    )


def _clinic_time(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """An aware datetime at ``hour:minute`` on ``day`` in the clinic's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _next_clinic_hours(sent: dt.datetime) -> dt.datetime:
    """When the care team answers a message sent at ``sent``: within the clinic's 09:00-17:00 day."""
    local = timezone.localtime(sent)
    if local.hour < 9:
        return _clinic_time(local.date(), 10, 15)
    if local.hour < 15:
        return sent + dt.timedelta(hours=2)
    return _clinic_time(local.date() + dt.timedelta(days=1), 9, 40)
