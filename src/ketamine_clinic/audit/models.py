"""The audit log: one row for every read and write of patient data. Append-only.

Rows are never updated or deleted: the model refuses it, and database triggers (see the migration) refuse
it to any SQL that bypasses the ORM.
"""

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        LIST = "list", "Listed"
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        DELETE = "delete", "Deleted"
        OVERRIDE = "override", "Overrode a clinical limit"
        EXPORT = "export", "Exported"
        DENIED = "denied", "Access denied"
        LOGIN = "login", "Logged in"
        LOGOUT = "logout", "Logged out"
        LOGIN_FAILED = "login_failed", "Failed login"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    # The username and role at the time, so the row stays readable if the account changes later.
    username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    patient = models.ForeignKey("patients.Patient", null=True, on_delete=models.PROTECT, related_name="+")
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=60, blank=True)
    method = models.CharField(max_length=10, blank=True)
    path = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient", "-at"]), models.Index(fields=["user", "-at"])]

    def __str__(self):
        at = timezone.localtime(self.at) if self.at else self.at
        return f"{at:%Y-%m-%d %H:%M:%S} {self.username} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError("Audit events are append-only; they cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only; they cannot be deleted.")

    @property
    def role_label(self) -> str:
        """The role as the clinic says it ("Front desk"), not its stored value ("front_desk")."""
        from ketamine_clinic.choices import Role

        try:
            return Role(self.role).label
        except ValueError:
            return self.role

    @property
    def detail_text(self) -> str:
        """The detail as a line a person reads ("fields: phone, email; q: smith"), at most 240 characters."""
        parts = []
        for key, value in (self.detail or {}).items():
            if isinstance(value, (list, tuple)):
                value = ", ".join(str(v) for v in value) if value else "none"
            elif isinstance(value, dict):
                value = ", ".join(f"{k}={v}" for k, v in value.items())
            parts.append(f"{str(key).replace('_', ' ')}: {value}")
        text = "; ".join(parts)
        return text if len(text) <= 240 else text[:239] + "…"

    @property
    def object_label(self) -> str:
        """What was touched in the clinic's words ("booster suggestion #1"), not the model label."""
        if not self.object_type:
            return ""
        try:
            name = apps.get_model(self.object_type)._meta.verbose_name
        except (LookupError, ValueError):
            name = self.object_type
        return f"{name} #{self.object_id}" if self.object_id else str(name)
