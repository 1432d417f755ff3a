from decimal import Decimal

from rest_framework import serializers

from consultations import selectors
from consultations.models import Consultation, ConsultationEvent, Invoice, Refund, Review
from foodxchange.api.fields import MAX_OBJECT_ID
from foodxchange.money import amount_text, round_money
from workspaces import selectors as workspace_selectors


class BookingSerializer(serializers.Serializer):
    expert = serializers.IntegerField(min_value=1, max_value=MAX_OBJECT_ID)
    service = serializers.IntegerField(min_value=1, max_value=MAX_OBJECT_ID)
    start = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField(min_value=15, max_value=720, required=False)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class DisputeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class RescheduleSerializer(serializers.Serializer):
    start = serializers.DateTimeField()


class ResolveSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["release", "refund", "partial_refund"])
    amount = serializers.DecimalField(max_digits=14, decimal_places=3, required=False, min_value=Decimal("0"))
    note = serializers.CharField(max_length=2000)


class ReviewInputSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ReplyInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)


class ListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Consultation.Status.choices, required=False)
    # "as" is a keyword: the field is declared under another name and mapped in the view.
    as_role = serializers.ChoiceField(choices=["client", "expert"], required=False)
    start_from = serializers.DateTimeField(required=False)
    start_to = serializers.DateTimeField(required=False)


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.IntegerField(source="actor_id", allow_null=True)

    class Meta:
        model = ConsultationEvent
        fields = ["transition", "from_status", "to_status", "actor", "actor_role", "reason", "data", "created_at"]


class RefundSerializer(serializers.ModelSerializer):
    amount = serializers.SerializerMethodField()

    class Meta:
        model = Refund
        fields = ["id", "amount", "currency", "reason", "status", "created_at"]

    def get_amount(self, obj: Refund) -> str:
        return str(round_money(obj.amount, obj.currency))


class ConsultationSerializer(serializers.ModelSerializer):
    expert = serializers.IntegerField(source="expert_id")
    client = serializers.IntegerField(source="client_id")
    service = serializers.IntegerField(source="service_id")
    price = serializers.SerializerMethodField()
    platform_fee = serializers.SerializerMethodField()
    payment = serializers.SerializerMethodField()
    transfer = serializers.SerializerMethodField()
    meeting_url = serializers.SerializerMethodField()
    expert_name = serializers.CharField(source="expert.display_name")
    client_name = serializers.SerializerMethodField()

    class Meta:
        model = Consultation
        fields = [
            "id",
            "status",
            "expert",
            "expert_name",
            "client",
            "client_name",
            "service",
            "service_title",
            "start",
            "end",
            "duration_minutes",
            "price",
            "currency",
            "platform_fee",
            "policy",
            "notes",
            "payment",
            "transfer",
            "hold_expires_at",
            "respond_by",
            "review_closes_at",
            "reschedule_count",
            "meeting_url",
            "created_at",
        ]

    def get_price(self, obj: Consultation) -> str:
        return amount_text(obj.price, obj.currency)

    def get_platform_fee(self, obj: Consultation) -> str:
        return str(round_money(obj.platform_fee, obj.currency))

    def get_client_name(self, obj: Consultation) -> str:
        return selectors._short_name(obj.client)

    def get_payment(self, obj: Consultation) -> dict | None:
        payment = getattr(obj, "payment", None)
        if payment is None:
            return None
        data = {"provider": payment.provider, "status": payment.status}
        request = self.context.get("request")
        # Only the payer needs (and may see) the secret that confirms the card payment.
        if payment.status == "pending" and request is not None and request.user.id == obj.client_id:
            data["client_secret"] = payment.client_secret or None
        return data

    def get_transfer(self, obj: Consultation) -> dict | None:
        transfer = getattr(obj, "transfer", None) if hasattr(obj, "transfer") else None
        if transfer is None:
            return None
        return {
            "status": transfer.status,
            "amount": str(round_money(transfer.amount, transfer.currency)),
            "currency": transfer.currency,
        }

    def get_meeting_url(self, obj: Consultation) -> str | None:
        request = self.context.get("request")
        if request is None or request.user.id not in (obj.client_id, obj.expert.user_id):
            return None
        return obj.meeting_url or None


class ConsultationDetailSerializer(ConsultationSerializer):
    events = EventSerializer(many=True, read_only=True)
    refunds = RefundSerializer(many=True, read_only=True)
    workspace = serializers.SerializerMethodField(help_text="Id of the consultation's workspace (messages, files)")

    class Meta(ConsultationSerializer.Meta):
        fields = [*ConsultationSerializer.Meta.fields, "events", "refunds", "workspace"]

    def get_workspace(self, obj: Consultation) -> int | None:
        return workspace_selectors.workspace_id_for(kind="consultation", subject_id=obj.pk)


class ReviewSerializer(serializers.ModelSerializer):
    client_name = serializers.SerializerMethodField()
    consultation = serializers.IntegerField(source="consultation_id")

    class Meta:
        model = Review
        fields = ["id", "consultation", "rating", "comment", "reply", "replied_at", "client_name", "created_at"]

    def get_client_name(self, obj: Review) -> str:
        return selectors.review_client_name(obj)


class InvoiceSerializer(serializers.ModelSerializer):
    total = serializers.SerializerMethodField()
    platform_fee = serializers.SerializerMethodField()
    expert_payout = serializers.SerializerMethodField()
    consultation = serializers.IntegerField(source="consultation_id")

    class Meta:
        model = Invoice
        fields = [
            "number",
            "consultation",
            "issued_at",
            "currency",
            "seller",
            "buyer",
            "lines",
            "total",
            "platform_fee",
            "expert_payout",
        ]

    def get_total(self, obj: Invoice) -> str:
        return str(round_money(obj.total, obj.currency))

    def get_platform_fee(self, obj: Invoice) -> str:
        return str(round_money(obj.platform_fee, obj.currency))

    def get_expert_payout(self, obj: Invoice) -> str:
        return str(round_money(obj.total - obj.platform_fee, obj.currency))
