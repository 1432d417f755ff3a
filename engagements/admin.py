"""Staff console for engagements: engagements, milestones (and their disputes), quotes,
change orders, payments, refunds, transfers and the ledger. Rows change only through
the services (the actions below), so every change is validated, audited and notified
as through the API. Support may look; money actions need the finance area."""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages

from engagements import services
from engagements.models import (
    ChangeOrder,
    Engagement,
    LedgerEntry,
    Milestone,
    MilestoneEvent,
    MilestonePayment,
    MilestoneRefund,
    MilestoneTransfer,
    Quote,
    QuoteMilestone,
    StripeEvent,
)
from foodxchange.admin import ReadOnlyAreaAdmin, RefundRetryAdmin, TransferRetryAdmin
from foodxchange.errors import DomainError, message_of


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class MilestoneInline(_ReadOnlyInline):
    model = Milestone
    fields = ("position", "title", "amount", "currency", "due_date", "status", "review_closes_at", "released_at")
    readonly_fields = fields
    show_change_link = True


class ChangeOrderInline(_ReadOnlyInline):
    model = ChangeOrder
    fields = ("created_at", "title", "amount", "due_date", "proposer_role", "status", "decided_at")
    readonly_fields = fields


class EventInline(_ReadOnlyInline):
    model = MilestoneEvent
    fields = ("created_at", "transition", "from_status", "to_status", "actor", "actor_role", "reason")
    readonly_fields = fields


class PaymentInline(_ReadOnlyInline):
    model = MilestonePayment
    fields = ("created_at", "amount", "currency", "status", "intent_id", "failure_message")
    readonly_fields = fields


class RefundInline(_ReadOnlyInline):
    model = MilestoneRefund
    fields = ("created_at", "amount", "currency", "reason", "status", "provider_id")
    readonly_fields = fields


class LedgerInline(_ReadOnlyInline):
    model = LedgerEntry
    fields = ("created_at", "kind", "amount", "currency", "amount_minor", "external_id")
    readonly_fields = fields


class QuoteMilestoneInline(_ReadOnlyInline):
    model = QuoteMilestone
    fields = ("position", "title", "amount", "due_date")
    readonly_fields = fields


def _run(modeladmin: admin.ModelAdmin, request, queryset, action: Callable[[Any], Any], label: str) -> None:
    done, failed = 0, []
    for row in queryset:
        try:
            action(row)
            done += 1
        except DomainError as exc:
            failed.append(f"#{row.pk}: {message_of(exc)}")
    if done:
        modeladmin.message_user(request, f"{label}: {done} row(s).", messages.SUCCESS)
    for line in failed:
        modeladmin.message_user(request, line, messages.WARNING)


@admin.register(Engagement)
class EngagementAdmin(ReadOnlyAreaAdmin):
    list_display = ["id", "title", "status", "client", "expert", "currency", "fee_percent", "created_at"]
    list_filter = ["status", "currency", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["=id", "title", "client__email", "expert__display_name", "expert__user__email", "=rfq__id"]
    date_hierarchy = "created_at"
    list_select_related = ["client", "expert"]
    readonly_fields = [f.name for f in Engagement._meta.fields]
    inlines = [MilestoneInline, ChangeOrderInline]


class DisputedFilter(admin.SimpleListFilter):
    title = "dispute"
    parameter_name = "dispute"

    def lookups(self, request, model_admin):
        return [("open", "Open disputes"), ("review_due", "Review window closed (auto-release due)")]

    def queryset(self, request, queryset):
        from django.utils import timezone

        if self.value() == "open":
            return queryset.filter(status=Milestone.Status.DISPUTED)
        if self.value() == "review_due":
            return queryset.filter(status=Milestone.Status.SUBMITTED, review_closes_at__lte=timezone.now())
        return queryset


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyAreaAdmin):
    list_display = [
        "id",
        "engagement",
        "position",
        "title",
        "status",
        "amount",
        "currency",
        "due_date",
        "review_closes_at",
        "released_at",
    ]
    list_filter = [DisputedFilter, "status", "currency", ("due_date", admin.DateFieldListFilter)]
    search_fields = ["=id", "title", "=engagement__id", "engagement__title", "engagement__client__email"]
    list_select_related = ["engagement"]
    readonly_fields = [f.name for f in Milestone._meta.fields]
    inlines = [EventInline, PaymentInline, RefundInline, LedgerInline]
    actions = ["resolve_release", "resolve_refund", "release_due_now", "retry_money"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self._area(request, "finance"):
            for name in ("resolve_release", "resolve_refund", "release_due_now", "retry_money"):
                actions.pop(name, None)
        return actions

    def _resolve(self, request, queryset, *, outcome: str, note: str, done: str) -> None:
        _run(
            self,
            request,
            queryset,
            lambda m: services.resolve(
                engagement_id=m.engagement_id,
                milestone_id=m.pk,
                actor=request.user,
                outcome=outcome,
                note=note,
                request=request,
            ),
            done,
        )

    @admin.action(description="Resolve selected disputes: release the payment to the expert")
    def resolve_release(self, request, queryset):
        self._resolve(request, queryset, outcome="release", note="Released by staff", done="Released")

    @admin.action(description="Resolve selected disputes: refund the client in full")
    def resolve_refund(self, request, queryset):
        self._resolve(request, queryset, outcome="refund", note="Refunded by staff", done="Refunded")

    @admin.action(description="Run the auto-release of milestones whose review window closed")
    def release_due_now(self, request, queryset):
        self.message_user(request, f"Released {services.release_due()} milestone(s).", messages.INFO)

    @admin.action(description="Retry pending charges, refunds and transfers (same idempotency keys)")
    def retry_money(self, request, queryset):
        self.message_user(request, f"Retried: {services.retry_pending_money()}", messages.INFO)


@admin.register(Quote)
class QuoteAdmin(ReadOnlyAreaAdmin):
    list_display = ["id", "rfq", "expert", "total", "currency", "status", "created_at"]
    list_filter = ["status", "currency", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["=id", "=rfq__id", "rfq__title", "expert__display_name", "expert__user__email"]
    list_select_related = ["rfq", "expert"]
    readonly_fields = [f.name for f in Quote._meta.fields]
    inlines = [QuoteMilestoneInline]


@admin.register(ChangeOrder)
class ChangeOrderAdmin(ReadOnlyAreaAdmin):
    list_display = ["id", "engagement", "title", "amount", "due_date", "proposer_role", "status", "created_at"]
    list_filter = ["status", "proposer_role"]
    search_fields = ["=id", "title", "=engagement__id", "engagement__title"]
    list_select_related = ["engagement"]
    readonly_fields = [f.name for f in ChangeOrder._meta.fields]


@admin.register(MilestonePayment)
class PaymentAdmin(ReadOnlyAreaAdmin):
    list_display = ["id", "milestone", "provider", "intent_id", "amount", "currency", "status", "paid_at"]
    list_filter = ["status", "provider", "currency"]
    search_fields = ["intent_id", "charge_id", "=milestone__id", "milestone__engagement__client__email"]
    exclude = ["client_secret"]
    readonly_fields = [f.name for f in MilestonePayment._meta.fields if f.name != "client_secret"]
    actions = ["retry"]

    @admin.action(description="Send the selected pending charges again (same idempotency key)")
    def retry(self, request, queryset):
        if not self._area(request, "finance"):
            self.message_user(request, "Needs the finance area.", messages.ERROR)
            return
        done = [
            services.collect_payment(payment_id=p.pk).status
            for p in queryset.filter(status=MilestonePayment.Status.PENDING)
        ]
        self.message_user(request, f"{done.count('succeeded')} succeeded of {len(done)}.", messages.INFO)


@admin.register(MilestoneRefund)
class RefundAdmin(RefundRetryAdmin):
    list_display = ["id", "milestone", "amount", "currency", "reason", "status", "created_by", "created_at"]
    list_filter = ["status", "reason", "currency"]
    search_fields = ["provider_id", "=milestone__id"]
    readonly_fields = [f.name for f in MilestoneRefund._meta.fields]
    execute = staticmethod(services.execute_refund)


@admin.register(MilestoneTransfer)
class TransferAdmin(TransferRetryAdmin):
    list_display = ["id", "milestone", "amount", "currency", "status", "destination", "paid_at"]
    list_filter = ["status", "currency"]
    search_fields = ["provider_id", "destination", "=milestone__id", "milestone__engagement__expert__display_name"]
    readonly_fields = [f.name for f in MilestoneTransfer._meta.fields]
    execute = staticmethod(services.execute_transfer)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAreaAdmin):
    view_area = "finance"
    list_display = ["id", "created_at", "engagement", "milestone", "kind", "amount", "currency", "external_id"]
    list_filter = ["kind", "currency"]
    search_fields = ["idempotency_key", "external_id", "=milestone__id", "=engagement__id"]
    readonly_fields = [f.name for f in LedgerEntry._meta.fields]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAreaAdmin):
    view_area = "finance"
    list_display = ["event_id", "type", "received_at", "processed_at", "result"]
    list_filter = ["type", "result"]
    search_fields = ["event_id"]
    readonly_fields = [f.name for f in StripeEvent._meta.fields]
