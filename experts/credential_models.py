"""Typed credentials: a seeded catalogue of food-industry credentials (SQF, PCQI,
HACCP, BRCGS…) and each expert's credentials of those types, verified by staff one by
one, with validity dates and a document."""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class CredentialType(models.Model):
    class Category(models.TextChoices):
        AUDITOR = "auditor", "Scheme auditor"
        PRACTITIONER = "practitioner", "Practitioner / consultant"
        TRAINING = "training", "Training certificate"
        RELIGIOUS = "religious", "Religious certification"
        INSPECTOR = "inspector", "Inspector"

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    category = models.CharField(max_length=20, choices=Category.choices)
    issuers = models.JSONField(default=list, blank=True, help_text="Usual issuing bodies (suggestions)")
    description = models.TextField(blank=True)
    # Free-text certification names that mean this type (for the migration and hints).
    aliases = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ExpertCredential(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"
        REVOKED = "revoked", "Revoked"

    expert = models.ForeignKey("experts.ExpertProfile", on_delete=models.CASCADE, related_name="credentials")
    credential_type = models.ForeignKey(CredentialType, on_delete=models.PROTECT, related_name="credentials")
    issuer = models.CharField(max_length=200)
    number = models.CharField(max_length=100, blank=True)
    scope = models.TextField(blank=True)
    valid_from = models.DateField(null=True, blank=True)
    expires_at = models.DateField(null=True, blank=True)
    document = models.ForeignKey(
        "experts.ExpertDocument", null=True, blank=True, on_delete=models.SET_NULL, related_name="credentials"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewer_note = models.TextField(blank=True)
    # Set once the expiry was recorded (ledger entry, status shown as expired).
    expiry_recorded_at = models.DateTimeField(null=True, blank=True)
    migrated_from = models.OneToOneField(
        "experts.Certification", null=True, blank=True, on_delete=models.SET_NULL, related_name="credential"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["expires_at", "id"]
        indexes = [models.Index(fields=["status", "expires_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(valid_from__isnull=True) | Q(expires_at__gt=F("valid_from")),
                name="credential_expires_after_valid_from",
            )
        ]

    def __str__(self) -> str:
        return f"{self.credential_type} — {self.issuer}"

    def is_expired(self, on: date | None = None) -> bool:
        return self.expires_at is not None and self.expires_at < (on or timezone.localdate())

    def display_status(self, on: date | None = None) -> str:
        """``valid`` / ``expired`` for verified credentials, else the review status."""
        if self.status == self.Status.VERIFIED:
            return "expired" if self.is_expired(on) else "valid"
        return self.status


class CredentialReminder(models.Model):
    """One expiry reminder; the unique key sends each threshold once per expiry date."""

    credential = models.ForeignKey(ExpertCredential, on_delete=models.CASCADE, related_name="reminders")
    days_before = models.PositiveIntegerField()
    expires_at = models.DateField()
    sent = models.BooleanField(default=True, help_text="False when a more urgent reminder covered it")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["credential", "days_before", "expires_at"], name="credential_reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.credential_id}: {self.days_before} days before {self.expires_at}"
