"""Weekly availability, dated exceptions and free slots."""

from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from accounts.models import validate_timezone
from experts.models import (
    AvailabilityException,
    AvailabilityRule,
)
from experts.services import rules_overlap
from foodxchange.api.fields import ObjectIdField


class AvailabilityRuleSerializer(serializers.ModelSerializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday … 6 = Sunday")

    class Meta:
        model = AvailabilityRule
        fields = ["weekday", "start", "end"]

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["The end must be after the start."]})
        return attrs


class AvailabilityExceptionSerializer(serializers.ModelSerializer):
    start = serializers.TimeField(required=False, allow_null=True)
    end = serializers.TimeField(required=False, allow_null=True)

    class Meta:
        model = AvailabilityException
        fields = ["date", "start", "end", "available", "reason"]

    def validate(self, attrs):
        start, end = attrs.get("start"), attrs.get("end")
        if (start is None) != (end is None):
            raise serializers.ValidationError({"end": ["Give both start and end, or neither for a whole day."]})
        if start is None and attrs.get("available"):
            raise serializers.ValidationError({"start": ["An extra available window needs a start and an end."]})
        if start is not None and end <= start:
            raise serializers.ValidationError({"end": ["The end must be after the start."]})
        return attrs


class AvailabilityWriteSerializer(serializers.Serializer):
    rules = AvailabilityRuleSerializer(many=True, max_length=50)  # type: ignore[call-arg]  # ListSerializer option
    exceptions = AvailabilityExceptionSerializer(many=True, required=False, max_length=400)  # type: ignore[call-arg]
    timezone = serializers.CharField(max_length=64, required=False, validators=[validate_timezone])

    def validate_rules(self, value):
        problems = rules_overlap(value)
        if problems:
            raise serializers.ValidationError(problems)
        return value


class SlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class AvailabilityQuerySerializer(serializers.Serializer):
    MAX_RANGE = timedelta(days=62)

    expert = ObjectIdField(required=False)
    to = serializers.DateTimeField(required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateTimeField(required=False)  # a Python keyword: declared here
        return fields

    def validate(self, attrs):
        start = attrs.get("from") or timezone.now()
        end = attrs.get("to") or start + timedelta(days=7)
        if end <= start:
            raise serializers.ValidationError({"to": ["'to' must be after 'from'."]})
        if end - start > self.MAX_RANGE:
            raise serializers.ValidationError({"to": ["The range may span at most 62 days."]})
        attrs["from"], attrs["to"] = start, end
        return attrs


class AvailabilitySerializer(serializers.Serializer):
    expert = serializers.IntegerField()
    timezone = serializers.CharField()
    start = serializers.DateTimeField(source="from")
    end = serializers.DateTimeField(source="to")
    rules = AvailabilityRuleSerializer(many=True)
    exceptions = AvailabilityExceptionSerializer(many=True)
    slots = SlotSerializer(many=True)
