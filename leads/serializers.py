from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from experts.models import Specialization
from foodxchange.api.fields import MoneyAmountField, MoneyCurrencyField, ObjectIdField, refuse_finer_than_minor_unit
from leads import validators
from leads.inputs import finish_lead_input
from leads.models import Lead, LeadEvent, LeadNote, MessageTemplate, WhatsAppMessage


class LeadInputSerializer(serializers.Serializer):
    """Input for creating a lead (API and CSV import) — and, partially, for updating one."""

    company_name = serializers.CharField(max_length=200)
    contact_name = serializers.CharField(max_length=200)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=40, help_text="E.164, e.g. +14155550123"
    )
    country = serializers.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, e.g. US")
    timezone = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=64,
        help_text="IANA zone for quiet hours; guessed from the phone number when left out, else UTC",
    )
    source: Any = serializers.ChoiceField(choices=Lead.Source.choices)
    specialization = serializers.PrimaryKeyRelatedField(
        queryset=Specialization.objects.filter(is_active=True), required=False, allow_null=True, default=None
    )
    estimated_value = MoneyAmountField(
        max_digits=15, min_value=Decimal("0"), required=False, allow_null=True, default=None
    )
    currency = MoneyCurrencyField(required=False, default="USD")
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    whatsapp_opt_in = serializers.BooleanField(required=False, default=False)

    def validate_email(self, value: str) -> str:
        return value.strip().lower()

    def validate_country(self, value: str) -> str:
        try:
            return validators.normalize_country(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages)

    def validate_timezone(self, value: str) -> str:
        if not value:
            return value
        try:
            validators.validate_timezone_name(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages)
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = finish_lead_input(attrs, lead=self.instance)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class LeadUpdateSerializer(LeadInputSerializer):
    """PUT replaces the editable fields; PATCH (partial) changes only those sent."""

    status: Any = serializers.ChoiceField(choices=Lead.Status.choices, required=False)


class UserSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField(source="get_full_name")


class ScoreRuleSerializer(serializers.Serializer):
    rule = serializers.CharField()
    points = serializers.IntegerField()
    max_points = serializers.IntegerField()
    reason = serializers.CharField()


class ScoreBreakdownSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    rules = ScoreRuleSerializer(many=True)
    computed_at = serializers.DateTimeField()


class LeadSerializer(serializers.ModelSerializer):
    assigned_to = UserSummarySerializer(read_only=True, allow_null=True)
    created_by = UserSummarySerializer(read_only=True, allow_null=True)
    specialization: Any = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    specialization_id = serializers.IntegerField(read_only=True, allow_null=True)
    score_breakdown = serializers.SerializerMethodField()
    whatsapp_opted_out = serializers.SerializerMethodField()
    deal_id = serializers.SerializerMethodField()
    estimated_value = MoneyAmountField(read_only=True, allow_null=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            "company_name",
            "contact_name",
            "email",
            "phone",
            "country",
            "timezone",
            "source",
            "specialization",
            "specialization_id",
            "estimated_value",
            "currency",
            "notes",
            "status",
            "score",
            "score_breakdown",
            "whatsapp_opt_in",
            "whatsapp_opted_out",
            "last_contacted_at",
            "last_inbound_at",
            "assigned_to",
            "created_by",
            "deal_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ScoreBreakdownSerializer(allow_null=True))
    def get_score_breakdown(self, lead: Lead) -> dict | None:
        return lead.score_breakdown or None  # not scored yet

    def get_whatsapp_opted_out(self, lead: Lead) -> bool:
        return lead.whatsapp_opted_out_at is not None

    def get_deal_id(self, lead: Lead) -> int | None:
        deal = getattr(lead, "deal", None) if lead.status == Lead.Status.WON else None
        return deal.pk if deal else None


class LeadListQuerySerializer(serializers.Serializer):
    status: Any = serializers.ChoiceField(choices=Lead.Status.choices, required=False)
    source: Any = serializers.ChoiceField(choices=Lead.Source.choices, required=False)
    min_score = serializers.IntegerField(min_value=0, max_value=100, required=False)
    q = serializers.CharField(required=False, max_length=100)
    assigned_to = ObjectIdField(required=False)


class AssignSerializer(serializers.Serializer):
    agent_id = ObjectIdField()


class ConvertSerializer(serializers.Serializer):
    deal_value = MoneyAmountField(max_digits=15, min_value=Decimal("0.001"))
    currency = MoneyCurrencyField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        refuse_finer_than_minor_unit(attrs, amount="deal_value")
        return attrs


class DealSerializer(serializers.Serializer):
    """The deal the conversion booked (read by attribute: the ledger owns the model)."""

    id = serializers.IntegerField()
    lead = serializers.IntegerField(source="lead_id")
    agent = serializers.IntegerField(source="agent_id", allow_null=True)
    value = MoneyAmountField()
    currency = serializers.CharField()
    status = serializers.CharField()
    closed_at = serializers.DateTimeField()


class CommissionSummarySerializer(serializers.Serializer):
    """Whatever the commissions ledger returned for the deal, read defensively."""

    id = serializers.IntegerField()
    amount = MoneyAmountField()
    currency = serializers.CharField()
    rate = serializers.DecimalField(max_digits=None, decimal_places=None, allow_null=True)
    status = serializers.CharField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = {}
        for name, field in self.fields.items():
            present = getattr(instance, name, None) is not None
            data[name] = field.to_representation(field.get_attribute(instance)) if present else None
        return data


class ConvertResponseSerializer(serializers.Serializer):
    deal = DealSerializer()
    commission = CommissionSummarySerializer(allow_null=True)
    lead = LeadSerializer()


class NoteInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)


class NoteSerializer(serializers.ModelSerializer):
    author = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = LeadNote
        fields = ["id", "lead", "author", "body", "created_at"]
        read_only_fields = fields


class LeadEventSerializer(serializers.ModelSerializer):
    actor = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = LeadEvent
        fields = ["id", "kind", "actor", "changes", "message", "created_at"]
        read_only_fields = fields


class WhatsAppInputSerializer(serializers.Serializer):
    template = serializers.SlugRelatedField(
        slug_field="name", queryset=MessageTemplate.objects.all(), required=False, allow_null=True
    )
    variables = serializers.DictField(child=serializers.CharField(max_length=500), required=False, default=dict)
    body = serializers.CharField(required=False, allow_blank=True, max_length=4096, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("template")) == bool(attrs.get("body", "").strip()):
            raise serializers.ValidationError(
                {"template": ["Send either a template (with variables) or a free-form body, not both."]}
            )
        return attrs


class WhatsAppMessageSerializer(serializers.ModelSerializer):
    template: Any = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)

    class Meta:
        model = WhatsAppMessage
        fields = [
            "id",
            "direction",
            "origin",
            "template",
            "variables",
            "body",
            "to_number",
            "status",
            "error_code",
            "error_message",
            "created_at",
            "sent_at",
            "status_updated_at",
        ]
        read_only_fields = fields


class ImportInputSerializer(serializers.Serializer):
    file = serializers.FileField()


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    field = serializers.CharField()
    message = serializers.CharField()


class ImportDuplicateSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    field = serializers.CharField()


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    errors: Any = ImportErrorSerializer(many=True)
    duplicate_rows = ImportDuplicateSerializer(many=True)


class AmountSerializer(serializers.Serializer):
    currency = serializers.CharField()
    amount = MoneyAmountField()
    leads = serializers.IntegerField(required=False)
    deals = serializers.IntegerField(required=False)


class AnalyticsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    by_source = serializers.DictField(child=serializers.IntegerField())
    conversion_rate = serializers.DecimalField(max_digits=5, decimal_places=4)
    win_rate = serializers.DecimalField(max_digits=5, decimal_places=4)
    average_score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    pipeline_value = AmountSerializer(many=True)
    won_value = AmountSerializer(many=True)


class TwilioStatusSerializer(serializers.Serializer):
    MessageSid = serializers.CharField()
    MessageStatus = serializers.CharField()
    ErrorCode = serializers.CharField(required=False, allow_blank=True)


class TwilioInboundSerializer(serializers.Serializer):
    MessageSid = serializers.CharField()
    From = serializers.CharField()
    Body = serializers.CharField(required=False, allow_blank=True)
