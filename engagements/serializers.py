from decimal import Decimal

from rest_framework import serializers

from engagements.models import ChangeOrder, Engagement, Milestone, MilestonePayment, Quote, QuoteMilestone
from foodxchange.money import round_money
from workspaces.selectors import workspace_id_for


def _money(amount: Decimal, currency: str) -> str:
    return str(round_money(amount, currency))


def _name(user) -> str:
    return user.get_full_name() or "FoodXchange user"


# --- input -------------------------------------------------------------------------------
class MilestoneInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, allow_blank=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=3)
    due_date = serializers.DateField()
    currency = serializers.CharField(max_length=3, required=False, allow_blank=True)


class QuoteInputSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    currency = serializers.CharField(max_length=3)
    milestones = MilestoneInputSerializer(many=True, allow_empty=True)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000)


class SubmitSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000)
    # Multipart uploads, each checked by content by the workspace (PDF, images, DOCX, XLSX, CSV).
    files = serializers.ListField(child=serializers.FileField(), required=False)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class ResolveSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["release", "refund", "partial_refund"])
    amount = serializers.DecimalField(max_digits=14, decimal_places=3, required=False, min_value=Decimal("0"))
    note = serializers.CharField(max_length=5000)


class ChangeOrderInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    amount = serializers.DecimalField(max_digits=14, decimal_places=3)
    due_date = serializers.DateField()
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Engagement.Status.choices, required=False)
    as_role = serializers.ChoiceField(choices=["client", "expert"], required=False)


# --- output ------------------------------------------------------------------------------
class QuoteMilestoneSerializer(serializers.ModelSerializer):
    amount = serializers.SerializerMethodField()

    class Meta:
        model = QuoteMilestone
        fields = ["position", "title", "amount", "due_date"]

    def get_amount(self, obj: QuoteMilestone) -> str:
        return _money(obj.amount, obj.quote.currency)


class QuoteSerializer(serializers.ModelSerializer):
    rfq_title = serializers.CharField(source="rfq.title")
    expert = serializers.IntegerField(source="expert_id")
    expert_name = serializers.CharField(source="expert.display_name")
    total = serializers.SerializerMethodField()
    milestones = QuoteMilestoneSerializer(many=True, read_only=True)
    engagement = serializers.SerializerMethodField()

    class Meta:
        model = Quote
        fields = [
            "id",
            "rfq",
            "rfq_title",
            "expert",
            "expert_name",
            "message",
            "currency",
            "total",
            "status",
            "milestones",
            "engagement",
            "created_at",
            "decided_at",
        ]

    def get_total(self, obj: Quote) -> str:
        return _money(obj.total, obj.currency)

    def get_engagement(self, obj: Quote) -> int | None:
        engagement = getattr(obj, "engagement", None) if obj.status == Quote.Status.ACCEPTED else None
        return engagement.pk if engagement is not None else None


class PaymentSerializer(serializers.ModelSerializer):
    amount = serializers.SerializerMethodField()
    client_secret = serializers.SerializerMethodField()

    class Meta:
        model = MilestonePayment
        fields = ["id", "amount", "currency", "status", "provider", "client_secret", "created_at", "paid_at"]

    def get_amount(self, obj: MilestonePayment) -> str:
        return _money(obj.amount, obj.currency)

    def get_client_secret(self, obj: MilestonePayment) -> str | None:
        # Only the payer needs (and may see) the secret that confirms a pending card payment.
        request = self.context.get("request")
        client_id = self.context.get("client_id")
        if obj.status == "pending" and request is not None and request.user.id == client_id:
            return obj.client_secret or None
        return None


def _transfers(milestone: Milestone) -> list[dict]:
    transfer = getattr(milestone, "transfer", None) if hasattr(milestone, "transfer") else None
    if transfer is None:
        return []
    return [
        {
            "amount": _money(transfer.amount, transfer.currency),
            "currency": transfer.currency,
            "status": transfer.status,
            "created_at": transfer.created_at,
            "paid_at": transfer.paid_at,
        }
    ]


class MilestoneSerializer(serializers.ModelSerializer):
    amount = serializers.SerializerMethodField()
    platform_fee = serializers.SerializerMethodField()
    change_order = serializers.IntegerField(source="change_order_id", allow_null=True)
    attachments = serializers.JSONField(source="attachment_ids")
    note = serializers.CharField(source="submission_note")
    payments = serializers.SerializerMethodField()
    transfers = serializers.SerializerMethodField()
    refunds = serializers.SerializerMethodField()

    class Meta:
        model = Milestone
        fields = [
            "id",
            "position",
            "title",
            "amount",
            "currency",
            "platform_fee",
            "due_date",
            "status",
            "change_order",
            "note",
            "attachments",
            "deliverables",
            "submission_count",
            "funded_at",
            "submitted_at",
            "review_closes_at",
            "released_at",
            "payments",
            "transfers",
            "refunds",
        ]

    def get_amount(self, obj: Milestone) -> str:
        return _money(obj.amount, obj.currency)

    def get_platform_fee(self, obj: Milestone) -> str:
        return _money(obj.platform_fee, obj.currency)

    def get_payments(self, obj: Milestone) -> list[dict]:
        return list(PaymentSerializer(obj.payments.all(), many=True, context=self.context).data)

    def get_transfers(self, obj: Milestone) -> list[dict]:
        return _transfers(obj)

    def get_refunds(self, obj: Milestone) -> list[dict]:
        return [
            {
                "amount": _money(r.amount, r.currency),
                "currency": r.currency,
                "status": r.status,
                "reason": r.reason,
                "created_at": r.created_at,
            }
            for r in obj.refunds.all()
        ]


class ChangeOrderSerializer(serializers.ModelSerializer):
    amount = serializers.SerializerMethodField()
    currency = serializers.CharField(source="engagement.currency")
    proposed_by = serializers.CharField(source="proposer_role")
    milestone = serializers.SerializerMethodField()

    class Meta:
        model = ChangeOrder
        fields = [
            "id",
            "title",
            "amount",
            "currency",
            "due_date",
            "note",
            "status",
            "proposed_by",
            "milestone",
            "created_at",
            "decided_at",
        ]

    def get_amount(self, obj: ChangeOrder) -> str:
        return _money(obj.amount, obj.engagement.currency)

    def get_milestone(self, obj: ChangeOrder) -> int | None:
        milestone = getattr(obj, "milestone", None) if hasattr(obj, "milestone") else None
        return milestone.pk if milestone is not None else None


class EngagementSerializer(serializers.ModelSerializer):
    client = serializers.IntegerField(source="client_id")
    client_name = serializers.SerializerMethodField()
    expert = serializers.IntegerField(source="expert_id")
    expert_name = serializers.CharField(source="expert.display_name")
    total = serializers.SerializerMethodField()
    milestones = serializers.SerializerMethodField()
    change_orders = serializers.SerializerMethodField()
    workspace = serializers.SerializerMethodField()

    class Meta:
        model = Engagement
        fields = [
            "id",
            "rfq",
            "quote",
            "title",
            "status",
            "currency",
            "total",
            "fee_percent",
            "client",
            "client_name",
            "expert",
            "expert_name",
            "workspace",
            "milestones",
            "change_orders",
            "created_at",
            "completed_at",
        ]

    def get_client_name(self, obj: Engagement) -> str:
        return _name(obj.client)

    def get_total(self, obj: Engagement) -> str:
        return _money(sum((m.amount for m in obj.milestones.all()), Decimal("0")), obj.currency)

    def get_milestones(self, obj: Engagement) -> list[dict]:
        context = {**self.context, "client_id": obj.client_id}
        return list(MilestoneSerializer(obj.milestones.all(), many=True, context=context).data)

    def get_change_orders(self, obj: Engagement) -> list[dict]:
        return list(ChangeOrderSerializer(obj.change_orders.all(), many=True).data)

    def get_workspace(self, obj: Engagement) -> int | None:
        annotated = getattr(obj, "workspace_pk", None)
        return annotated if annotated is not None else workspace_id_for(kind="engagement", subject_id=obj.pk)
