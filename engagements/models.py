"""Engagements: project work on an RFQ, paid milestone by milestone.

A quote (milestones with amounts and due dates, one currency) by an invited expert is
accepted by the RFQ's client and becomes an engagement. Each milestone is funded by a
charge into the platform before work starts and released by a transfer to the expert
(minus the platform fee) on approval. The lifecycle lives in ``engagements.lifecycle``
and is driven only by ``engagements.services``. ``LedgerEntry`` is append-only
(PostgreSQL trigger, and model/queryset guards on SQLite)."""

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


class Quote(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    rfq = models.ForeignKey("matching.Rfq", on_delete=models.PROTECT, related_name="quotes")
    expert = models.ForeignKey("experts.ExpertProfile", on_delete=models.PROTECT, related_name="quotes")
    message = models.TextField(blank=True, max_length=5000)
    currency = models.CharField(max_length=3)
    total = models.DecimalField(max_digits=14, decimal_places=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="quote_total_positive"),
            # One live quote per expert and RFQ (a declined one may be followed by another).
            models.UniqueConstraint(
                fields=["rfq", "expert"], condition=Q(status="open"), name="quote_one_open_per_expert"
            ),
        ]

    def __str__(self) -> str:
        return f"Quote #{self.pk} on RFQ #{self.rfq_id}: {self.total} {self.currency} ({self.status})"


class QuoteMilestone(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="milestones")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=14, decimal_places=3)
    due_date = models.DateField()

    class Meta:
        ordering = ["quote", "position"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="quote_milestone_amount_positive"),
            models.UniqueConstraint(fields=["quote", "position"], name="quote_milestone_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title} ({self.amount})"


class Engagement(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    rfq = models.OneToOneField("matching.Rfq", on_delete=models.PROTECT, related_name="engagement")
    quote = models.OneToOneField(Quote, on_delete=models.PROTECT, related_name="engagement")
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="engagements")
    expert = models.ForeignKey("experts.ExpertProfile", on_delete=models.PROTECT, related_name="engagements")
    title = models.CharField(max_length=200)
    currency = models.CharField(max_length=3)
    # Frozen at acceptance: a later change of the setting changes no running engagement.
    fee_percent = models.DecimalField(max_digits=5, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fee_percent__gte=0) & Q(fee_percent__lte=100), name="engagement_fee_percent_0_100"
            )
        ]

    def __str__(self) -> str:
        return f"Engagement #{self.pk} {self.title} ({self.status})"


class ChangeOrder(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    engagement = models.ForeignKey(Engagement, on_delete=models.PROTECT, related_name="change_orders")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposer_role = models.CharField(max_length=10, help_text="client or expert")
    title = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=14, decimal_places=3)
    due_date = models.DateField()
    note = models.TextField(blank=True, max_length=5000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="change_order_amount_positive")]

    def __str__(self) -> str:
        return f"Change order #{self.pk} {self.title} ({self.status})"


class Milestone(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending (not funded)"
        FUNDED = "funded", "Funded (work in progress)"
        SUBMITTED = "submitted", "Submitted (in review)"
        RELEASED = "released", "Released (expert paid)"
        DISPUTED = "disputed", "Disputed"
        REFUNDED = "refunded", "Refunded"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    engagement = models.ForeignKey(Engagement, on_delete=models.PROTECT, related_name="milestones")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=14, decimal_places=3)
    currency = models.CharField(max_length=3)
    platform_fee = models.DecimalField(max_digits=14, decimal_places=3)
    due_date = models.DateField()
    change_order = models.OneToOneField(
        ChangeOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="milestone"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    submission_note = models.TextField(blank=True, max_length=5000)
    # Workspace attachments delivered with the last submission, and their hashes once approved.
    attachment_ids = models.JSONField(default=list, blank=True)
    deliverables = models.JSONField(default=list, blank=True, help_text="name, size, sha256 of approved files")
    submission_count = models.PositiveSmallIntegerField(default=0)
    funded_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    review_closes_at = models.DateTimeField(null=True, blank=True, db_index=True)
    released_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["engagement", "position"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="milestone_amount_positive"),
            models.CheckConstraint(
                condition=Q(platform_fee__gte=0) & Q(platform_fee__lte=models.F("amount")),
                name="milestone_fee_within_amount",
            ),
            models.UniqueConstraint(fields=["engagement", "position"], name="milestone_position_unique"),
        ]
        indexes = [models.Index(fields=["status", "review_closes_at"], name="milestone_review_due_idx")]

    def __str__(self) -> str:
        return f"Milestone #{self.pk} {self.title} ({self.status})"


class MilestoneEvent(StatusEvent):
    """One transition of a milestone: who, when, why."""

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="events")
    reason = models.TextField(blank=True, max_length=5000)

    class Meta(StatusEvent.Meta):
        pass


class MilestonePayment(ProviderCharge):
    """The client's charge for one milestone (a new row per attempt after a failure)."""

    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="payments")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="milestone_payment_amount_positive"),
            # Never two live charges for one milestone.
            models.UniqueConstraint(
                fields=["milestone"],
                condition=Q(status__in=["pending", "succeeded"]),
                name="milestone_one_live_payment",
            ),
        ]


class MilestoneRefund(ProviderRefund):
    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(MilestonePayment, on_delete=models.PROTECT, related_name="refunds")

    class Meta(ProviderRefund.Meta):
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="milestone_refund_amount_positive")]

    def __str__(self) -> str:
        return f"Refund {self.amount} {self.currency} of milestone #{self.milestone_id} ({self.status})"


class MilestoneTransfer(ProviderTransfer):
    """The expert's share of a released milestone. One per milestone, ever: the unique
    milestone column is what makes a release happen once under any concurrency."""

    milestone = models.OneToOneField(Milestone, on_delete=models.PROTECT, related_name="transfer")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="milestone_transfer_amount_not_negative")
        ]

    def __str__(self) -> str:
        return f"Transfer {self.amount} {self.currency} for milestone #{self.milestone_id} ({self.status})"


class LedgerEntry(MoneyLedgerEntry):
    """A milestone's money movements (see ``MoneyLedgerEntry``)."""

    engagement = models.ForeignKey(Engagement, on_delete=models.PROTECT, related_name="ledger")
    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="ledger")

    class Meta(MoneyLedgerEntry.Meta):
        triggers = [
            pgtrigger.Protect(name="engagement_ledger_append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} (milestone #{self.milestone_id})"


class StripeEvent(ProviderWebhookEvent):
    """A webhook event of the engagements endpoint."""

    class Meta(ProviderWebhookEvent.Meta):
        verbose_name = "Stripe event"
