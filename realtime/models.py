from django.conf import settings
from django.db import models


class Notification(models.Model):
    """An in-app notification; also the source of real-time pushes and of the email /
    WhatsApp fan-out chosen by the user's preferences."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=64, db_index=True, help_text="e.g. lead.assigned, verification.decided")
    payload = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user}"
