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
    # Whether the user sees it in the inbox and gets it pushed to their sockets (their
    # ``in_app`` preference when it was created). The row exists either way: it is what
    # the email and WhatsApp deliveries hang from.
    in_app = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Channel(models.TextChoices):
    IN_APP = "in_app", "In-app"
    EMAIL = "email", "Email"
    WHATSAPP = "whatsapp", "WhatsApp"


# The event kinds apps send, with a human title and the default channels of a user who
# never changed their preferences. WhatsApp is opt-in everywhere (it needs consent).
KIND_DEFAULTS: dict[str, dict] = {
    "lead.assigned": {"title": "A lead was assigned to you", "in_app": True, "email": True, "whatsapp": False},
    "verification.decided": {
        "title": "Your verification was decided",
        "in_app": True,
        "email": True,
        "whatsapp": False,
    },
    "commission.earned": {"title": "You earned a commission", "in_app": True, "email": False, "whatsapp": False},
    "commission.paid": {"title": "A commission was paid out", "in_app": True, "email": True, "whatsapp": False},
    "tier.changed": {"title": "Your commission tier changed", "in_app": True, "email": True, "whatsapp": False},
    "backup.failed": {"title": "A backup failed", "in_app": True, "email": True, "whatsapp": False},
    "consultation.requested": {
        "title": "A consultation was requested",
        "in_app": True,
        "email": True,
        "whatsapp": False,
    },
    "consultation.confirmed": {
        "title": "A consultation was confirmed",
        "in_app": True,
        "email": True,
        "whatsapp": False,
    },
    "consultation.declined": {"title": "A consultation was declined", "in_app": True, "email": True, "whatsapp": False},
    "consultation.cancelled": {
        "title": "A consultation was cancelled",
        "in_app": True,
        "email": True,
        "whatsapp": False,
    },
    "consultation.rescheduled": {"title": "A consultation was moved", "in_app": True, "email": True, "whatsapp": False},
    "consultation.completed": {
        "title": "A consultation was completed",
        "in_app": True,
        "email": True,
        "whatsapp": False,
    },
    "consultation.released": {
        "title": "A consultation payment was released",
        "in_app": True,
        "email": True,
        "whatsapp": False,
    },
    "consultation.reminder": {"title": "A consultation starts soon", "in_app": True, "email": True, "whatsapp": False},
    "consultation.expired": {"title": "A consultation expired", "in_app": True, "email": True, "whatsapp": False},
    "consultation.disputed": {"title": "A consultation is disputed", "in_app": True, "email": True, "whatsapp": False},
    "consultation.refunded": {"title": "A consultation was refunded", "in_app": True, "email": True, "whatsapp": False},
}
# Kinds nobody registered yet: in-app only.
UNKNOWN_KIND_DEFAULTS = {"in_app": True, "email": False, "whatsapp": False}


def default_channels(kind: str) -> dict[str, bool]:
    defaults = KIND_DEFAULTS.get(kind, UNKNOWN_KIND_DEFAULTS)
    return {channel: bool(defaults[channel]) for channel in Channel.values}


def kind_title(kind: str) -> str:
    return KIND_DEFAULTS.get(kind, {}).get("title") or kind.replace(".", " ").replace("_", " ").capitalize()


class NotificationPreference(models.Model):
    """A user's choice of channels for one kind of event. No row = the kind's defaults."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=64)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=False)
    whatsapp = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user_id", "kind"]
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="realtime_pref_user_kind_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind}"

    def channels(self) -> dict[str, bool]:
        return {channel: getattr(self, channel) for channel in Channel.values}


class NotificationDelivery(models.Model):
    """One outbound copy of a notification (email or WhatsApp). The unique
    (notification, channel) pair is the idempotency key: a retried or duplicated task
    finds the row already sent and sends nothing."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending (claimed by a worker)"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (will retry)"
        SKIPPED = "skipped", "Skipped"

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(
        max_length=16, choices=[(Channel.EMAIL.value, "Email"), (Channel.WHATSAPP.value, "WhatsApp")]
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    recipient = models.CharField(max_length=254, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    provider_id = models.CharField(max_length=128, blank=True, help_text="Message id returned by the provider")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The claim of the worker sending it: the provider is called between the claim's
    # transaction and the record's, never under a lock.
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "notification deliveries"
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="realtime_delivery_once_per_channel")
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.notification_id} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        return f"notification-{self.notification_id}-{self.channel}"


class WhatsAppConsent(models.Model):
    """A user's consent to WhatsApp messages (required by WhatsApp before any business
    message). No row = not opted in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="whatsapp_consent"
    )
    opted_in = models.BooleanField(default=False)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "WhatsApp consent"

    def __str__(self) -> str:
        return f"{self.user}: {'opted in' if self.opted_in else 'opted out'}"


class WhatsAppTemplate(models.Model):
    """The approved WhatsApp template (a Twilio Content SID) for one notification kind.
    Outside the user's 24 h session WhatsApp accepts only approved templates, so a kind
    without one sends no WhatsApp copy. Variables: {{1}} title, {{2}} message, {{3}} link."""

    kind = models.CharField(max_length=64, unique=True)
    content_sid = models.CharField(max_length=64, help_text="Twilio Content SID (HX…)")
    approved = models.BooleanField(default=False, help_text="Approved by WhatsApp for business-initiated messages")
    note = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind"]
        verbose_name = "WhatsApp template"

    def __str__(self) -> str:
        return f"{self.kind} → {self.content_sid}{'' if self.approved else ' (not approved)'}"
