"""Commission tiers, the append-only commission ledger and payouts.

Ledger rows (``Commission``) never change their money: agent, deal, kind, rate, base
amount, amount and currency are fixed at creation. What moves is the row's state
(pending → approved → paid, or → cancelled when an unpaid commission is reversed), each
move audit-logged by the service that makes it. A refund or cancellation is a new
negative row pointing at the original, never an edit."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from foodxchange.models import MoneyField

# The defaults seeded by migration 0002 (name, rate %, min trailing volume in the base
# currency); restored if the table is ever found empty.
DEFAULT_TIERS = (
    ("Bronze", Decimal("5.00"), Decimal("0.00")),
    ("Silver", Decimal("8.00"), Decimal("25000.00")),
    ("Gold", Decimal("11.00"), Decimal("75000.00")),
    ("Platinum", Decimal("15.00"), Decimal("150000.00")),
)


class Deal(models.Model):
    """What a converted lead closed for: the aggregate the commission ledger hangs off.
    One per lead. Its value in the base currency and the FX rate used are frozen at
    close, so tier volumes never move when the FX table gets a newer rate."""

    class Status(models.TextChoices):
        WON = "won", "Won"
        REFUNDED = "refunded", "Refunded"
        CANCELLED = "cancelled", "Cancelled"

    lead = models.OneToOneField("leads.Lead", on_delete=models.PROTECT, related_name="deal")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="deals")
    value = MoneyField(max_digits=15, validators=[MinValueValidator(Decimal("0.001"))])
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.WON, db_index=True)
    closed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    base_value = MoneyField(
        max_digits=17,
        currency_field="base_currency",
        null=True,
        blank=True,
        help_text="Value in the base currency at close; empty when the FX table had no rate then",
    )
    base_currency = models.CharField(max_length=3, blank=True)
    fx_rate = models.DecimalField(
        max_digits=20, decimal_places=10, null=True, blank=True, help_text="Base-currency value of one unit at close"
    )
    fx_rate_valid_from = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-closed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.lead.company_name}: {self.value} {self.currency}"


class CommissionTier(models.Model):
    """A commission rate reached once an agent's trailing converted deal value (in the
    base currency, BASE_CURRENCY) is at least ``min_volume``."""

    name = models.CharField(max_length=50, unique=True)
    rate = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Percent of the deal value, e.g. 8.00",
    )
    min_volume = MoneyField(
        max_digits=15,
        currency_field=None,
        unique=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Converted deal value over the trailing window (base currency) needed for this tier",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["min_volume"]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lte=100), name="commission_tier_rate_0_100"),
            models.CheckConstraint(condition=Q(min_volume__gte=0), name="commission_tier_min_volume_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.rate} %)"


class AgentTier(models.Model):
    """The tier an agent currently holds; recomputed nightly and on every conversion."""

    agent = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="commission_tier")
    tier = models.ForeignKey(CommissionTier, on_delete=models.PROTECT, related_name="agents")
    volume = MoneyField(
        max_digits=17, currency_field=None, default=Decimal("0"), help_text="Trailing converted value (base currency)"
    )
    # Bumped on every tier change; keys the tier.changed notification.
    version = models.PositiveIntegerField(default=1)
    computed_at = models.DateTimeField()
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["agent_id"]

    def __str__(self) -> str:
        return f"{self.agent}: {self.tier.name}"


class AgentPayoutAccount(models.Model):
    """Where an agent's payouts go: a connected Stripe account."""

    agent = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payout_account")
    stripe_account_id = models.CharField(max_length=255, blank=True, help_text="acct_… of the connected account")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["agent_id"]

    def __str__(self) -> str:
        return f"{self.agent}: {self.stripe_account_id or '(not connected)'}"

    @property
    def is_connected(self) -> bool:
        return self.is_active and self.stripe_account_id.startswith("acct_")


class ImmutableLedgerError(Exception):
    """Raised on any attempt to change a ledger row's money or to delete a row."""


class CommissionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        changed = set(kwargs) & set(Commission.IMMUTABLE_FIELDS)
        if changed:
            raise ImmutableLedgerError(f"Ledger rows are append-only; cannot update {sorted(changed)}.")
        return super().update(**kwargs)

    def delete(self):
        raise ImmutableLedgerError("Ledger rows are append-only and cannot be deleted.")

    def for_agent(self, agent):
        return self.filter(agent=agent)


class Commission(models.Model):
    """One ledger row: a commission earned on a deal, or the negative reversal of one."""

    class Kind(models.TextChoices):
        COMMISSION = "commission", "Commission"
        REVERSAL = "reversal", "Reversal (clawback)"
        CORRECTION = "correction", "Corrected re-issue"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending approval"
        APPROVED = "approved", "Approved, awaiting payout"
        PAID = "paid", "Paid"
        CANCELLED = "cancelled", "Cancelled (reversed before payment)"

    # Forward-only state machine; anything else is refused by save().
    TRANSITIONS = {
        Status.PENDING: {Status.APPROVED, Status.CANCELLED},
        Status.APPROVED: {Status.PAID, Status.CANCELLED},
        Status.PAID: set(),
        Status.CANCELLED: set(),
    }
    IMMUTABLE_FIELDS = (
        "agent_id",
        "deal_id",
        "kind",
        "reverses_id",
        "corrects_id",
        "tier_id",
        "tier_name",
        "rate",
        "base_amount",
        "amount",
        "currency",
        "created_at",
    )

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="commissions")
    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="commissions")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.COMMISSION, db_index=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal", help_text="The row undone"
    )
    corrects = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="correction",
        help_text="The reversed row this one re-issues with corrected money",
    )
    tier = models.ForeignKey(CommissionTier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    tier_name = models.CharField(max_length=50, help_text="Tier at conversion time (kept if the tier is renamed)")
    rate = models.DecimalField(max_digits=5, decimal_places=2, help_text="Percent applied")
    base_amount = MoneyField(max_digits=15, help_text="Deal value the rate applied to")
    amount = MoneyField(max_digits=15, help_text="Negative for a reversal")
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payout = models.ForeignKey("Payout", null=True, blank=True, on_delete=models.PROTECT, related_name="commissions")
    paid_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = CommissionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The heart of idempotency: one commission per deal, however often it converts.
            models.UniqueConstraint(fields=["deal"], condition=Q(kind="commission"), name="commission_one_per_deal"),
            models.CheckConstraint(
                condition=(Q(kind="commission", amount__gte=0, reverses__isnull=True, corrects__isnull=True))
                | (Q(kind="reversal", amount__lte=0, reverses__isnull=False, corrects__isnull=True))
                | (Q(kind="correction", amount__gte=0, reverses__isnull=True, corrects__isnull=False)),
                name="commission_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(payout__isnull=False), name="commission_paid_has_payout"
            ),
        ]
        indexes = [
            models.Index(fields=["agent", "status"]),
            models.Index(fields=["status", "payout"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.amount} {self.currency} ({self.status})"

    def save(self, *args, **kwargs):
        loaded = getattr(self, "_loaded", None)
        if not self._state.adding and loaded is not None:
            changed = [f for f in self.IMMUTABLE_FIELDS if f in loaded and getattr(self, f) != loaded[f]]
            if changed:
                raise ImmutableLedgerError(f"Ledger rows are append-only; cannot change {changed}.")
            old_status = loaded.get("status")
            if old_status is not None and self.status != old_status and self.status not in self.TRANSITIONS[old_status]:
                raise ValidationError(f"A {old_status} commission cannot become {self.status}.")
        if not self._state.adding and kwargs.get("update_fields") is None:
            # An existing row writes its state only: its money is never re-sent (a row
            # stored before minor-unit rounding would otherwise be rounded in place).
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.attname not in self.IMMUTABLE_FIELDS
            ]
        super().save(*args, **kwargs)
        self._loaded = {f: getattr(self, f) for f in (*self.IMMUTABLE_FIELDS, "status")}

    def delete(self, *args, **kwargs):
        raise ImmutableLedgerError("Ledger rows are append-only and cannot be deleted.")

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded = {
            f: getattr(instance, f) for f in (*cls.IMMUTABLE_FIELDS, "status") if f in instance.__dict__
        }
        return instance


class PayoutRun(models.Model):
    """A requested payout run (the job ``POST /commissions/payout`` answers with) and,
    once it ran, what it paid."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "payout run"

    def __str__(self) -> str:
        return f"Payout run {self.pk} ({self.status})"


class Payout(models.Model):
    """One transfer to one agent in one currency, and the ledger rows it settles.

    The row is committed (with its rows claimed) before Stripe is called, and Stripe is
    called outside any transaction, so a run killed mid-way leaves a pending payout that
    the next run retries with the very same idempotency key."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending (transfer not confirmed yet)"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed (rows released)"

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts")
    amount = MoneyField(max_digits=15, validators=[MinValueValidator(Decimal("0.001"))])
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    stripe_account_id = models.CharField(max_length=255)
    idempotency_key = models.CharField(max_length=255, unique=True)
    transfer_id = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Payout #{self.pk} {self.amount} {self.currency} → {self.agent} ({self.status})"

    def save(self, *args, **kwargs):
        if not self.idempotency_key:
            # Stripe keeps keys ~24 h and allows 255 chars; ours is short and stable
            # for the life of the row, so every retry of this payout reuses it.
            self.idempotency_key = f"fx-commission-payout-{self.reference}"
        super().save(*args, **kwargs)
