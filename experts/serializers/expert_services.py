"""Services an expert offers."""

from rest_framework import serializers

from experts.models import (
    ExpertService,
    Specialization,
)
from experts.serializers.profiles import MONEY
from foodxchange.api.fields import currency_code


class ServiceSerializer(serializers.ModelSerializer):
    specialization = serializers.PrimaryKeyRelatedField(queryset=Specialization.objects.filter(is_active=True))
    price = serializers.DecimalField(**MONEY)
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
