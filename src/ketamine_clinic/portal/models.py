"""What patients write themselves in the portal: their integration journal and messages to the care team.

Privacy is enforced here, in the querysets, so every page, API endpoint and export gets it for free:
a journal entry is private to the patient until they share it; staff (therapists included) only ever see
shared entries of patients they may open. Private entries are for the patient alone.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from ketamine_clinic import access


class JournalTag(models.TextChoices):
    INSIGHT = "insight", "Insight"
    EMOTION = "emotion", "Emotion"
    BODY = "body", "Body"
    RELATIONSHIPS = "relationships", "Relationships"


class JournalTiming(models.TextChoices):
    BEFORE = "before_session", "Before a session"
    AFTER = "after_session", "After a session"
    OTHER = "other", "Between sessions"


class JournalEntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        return access.journal_entries_for(user, self)


class JournalEntry(models.Model):
    """One integration journal entry, written by the patient before or after a session."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="journal_entries")
    written_at = models.DateTimeField(default=timezone.now, db_index=True)
    body = models.TextField("entry", max_length=20000)
    mood = models.PositiveSmallIntegerField(
        "mood (0-10)",
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
        help_text="Optional: 0 = the lowest you can imagine, 10 = the best.",
    )
    tags = models.JSONField(default=list, blank=True)
    timing = models.CharField(max_length=20, choices=JournalTiming.choices, default=JournalTiming.OTHER)
    session = models.ForeignKey(
        "dosing.DosingSession",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="journal_entries",
        help_text="The session this entry is about, if any.",
    )
    shared = models.BooleanField(
        default=False, help_text="Shared entries are visible to your therapist and prescriber."
    )
    shared_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = JournalEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-written_at"]
        indexes = [models.Index(fields=["patient", "shared", "-written_at"])]
        verbose_name_plural = "journal entries"

    def __str__(self):
        return f"Journal entry of {self.patient} on {self.written_at:%Y-%m-%d}"

    def clean(self):
        unknown = [t for t in (self.tags or []) if t not in JournalTag.values]
        if unknown:
            raise ValidationError({"tags": f"Unknown tag(s): {', '.join(map(str, unknown))}."})
        if self.session_id and self.session.patient_id != self.patient_id:
            raise ValidationError({"session": "That session belongs to another patient."})

    def tag_labels(self) -> list[str]:
        return [JournalTag(t).label for t in self.tags if t in JournalTag.values]

    def mark_read(self, user) -> None:
        """``user`` (staff) has seen this shared entry: it no longer counts as new for them."""
        JournalEntryRead.objects.get_or_create(entry=self, user=user)

    def set_shared(self, shared: bool):
        if shared and not self.shared:
            self.shared_at = timezone.now()
        if not shared:
            self.shared_at = None
            if self.pk:
                self.reads.all().delete()  # shared again later, it is news again
        self.shared = shared


class MessageQuerySet(models.QuerySet):
    def visible_to(self, user):
        return access.messages_for(user, self)

    def unread_from_patients(self):
        return self.filter(from_patient=True, read_at__isnull=True)


class Message(models.Model):
    """A secure message in the thread between one patient and their care team."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_patient = models.BooleanField(help_text="True when the patient wrote it, False for the care team.")
    subject = models.CharField(max_length=120, blank=True)
    body = models.TextField(max_length=5000)
    sent_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Read by the other side: staff reading a patient's message, or the patient reading a reply.
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["sent_at"]
        indexes = [models.Index(fields=["patient", "from_patient", "read_at"])]

    def __str__(self):
        who = "patient" if self.from_patient else "care team"
        return f"Message from {who} ({self.patient}) at {self.sent_at:%Y-%m-%d %H:%M}"


class JournalEntryRead(models.Model):
    """A staff member has seen a shared journal entry (on the patient's follow-up tab): until then it counts in their
    "shared with you, not yet read" notice. Shared again after being made private, an entry is new again."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry", "user"], name="unique_journal_entry_read")]

    def __str__(self):
        return f"{self.user} read journal entry {self.entry_id}"
