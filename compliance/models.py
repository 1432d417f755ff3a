"""The tamper-evident ledger, verifiable certificates and the clients' certificate vault.

Ledger rows are append-only three times over: the model refuses ``save()`` on an
existing row and ``delete()``, the queryset refuses ``update()``/``delete()``, and the
database refuses UPDATE/DELETE with triggers (pgtrigger on PostgreSQL, plain
triggers on SQLite) so raw SQL cannot quietly rewrite history either. Tampering by
someone who can disable triggers is still caught: every entry is hash-chained and
signed, and ``verify_ledger`` names the first bad one."""

from __future__ import annotations

import uuid
from typing import Any

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q

GENESIS_HASH = "0" * 64


class ImmutableLedgerError(Exception):
    """Raised when code tries to change or remove a ledger entry."""


class LedgerKind(models.TextChoices):
    EXPERT_VERIFIED = "expert.verified", "Expert verified"
    EXPERT_REJECTED = "expert.rejected", "Expert rejected"
    CREDENTIAL_VERIFIED = "credential.verified", "Credential verified"
    CREDENTIAL_REJECTED = "credential.rejected", "Credential rejected"
    CREDENTIAL_EXPIRED = "credential.expired", "Credential expired"
    CREDENTIAL_REVOKED = "credential.revoked", "Credential revoked"
    CERTIFICATE_ISSUED = "certificate.issued", "Certificate issued"
    CERTIFICATE_REVOKED = "certificate.revoked", "Certificate revoked"
    CONSULTATION_RELEASED = "consultation.released", "Consultation released"
    MILESTONE_RELEASED = "milestone.released", "Milestone released"


class LedgerQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise ImmutableLedgerError("Ledger entries are append-only; record a new entry instead.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableLedgerError("Ledger entries are append-only and cannot be deleted.")


class LedgerEntry(models.Model):
    seq = models.PositiveBigIntegerField(unique=True)
    kind = models.CharField(max_length=40, choices=LedgerKind.choices)
    subject = models.CharField(max_length=100, help_text="What the entry is about, e.g. expert:12")
    payload = models.TextField(help_text="Canonical JSON (sorted keys, no spaces)")
    payload_hash = models.CharField(max_length=64)
    # Unique: two entries can never claim the same predecessor (no forks).
    prev_hash = models.CharField(max_length=64, unique=True)
    entry_hash = models.CharField(max_length=64, unique=True)
    signature = models.CharField(max_length=100, help_text="Ed25519 over entry_hash, base64")
    key_id = models.CharField(max_length=16, help_text="Fingerprint of the signing public key")
    created_at = models.DateTimeField()

    objects = LedgerQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["kind", "seq"]), models.Index(fields=["subject", "seq"])]
        constraints = [models.CheckConstraint(condition=Q(seq__gte=1), name="compliance_ledger_seq_positive")]
        triggers = [
            # The SQLite triggers are created by migration 0002 (pgtrigger is PostgreSQL only).
            pgtrigger.Protect(name="ledger_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} {self.subject}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableLedgerError("Ledger entries are append-only; record a new entry instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableLedgerError("Ledger entries are append-only and cannot be deleted.")


class Certificate(models.Model):
    class Kind(models.TextChoices):
        EXPERT_VERIFICATION = "expert_verification", "Verified expert"
        CONSULTATION_COMPLETION = "consultation_completion", "Completed consultation"
        ENGAGEMENT_COMPLETION = "engagement_completion", "Completed engagement"

    # Random ids: a certificate's URL is public, its neighbours' should not be guessable.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    subject = models.CharField(max_length=100)
    title = models.CharField(max_length=200)
    # The public facts the certificate attests (names, dates, service): hashed into the
    # issuance entry, so any later edit of the row is detected by verify.
    details = models.JSONField(default=dict)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    document_hash = models.CharField(max_length=64)
    ledger_entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="certificate")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revocation_entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="revoked_certificate"
    )

    class Meta:
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["subject", "issued_at"])]
        constraints = [
            # Issuing is idempotent: one live certificate of a kind per subject.
            models.UniqueConstraint(
                fields=["kind", "subject"], condition=Q(revoked_at__isnull=True), name="compliance_one_live_certificate"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.subject}"

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class VaultStandard(models.TextChoices):
    BRCGS = "brcgs", "BRCGS Food Safety"
    SQF = "sqf", "SQF"
    FSSC_22000 = "fssc22000", "FSSC 22000"
    IFS = "ifs", "IFS Food"
    ISO_22000 = "iso22000", "ISO 22000"
    ORGANIC = "organic", "Organic"
    HALAL = "halal", "Halal"
    KOSHER = "kosher", "Kosher"


def vault_document_path(instance: VaultCertificate, filename: str) -> str:
    return f"vault/{instance.owner_id}/{uuid.uuid4().hex}{filename[filename.rfind('.') :] if '.' in filename else ''}"


class VaultCertificate(models.Model):
    """A certificate of one of the client's own sites (BRCGS, SQF…), kept so nobody
    misses a recertification."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vault_certificates")
    standard = models.CharField(max_length=20, choices=VaultStandard.choices)
    site = models.CharField(max_length=200)
    site_country = models.CharField(max_length=2, blank=True)
    certificate_number = models.CharField(max_length=100, blank=True)
    certification_body = models.CharField(max_length=200, blank=True)
    scope = models.TextField(blank=True)
    issued_at = models.DateField(null=True, blank=True)
    expires_at = models.DateField()
    next_audit_at = models.DateField(null=True, blank=True)
    document = models.FileField(upload_to=vault_document_path, blank=True)
    document_type = models.CharField(max_length=40, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["expires_at", "id"]
        indexes = [models.Index(fields=["owner", "expires_at"]), models.Index(fields=["expires_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(issued_at__isnull=True) | Q(expires_at__gt=models.F("issued_at")),
                name="compliance_vault_expiry_after_issue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_standard_display()} — {self.site}"


class VaultReminder(models.Model):
    """One reminder sent (or covered by a more urgent one): the unique key makes every
    threshold go out at most once per date, however often the job runs."""

    class Kind(models.TextChoices):
        EXPIRY = "expiry", "Expiry"
        AUDIT = "audit", "Next audit"

    certificate = models.ForeignKey(VaultCertificate, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    days_before = models.PositiveIntegerField()
    target_date = models.DateField()
    sent = models.BooleanField(default=True, help_text="False when a more urgent reminder covered it")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate", "kind", "days_before", "target_date"], name="compliance_vault_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.days_before} days before {self.target_date}"
