from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models


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
    phone = models.CharField(max_length=20, blank=True, db_index=True, help_text="E.164, e.g. +14155550123")
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    timezone = models.CharField(max_length=64, default="UTC")
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.OTHER, db_index=True)
    specialization = models.ForeignKey(
        "experts.Specialization", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    estimated_value = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
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

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(email="", phone=""), name="lead_has_email_or_phone"),
        ]

    def __str__(self) -> str:
        return f"{self.company_name} ({self.contact_name})"


class Deal(models.Model):
    """What a converted lead closed for. One per lead; the commission hangs off it."""

    class Status(models.TextChoices):
        WON = "won", "Won"
        REFUNDED = "refunded", "Refunded"
        CANCELLED = "cancelled", "Cancelled"

    lead = models.OneToOneField(Lead, on_delete=models.PROTECT, related_name="deal")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="deals")
    value = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.WON, db_index=True)
    closed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-closed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.lead.company_name}: {self.value} {self.currency}"
