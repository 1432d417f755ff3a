from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from phonenumber_field.modelfields import PhoneNumberField

from foodxchange.models import MoneyField


class LeadQuerySet(models.QuerySet):
    def alive(self) -> "LeadQuerySet":
        """Leads that were not soft-deleted."""
        return self.filter(deleted_at__isnull=True)


class Lead(models.Model):
    """A prospective buyer an agent is working on."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        QUALIFIED = "qualified", "Qualified"
        PROPOSAL = "proposal", "Proposal"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    class Source(models.TextChoices):
        WEBSITE = "website", "Website"
        REFERRAL = "referral", "Referral"
        EVENT = "event", "Trade show / event"
        OUTBOUND = "outbound", "Outbound prospecting"
        WHATSAPP = "whatsapp", "WhatsApp"
        IMPORT = "import", "CSV import"
        RFQ = "rfq", "RFQ"
        OTHER = "other", "Other"

    company_name = models.CharField(max_length=200)
    contact_name = models.CharField(max_length=200)
    email = models.EmailField(blank=True, db_index=True)
    phone = PhoneNumberField(max_length=20, blank=True, db_index=True, help_text="E.164, e.g. +14155550123")
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    timezone = models.CharField(max_length=64, default="UTC")
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.OTHER, db_index=True)
    specialization = models.ForeignKey(
        "experts.Specialization", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    estimated_value = MoneyField(max_digits=15, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(max_length=3, default="USD")
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW, db_index=True)
    score = models.PositiveSmallIntegerField(default=0, db_index=True)
    score_breakdown = models.JSONField(default=dict, blank=True)
    whatsapp_opt_in = models.BooleanField(default=False)
    whatsapp_opted_out_at = models.DateTimeField(null=True, blank=True)
    last_contacted_at = models.DateTimeField(null=True, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True, help_text="Opens the 24 h WhatsApp window")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="leads_created"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads_assigned"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    nurture_sequence = models.ForeignKey(
        "leads.NurtureSequence",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        help_text="Follow-up sequence; empty means the default sequence.",
    )

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(email="", phone=""), name="lead_has_email_or_phone"),
            # One live lead per contact: duplicates are reported, never created.
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(deleted_at__isnull=True) & ~models.Q(email=""),
                name="lead_unique_live_email",
            ),
            models.UniqueConstraint(
                "phone",
                condition=models.Q(deleted_at__isnull=True) & ~models.Q(phone=""),
                name="lead_unique_live_phone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_name} ({self.contact_name})"

    @property
    def owner(self):
        """The agent who works the lead: the assignee, else the agent who created it.
        Staff never own a lead: one they made and never assigned has no owner."""
        for user in (self.assigned_to, self.created_by):
            if user is not None and user.role == "agent" and not user.is_staff and not user.is_superuser:
                return user
        return None

    @property
    def can_receive_whatsapp(self) -> bool:
        return bool(self.phone) and self.whatsapp_opt_in and self.whatsapp_opted_out_at is None


class LeadEvent(models.Model):
    """One row of a lead's history: who changed what (before/after), and when.
    Append-only."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        ASSIGNED = "assigned", "Assigned"
        STATUS_CHANGED = "status_changed", "Status changed"
        NOTE = "note", "Note added"
        MESSAGE = "message", "WhatsApp message"
        OPT_OUT = "opt_out", "Opted out of WhatsApp"
        OPT_IN = "opt_in", "Opted in to WhatsApp"
        CONVERTED = "converted", "Converted"
        DELETED = "deleted", "Deleted"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changes = models.JSONField(default=dict, blank=True, help_text='{"field": {"before": ..., "after": ...}}')
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["lead", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.lead_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Lead history rows are append-only.")
        super().save(*args, **kwargs)


class LeadNote(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="lead_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.body[:60]


class MessageTemplate(models.Model):
    """An approved WhatsApp template. ``body`` uses ``{{variable}}`` placeholders for
    the names listed in ``variables``; with a Twilio Content SID the approved content
    is sent and the body is kept as the readable copy in the message log."""

    name = models.SlugField(max_length=100, unique=True)
    language = models.CharField(max_length=10, default="en")
    body = models.TextField(help_text="Text with {{variable}} placeholders, e.g. Hello {{contact_name}}")
    variables = models.JSONField(default=list, blank=True, help_text='Variable names, e.g. ["contact_name"]')
    content_sid = models.CharField(
        max_length=64, blank=True, help_text="Twilio Content SID (HX…) of the approved template, if any"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        from leads.whatsapp import placeholders

        if not isinstance(self.variables, list) or not all(isinstance(v, str) for v in self.variables):
            raise ValidationError({"variables": "A list of variable names."})
        undeclared = placeholders(self.body) - set(self.variables)
        if undeclared:
            raise ValidationError({"body": f"Undeclared placeholders: {', '.join(sorted(undeclared))}."})


class WhatsAppMessage(models.Model):
    """The per-lead WhatsApp log. An outbound row is written before anything is sent;
    its unique idempotency key makes a retried send a no-op."""

    class Direction(models.TextChoices):
        OUTBOUND = "outbound", "Outbound"
        INBOUND = "inbound", "Inbound"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        READ = "read", "Read"
        FAILED = "failed", "Failed"
        UNDELIVERED = "undelivered", "Undelivered"
        RECEIVED = "received", "Received"

    class Origin(models.TextChoices):
        MANUAL = "manual", "Sent by an agent"
        NURTURE = "nurture", "Nurturing sequence"
        INBOUND = "inbound", "From the lead"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.MANUAL)
    template = models.ForeignKey(MessageTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    variables = models.JSONField(default=dict, blank=True)
    body = models.TextField()
    to_number = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    provider_sid = models.CharField(max_length=64, null=True, blank=True, unique=True)
    error_code = models.CharField(max_length=20, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The agent the message counts against (daily nurturing cap)",
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    nurture_step = models.ForeignKey(
        "leads.NurtureStep", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "WhatsApp message"
        indexes = [models.Index(fields=["agent", "origin", "created_at"])]

    def __str__(self) -> str:
        return f"{self.direction} {self.status} · lead {self.lead_id}"


class NurtureSequence(models.Model):
    """An ordered series of template follow-ups, sent while a lead stays quiet."""

    name = models.CharField(max_length=100, unique=True)
    is_active = models.BooleanField(default=True)
    is_default = models.BooleanField(
        default=False, help_text="Used for leads without a sequence of their own (only one can be the default)"
    )
    statuses = models.JSONField(
        default=list, blank=True, help_text='Pipeline statuses it applies to, e.g. ["new", "contacted"]'
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_nurture_sequence"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        if not isinstance(self.statuses, list):
            raise ValidationError({"statuses": 'A list of pipeline statuses, e.g. ["new", "contacted"].'})
        unknown = sorted(set(self.statuses) - set(Lead.Status.values))
        if unknown:
            raise ValidationError({"statuses": f"Unknown pipeline status(es): {', '.join(unknown)}."})

    def applies_to(self, status: str) -> bool:
        return not self.statuses or status in self.statuses


class NurtureStep(models.Model):
    sequence = models.ForeignKey(NurtureSequence, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    wait_days = models.PositiveSmallIntegerField(help_text="Days without contact before this follow-up is sent")
    template = models.ForeignKey(MessageTemplate, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["sequence", "position"]
        constraints = [models.UniqueConstraint(fields=["sequence", "position"], name="nurture_step_position_unique")]

    def __str__(self) -> str:
        return f"{self.sequence} #{self.position} after {self.wait_days} d"
