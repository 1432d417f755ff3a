from decimal import Decimal
from typing import Any

from django.urls import reverse
from rest_framework import serializers

from commissions.models import Commission, CommissionTier, PayoutRun
from commissions.selectors import PERIODS
from foodxchange.api.fields import MoneyAmountField, MoneyCurrencyField, ObjectIdField, refuse_finer_than_minor_unit


class CommissionTierSerializer(serializers.ModelSerializer):
    min_volume = MoneyAmountField(currency_field=None, read_only=True)

    class Meta:
        model = CommissionTier
        fields = ["id", "name", "rate", "min_volume"]


class CommissionDealSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    company_name = serializers.CharField(source="lead.company_name")
    value = MoneyAmountField()
    currency = serializers.CharField()
    status = serializers.CharField()
    closed_at = serializers.DateTimeField()


class CommissionSerializer(serializers.ModelSerializer):
    agent_id = serializers.IntegerField(read_only=True)
    agent_email = serializers.EmailField(source="agent.email", read_only=True)
    deal = CommissionDealSerializer(read_only=True)
    tier = serializers.CharField(source="tier_name", read_only=True)
    reverses = serializers.IntegerField(source="reverses_id", read_only=True, allow_null=True)
    payout = serializers.IntegerField(source="payout_id", read_only=True, allow_null=True)
    base_amount = MoneyAmountField(read_only=True)
    amount = MoneyAmountField(read_only=True)

    class Meta:
        model = Commission
        fields = [
            "id",
            "agent_id",
            "agent_email",
            "kind",
            "status",
            "deal",
            "tier",
            "rate",
            "base_amount",
            "amount",
            "currency",
            "reverses",
            "payout",
            "note",
            "approved_at",
            "paid_at",
            "created_at",
        ]
        read_only_fields = fields


class CommissionCalculateRequestSerializer(serializers.Serializer):
    deal_value = MoneyAmountField(max_digits=15, min_value=Decimal("0.001"))
    currency = MoneyCurrencyField()
    agent_id = ObjectIdField(required=False, help_text="Admins: whose tier to use")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        refuse_finer_than_minor_unit(attrs, amount="deal_value")
        return attrs


class CommissionCalculateResponseSerializer(serializers.Serializer):
    agent_id = serializers.IntegerField()
    tier = serializers.CharField()
    rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    deal_value = MoneyAmountField()
    commission = MoneyAmountField()
    currency = serializers.CharField()
    volume = MoneyAmountField(currency_field=None, help_text="Trailing converted value in the base currency")
    base_currency = serializers.CharField()


class CommissionTotalsSerializer(serializers.Serializer):
    currency = serializers.CharField()
    pending = MoneyAmountField()
    approved = MoneyAmountField()
    paid = MoneyAmountField()
    unpaid = MoneyAmountField()


class CommissionDashboardSerializer(serializers.Serializer):
    tier = serializers.CharField()
    rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    volume = MoneyAmountField(currency_field=None)
    base_currency = serializers.CharField()
    window_days = serializers.IntegerField()
    next_tier = serializers.CharField(allow_null=True)
    next_tier_rate = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    next_tier_min_volume = MoneyAmountField(currency_field=None, allow_null=True)
    remaining_to_next_tier = MoneyAmountField(currency_field=None, allow_null=True)
    progress_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    totals = CommissionTotalsSerializer(many=True)
    has_payout_account = serializers.BooleanField()


class CommissionLeaderboardQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=PERIODS, default="month")
    limit = serializers.IntegerField(min_value=1, max_value=100, default=50)


class CommissionLeaderboardEntrySerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    agent_id = serializers.IntegerField()
    name = serializers.CharField()
    earnings = MoneyAmountField(currency_field=None)
    deals = serializers.IntegerField()
    is_me = serializers.BooleanField()


class CommissionLeaderboardSerializer(serializers.Serializer):
    period = serializers.CharField()
    start = serializers.DateTimeField()
    currency = serializers.CharField()
    results = CommissionLeaderboardEntrySerializer(many=True)
    me = CommissionLeaderboardEntrySerializer(allow_null=True)


class CommissionAnalyticsQuerySerializer(serializers.Serializer):
    agent_id = ObjectIdField(required=False)
    months = serializers.IntegerField(required=False, min_value=1, max_value=36, default=12)


class CommissionMonthEarningsSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM (UTC)")
    earnings = MoneyAmountField(currency_field=None)


class CommissionAnalyticsSerializer(serializers.Serializer):
    currency = serializers.CharField()
    earnings_by_month = CommissionMonthEarningsSerializer(many=True)
    leads = serializers.IntegerField()
    deals_won = serializers.IntegerField()
    deals_reversed = serializers.IntegerField()
    conversion_rate = serializers.DecimalField(max_digits=6, decimal_places=2, help_text="Percent of leads won")
    commissions = serializers.IntegerField()
    average_commission = MoneyAmountField(currency_field=None)
    total_earnings = MoneyAmountField(currency_field=None)


class CommissionApproveRequestSerializer(serializers.Serializer):
    ids = serializers.ListField(child=ObjectIdField(), allow_empty=False, max_length=500)


class CommissionNotPendingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    kind = serializers.CharField()


class CommissionApproveResponseSerializer(serializers.Serializer):
    approved = serializers.ListField(child=serializers.IntegerField())
    not_found = serializers.ListField(child=serializers.IntegerField())
    not_pending = CommissionNotPendingSerializer(many=True)


class CommissionPayoutRequestSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(default=False, help_text="Report what would be paid; change nothing")


class CommissionPayoutLineSerializer(serializers.Serializer):
    payout_id = serializers.IntegerField(required=False)
    agent_id = serializers.IntegerField()
    agent = serializers.CharField(required=False)
    amount = MoneyAmountField()
    currency = serializers.CharField()
    commission_ids = serializers.ListField(child=serializers.IntegerField())
    idempotency_key = serializers.CharField(required=False)
    transfer_id = serializers.CharField(required=False)
    reason = serializers.CharField(required=False)
    error = serializers.CharField(required=False)


class CommissionPayoutReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    paid = CommissionPayoutLineSerializer(many=True, help_text="Transfers made (dry run: would be made)")
    failed = CommissionPayoutLineSerializer(many=True)
    retry_later = CommissionPayoutLineSerializer(many=True)
    skipped = CommissionPayoutLineSerializer(many=True, help_text="Agents without a connected payout account")
    carried_forward = CommissionPayoutLineSerializer(many=True, help_text="Clawbacks exceed earnings")


class PayoutJobSerializer(serializers.ModelSerializer):
    requested_by = serializers.IntegerField(source="requested_by_id", read_only=True, allow_null=True)
    status_url = serializers.SerializerMethodField(help_text="Poll this for the job's status")

    class Meta:
        model = PayoutRun
        fields = [
            "id",
            "status",
            "status_url",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "report",
            "error",
        ]
        read_only_fields = fields

    def get_status_url(self, job: PayoutRun) -> str:
        path = reverse("commissions-payout-job", args=[job.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path
