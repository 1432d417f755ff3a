"""Services an expert offers."""

from typing import Any

from rest_framework import serializers

from experts.models import (
    ExpertService,
    Specialization,
)
from experts.serializers.profiles import MONEY
from foodxchange.api.fields import MoneyAmountField, currency_code, refuse_finer_than_minor_unit


class ServiceSerializer(serializers.ModelSerializer):
    specialization = serializers.PrimaryKeyRelatedField(queryset=Specialization.objects.filter(is_active=True))
    price = MoneyAmountField(**MONEY)
    currency = serializers.CharField(max_length=3, required=False)
    expert: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = ExpertService
        fields = [
            "id",
            "expert",
            "title",
            "description",
            "specialization",
            "pricing_type",
            "price",
            "currency",
            "duration_minutes",
            "is_active",
        ]
        read_only_fields = ["id", "expert"]

    def validate_currency(self, value: str) -> str:
        return currency_code(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The currency is the one sent, else the service's, else the profile's (a new
        # service defaults to it: ``context["currency"]``).
        default = self.instance.currency if self.instance is not None else self.context.get("currency")
        refuse_finer_than_minor_unit(attrs, amount="price", default_currency=default)
        return attrs
