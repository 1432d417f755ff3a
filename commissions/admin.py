"""Staff console for commissions: the tier table, the (read-only) ledger with its
approve action, payouts with the rows they paid, payout accounts, and deals with the
refund / cancel action that reverses a commission."""

from django.contrib import admin, messages
from django.db.models import Sum
from django.http import HttpResponseRedirect
from django.urls import reverse

from commissions import selectors, services
from commissions.models import AgentPayoutAccount, AgentTier, Commission, CommissionTier, Deal, Payout, PayoutRun
from commissions.payments import get_transfer_backend
from foodxchange.admin import StaffAreaAdmin
from foodxchange.api.permissions import has_staff_area
from foodxchange.errors import DomainError, message_of


class FinanceAdmin(StaffAreaAdmin):
    """Money pages: staff with the finance area see and act; nobody else does."""

    view_area = "finance"

    def has_finance_permission(self, request) -> bool:
        return has_staff_area(request.user, "finance")


@admin.register(CommissionTier)
class CommissionTierAdmin(FinanceAdmin):
    list_display = ["name", "rate", "min_volume", "agent_count", "updated_at"]
    list_editable = ["rate", "min_volume"]
    search_fields = ["name"]
    ordering = ["min_volume"]

    def has_delete_permission(self, request, obj=None):
        # Held tiers are protected by the foreign key; the last tier must stay.
        return super().has_delete_permission(request, obj) and CommissionTier.objects.count() > 1

    @admin.display(description="Agents in tier")
    def agent_count(self, obj):
        return obj.agents.count()

    def save_model(self, request, obj, form, change):
        services.save_tier(tier=obj, actor=request.user, request=request)

    def delete_model(self, request, obj):
        services.delete_tier(tier=obj, actor=request.user, request=request)

    def delete_queryset(self, request, queryset):
        for tier in queryset:
            try:
                services.delete_tier(tier=tier, actor=request.user, request=request)
            except DomainError as exc:
                self.message_user(request, f"{tier}: {message_of(exc)}", messages.ERROR)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:  # refused by the service: nothing was deleted
            self.message_user(request, message_of(exc), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:commissions_commissiontier_changelist"))


@admin.register(AgentTier)
class AgentTierAdmin(FinanceAdmin):
    list_display = ["agent", "tier", "volume", "computed_at", "changed_at"]
    list_filter = ["tier"]
    search_fields = ["agent__email", "agent__first_name", "agent__last_name"]
    list_select_related = ["agent", "tier"]
    readonly_fields = ["agent", "tier", "volume", "version", "computed_at", "changed_at"]
    actions = ["recompute"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Recompute tier now", permissions=["finance"])
    def recompute(self, request, queryset):
        changed = 0
        for row in queryset.select_related("agent"):
            version = row.version
            changed += (
                services.refresh_agent_tier(agent=row.agent, actor=request.user, reason="admin").version != version
            )
        self.message_user(request, f"{queryset.count()} recomputed, {changed} changed tier.", messages.SUCCESS)


@admin.register(AgentPayoutAccount)
class AgentPayoutAccountAdmin(FinanceAdmin):
    list_display = ["agent", "stripe_account_id", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["agent__email", "stripe_account_id"]
    raw_id_fields = ["agent"]

    def save_model(self, request, obj, form, change):
        services.save_payout_account(account=obj, actor=request.user, request=request)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        original_clean = form.clean

        def clean(self):
            cleaned = original_clean(self)
            agent = cleaned.get("agent")
            if agent is not None and not selectors.can_earn(agent):
                self.add_error("agent", "Only agents have payout accounts (staff never earn commissions).")
            return cleaned

        form.clean = clean
        return form


class ReadOnlyLedgerMixin:
    """Ledger and payout rows change only through services (actions), never by a form."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CommissionInline(ReadOnlyLedgerMixin, admin.TabularInline):
    model = Commission
    fields = (
        "id",
        "kind",
        "deal",
        "tier_name",
        "rate",
        "amount",
        "currency",
        "status",
        "created_at",
    )
    readonly_fields = fields
    extra = 0
    show_change_link = True


@admin.register(Commission)
class CommissionAdmin(ReadOnlyLedgerMixin, FinanceAdmin):
    list_display = [
        "id",
        "agent",
        "kind",
        "status",
        "amount",
        "currency",
        "tier_name",
        "rate",
        "deal",
        "payout",
        "created_at",
    ]
    list_filter = ["status", "kind", "currency", "tier_name", "created_at"]
    search_fields = ["agent__email", "deal__lead__company_name", "=id", "=deal__id"]
    date_hierarchy = "created_at"
    list_select_related = ["agent", "deal", "deal__lead", "payout"]
    actions = ["approve"]

    @admin.action(description="Approve selected pending commissions", permissions=["finance"])
    def approve(self, request, queryset):
        result = services.approve_commissions(
            ids=queryset.values_list("pk", flat=True), actor=request.user, request=request
        )
        if result.approved:
            self.message_user(request, f"Approved {len(result.approved)} commission(s).", messages.SUCCESS)
        if result.not_pending:
            ids = ", ".join(str(r["id"]) for r in result.not_pending)
            self.message_user(request, f"Left untouched (not pending commissions): {ids}.", messages.WARNING)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        try:
            qs = response.context_data["cl"].queryset
        except (AttributeError, KeyError):
            return response
        totals = qs.values("currency").annotate(total=Sum("amount")).order_by("currency")
        response.context_data["title"] = "Commission ledger — " + (
            ", ".join(f"{t['total']} {t['currency']}" for t in totals) or "no rows"
        )
        return response


@admin.register(Payout)
class PayoutAdmin(ReadOnlyLedgerMixin, FinanceAdmin):
    list_display = ["id", "agent", "amount", "currency", "status", "transfer_id", "attempts", "created_at", "paid_at"]
    list_filter = ["status", "currency", "created_at"]
    search_fields = ["agent__email", "transfer_id", "idempotency_key", "stripe_account_id"]
    date_hierarchy = "created_at"
    list_select_related = ["agent"]
    inlines = [CommissionInline]
    actions = ["settle_pending"]
    readonly_fields = [
        "reference",
        "agent",
        "amount",
        "currency",
        "status",
        "stripe_account_id",
        "idempotency_key",
        "transfer_id",
        "attempts",
        "last_error",
        "created_by",
        "created_at",
        "paid_at",
    ]

    @admin.action(description="Retry selected pending payouts (same idempotency key)", permissions=["finance"])
    def settle_pending(self, request, queryset):
        backend = get_transfer_backend()
        outcomes: dict[str, int] = {}
        for payout_id in queryset.filter(status=Payout.Status.PENDING).values_list("pk", flat=True):
            outcome, _ = services.settle_payout(
                payout_id=payout_id, backend=backend, actor=request.user, request=request
            )
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        summary = ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())) or "nothing pending"
        self.message_user(request, f"Payout retry: {summary}.", messages.INFO)


class DealAdmin(FinanceAdmin):
    """Deals with the refund / cancel actions that reverse their commission."""

    list_display = ["id", "lead", "agent", "value", "currency", "base_value", "fx_rate", "status", "closed_at"]
    list_filter = ["status", "currency", "closed_at"]
    search_fields = ["lead__company_name", "agent__email", "=id"]
    date_hierarchy = "closed_at"
    list_select_related = ["lead", "agent"]
    readonly_fields = [
        "lead",
        "agent",
        "value",
        "currency",
        "base_value",
        "base_currency",
        "fx_rate",
        "fx_rate_valid_from",
        "status",
        "closed_at",
        "created_by",
    ]
    inlines = [CommissionInline]
    actions = ["refund", "cancel"]

    def has_add_permission(self, request):
        return False  # deals come from converting a lead

    def has_change_permission(self, request, obj=None):
        return False  # value and status change only through the actions below

    def has_delete_permission(self, request, obj=None):
        return False

    def _close(self, request, queryset, status: str):
        reversed_count = 0
        for deal in queryset.filter(status=Deal.Status.WON):
            try:
                reversal = services.close_deal(deal=deal, status=status, actor=request.user, request=request)
            except DomainError as exc:
                self.message_user(request, f"Deal #{deal.pk}: {message_of(exc)}", messages.ERROR)
                continue
            reversed_count += reversal is not None
        self.message_user(
            request,
            f"Marked {status}; {reversed_count} commission(s) reversed with a new ledger row.",
            messages.SUCCESS,
        )

    @admin.action(description="Refund: mark refunded and reverse the commission", permissions=["finance"])
    def refund(self, request, queryset):
        self._close(request, queryset, Deal.Status.REFUNDED)

    @admin.action(description="Cancel: mark cancelled and reverse the commission", permissions=["finance"])
    def cancel(self, request, queryset):
        self._close(request, queryset, Deal.Status.CANCELLED)


# Deals are registered here rather than in leads: refunding or cancelling a deal must
# go through the reversal service, never a bare status edit.
admin.site.register(Deal, DealAdmin)


@admin.register(PayoutRun)
class PayoutRunAdmin(ReadOnlyLedgerMixin, FinanceAdmin):
    """Payout jobs requested through the API, with what each paid."""

    list_display = ["id", "status", "requested_by", "created_at", "started_at", "finished_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["=id", "requested_by__email"]
    readonly_fields = ["id", "status", "requested_by", "created_at", "started_at", "finished_at", "report", "error"]
