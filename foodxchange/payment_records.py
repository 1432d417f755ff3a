"""The shapes every paid flow records (consultations, engagement milestones): status
events, the client's charge, refunds, the expert's transfer, an append-only money
ledger and the payment provider's webhook events. Abstract models: each app keeps its
own tables, foreign keys, constraints and triggers, and adds them on top."""

from typing import Any

from django.conf import settings
from django.db import models


class StatusEvent(models.Model):
    """One status change of a paid object: who, when, why."""

    transition = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_role = models.CharField(max_length=10, help_text="client, expert, staff or system")
    reason = models.TextField(blank=True, max_length=2000)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.transition}: {self.from_status} → {self.to_status}"


class ProviderCharge(models.Model):
    """The client's charge at the payment provider (a PaymentIntent, automatic capture)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting payment"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    provider = models.CharField(max_length=40)
    intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    charge_id = models.CharField(max_length=255, blank=True, help_text="source_transaction of the transfer")
    client_secret = models.CharField(max_length=255, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=3)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    failure_message = models.CharField(max_length=500, blank=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"Payment {self.intent_id or '(not sent)'} {self.amount} {self.currency} ({self.status})"


class ProviderRefund(models.Model):
    """Money given back to the client, sent to the provider once (``idempotency_key``)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending (to be sent)"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    amount = models.DecimalField(max_digits=14, decimal_places=3)
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=40)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    provider_id = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    failure_message = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]


class ProviderTransfer(models.Model):
    """The expert's share, paid by a transfer to their connected account."""

    class Status(models.TextChoices):
        PENDING_ACCOUNT = "pending_account", "Waiting for the expert's payout account"
        PENDING = "pending", "Pending (to be sent)"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"
        REVERSED = "reversed", "Reversed"

    amount = models.DecimalField(max_digits=14, decimal_places=3)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    destination = models.CharField(max_length=255, blank=True)
    provider_id = models.CharField(max_length=255, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    failure_message = models.CharField(max_length=500, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ImmutableLedgerError(Exception):
    """Raised on any attempt to change or delete a ledger row."""


class LedgerQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise ImmutableLedgerError("Ledger rows are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableLedgerError("Ledger rows are append-only.")


class MoneyLedgerEntry(models.Model):
    """One money movement, from the platform's point of view: a charge (plus), a refund
    (minus), a transfer to the expert (minus), the platform fee kept (informational split
    of the charge). Never changed: a correction is a new row. Each concrete ledger adds
    its foreign keys and a database trigger refusing UPDATE and DELETE."""

    class Kind(models.TextChoices):
        CHARGE = "charge", "Charge"
        REFUND = "refund", "Refund"
        FEE = "fee", "Platform fee"
        TRANSFER = "transfer", "Transfer to expert"

    kind = models.CharField(max_length=10, choices=Kind.choices, db_index=True)
    amount = models.DecimalField(max_digits=14, decimal_places=3, help_text="Signed, rounded to the currency")
    amount_minor = models.BigIntegerField(help_text="The same amount in minor units (what the provider saw)")
    currency = models.CharField(max_length=3)
    idempotency_key = models.CharField(max_length=255, unique=True)
    external_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]
        verbose_name_plural = "ledger entries"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableLedgerError("Ledger rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableLedgerError("Ledger rows are append-only.")


class ProviderWebhookEvent(models.Model):
    """A webhook event, stored before it is acted on: each id is handled once, whatever
    the provider retries."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    processed_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
