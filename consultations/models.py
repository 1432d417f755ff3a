"""Consultations: a paid, scheduled session with one expert for one service.

The lifecycle lives in ``consultations.lifecycle`` (transitions as data) and is driven
only by ``consultations.services``. The money tables (``LedgerEntry``) are append-only,
enforced by PostgreSQL triggers and, on SQLite, by the model and queryset guards."""

import secrets
import uuid

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q

from foodxchange.payment_records import (
    MoneyLedgerEntry,
    ProviderCharge,
    ProviderRefund,
    ProviderTransfer,
    ProviderWebhookEvent,
    StatusEvent,
)

# Statuses that occupy the expert's time. The PostgreSQL exclusion constraint (migration
# 0002) lists the same ones: two overlapping rows in these statuses can never coexist.
HOLDING_STATUSES = ("pending_payment", "requested", "confirmed")


class Consultation(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", "Pending payment (slot held)"
        REQUESTED = "requested", "Requested (paid, awaiting the expert)"
        CONFIRMED = "confirmed", "Confirmed"
        COMPLETED = "completed", "Completed (review window open)"
        RELEASED = "released", "Released (expert paid)"
        EXPIRED = "expired", "Expired"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled"
        DISPUTED = "disputed", "Disputed"
        REFUNDED = "refunded", "Refunded"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    expert = models.ForeignKey("experts.ExpertProfile", on_delete=models.PROTECT, related_name="consultations")
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consultations")
    service = models.ForeignKey("experts.ExpertService", on_delete=models.PROTECT, related_name="consultations")
    # Frozen at booking: later edits of the service change no existing booking.
    service_title = models.CharField(max_length=200)
    start = models.DateTimeField(db_index=True)
    end = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField()
    price = models.DecimalField(max_digits=14, decimal_places=3)
    currency = models.CharField(max_length=3)
    platform_fee = models.DecimalField(max_digits=14, decimal_places=3)
    policy = models.JSONField(help_text="Cancellation policy frozen at booking")
    notes = models.TextField(blank=True, max_length=2000)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT, db_index=True)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    respond_by = models.DateTimeField(null=True, blank=True, help_text="The expert answers by then or it expires")
    review_closes_at = models.DateTimeField(null=True, blank=True)
    reschedule_count = models.PositiveSmallIntegerField(default=0)
    ics_sequence = models.PositiveIntegerField(default=0)
    meeting_url = models.URLField(blank=True, max_length=500)
    reminders_sent = models.JSONField(default=list, blank=True, help_text="Hours-before marks already sent")
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001 (NULL = no key; unique only when set)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=10, blank=True, help_text="client, expert or system")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="consultation_end_after_start"),
            models.CheckConstraint(condition=Q(price__gte=0), name="consultation_price_not_negative"),
            models.CheckConstraint(
                condition=Q(platform_fee__gte=0) & Q(platform_fee__lte=models.F("price")),
                name="consultation_fee_within_price",
            ),
            models.UniqueConstraint(
                fields=["client", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="consultation_client_idempotency_key",
            ),
        ]
        indexes = [
            models.Index(fields=["expert", "status", "start"]),
            models.Index(fields=["client", "start"]),
            models.Index(fields=["status", "hold_expires_at"]),
        ]

    def __str__(self) -> str:
        return f"Consultation #{self.pk} {self.service_title} @ {self.start:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def ics_uid(self) -> str:
        return f"consultation-{self.reference}@foodxchange"


class ConsultationEvent(StatusEvent):
    """One status change (or a reschedule): who, when, why."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="events")

    class Meta(StatusEvent.Meta):
        pass


class Payment(ProviderCharge):
    """The client's charge for one consultation (a PaymentIntent, automatic capture)."""

    consultation = models.OneToOneField(Consultation, on_delete=models.PROTECT, related_name="payment")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Payment {self.intent_id or '(not created)'} {self.amount} {self.currency} ({self.status})"


class Refund(ProviderRefund):
    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="refunds")
    reason = models.CharField(max_length=40, help_text="declined, cancelled, expired, dispute…")

    class Meta(ProviderRefund.Meta):
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"Refund {self.amount} {self.currency} of #{self.consultation_id} ({self.status})"


class Transfer(ProviderTransfer):
    """The expert's share, paid by a transfer when the consultation is released."""

    consultation = models.OneToOneField(Consultation, on_delete=models.PROTECT, related_name="transfer")

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="transfer_amount_not_negative")]

    def __str__(self) -> str:
        return f"Transfer {self.amount} {self.currency} for #{self.consultation_id} ({self.status})"


class LedgerEntry(MoneyLedgerEntry):
    """A consultation's money movements (see ``MoneyLedgerEntry``)."""

    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="ledger")

    class Meta(MoneyLedgerEntry.Meta):
        triggers = [
            pgtrigger.Protect(name="consultation_ledger_append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} (#{self.consultation_id})"


class Review(models.Model):
    consultation = models.OneToOneField(Consultation, on_delete=models.PROTECT, related_name="review")
    expert = models.ForeignKey("experts.ExpertProfile", on_delete=models.CASCADE, related_name="reviews")
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews_written")
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True, max_length=5000)
    reply = models.TextField(blank=True, max_length=5000)
    replied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(rating__gte=1) & Q(rating__lte=5), name="review_rating_1_5")]
        indexes = [models.Index(fields=["expert", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.rating}★ for expert #{self.expert_id}"


class InvoiceCounter(models.Model):
    """The last invoice number used in a year; locked to hand out the next one."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Invoice(models.Model):
    consultation = models.OneToOneField(Consultation, on_delete=models.PROTECT, related_name="invoice")
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=40, unique=True)
    currency = models.CharField(max_length=3)
    total = models.DecimalField(max_digits=14, decimal_places=3)
    platform_fee = models.DecimalField(max_digits=14, decimal_places=3)
    seller = models.JSONField()
    buyer = models.JSONField()
    lines = models.JSONField()
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["-year", "-sequence"]
        constraints = [models.UniqueConstraint(fields=["year", "sequence"], name="invoice_year_sequence_unique")]

    def __str__(self) -> str:
        return self.number


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """The secret behind a user's ICS feed URL; rotating replaces it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    rotated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"calendar feed of {self.user}"


class CalendarInvitation(models.Model):
    """One ICS invitation e-mail to one participant; the row makes sending idempotent."""

    class Method(models.TextChoices):
        REQUEST = "REQUEST", "Request"
        CANCEL = "CANCEL", "Cancel"

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(max_length=8, choices=Method.choices)
    sequence = models.PositiveIntegerField()
    ics = models.TextField()
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "user", "sequence", "method"], name="calendar_invitation_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.method} #{self.sequence} of consultation #{self.consultation_id} to {self.user}"


class StripeEvent(ProviderWebhookEvent):
    """A webhook event of the consultations endpoint."""
