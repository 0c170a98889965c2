"""The outbox (every email and text message the clinic sends, kept with what became of it) and each patient's
choice of how to be reminded."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class Message(models.Model):
    """One message to one person on one channel. Written before it is sent (the task worker sends it), so a
    failure leaves the message here, failed with its error, to be retried from the outbox page."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", "Appointment reminder"
        URGENT_PAGE = "urgent_page", "Urgent task page"
        URGENT_ESCALATION = "urgent_escalation", "Urgent task escalation"
        DIGEST = "digest", "Daily digest"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages_received"
    )
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.SET_NULL, related_name="outbox_messages",
        help_text="The patient the message is to or about (it is audited on their record).",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    address = models.CharField(max_length=254, blank=True, help_text="The email address or phone number.")
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # What the message is about: a record (content type + id) or, for a digest, a plain key.
    about_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    about_id = models.CharField(max_length=40, blank=True)
    about_key = models.CharField(max_length=100, blank=True)
    # Unique: a reminder or digest sweep that runs twice finds its message already written and sends nothing.
    dedupe_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    provider_id = models.CharField(max_length=200, blank=True, help_text="The SMS provider's message id.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.get_channel_display().lower()} to {self.address or '(none)'}"

    @property
    def recipient_name(self) -> str:
        if self.user_id:
            return self.user.get_full_name() or self.user.username
        if self.patient_id:
            return self.patient.full_name
        return ""


class ContactPreference(models.Model):
    """How a patient wants appointment reminders: by email, by text message, or not at all."""

    class Reminders(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"
        NONE = "none", "No reminders"

    patient = models.OneToOneField("patients.Patient", on_delete=models.CASCADE, related_name="contact_preference")
    channel = models.CharField("reminders", max_length=10, choices=Reminders.choices, default=Reminders.EMAIL)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.patient}: reminders by {self.get_channel_display().lower()}"

    @property
    def reminders_opted_out(self) -> bool:
        return self.channel == self.Reminders.NONE
