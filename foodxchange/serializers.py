from rest_framework import serializers

from foodxchange.models import AuditLog


class MaintenanceSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    message = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AuditLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditLog
        fields = [
            "id",
            "created_at",
            "actor",
            "actor_repr",
            "action",
            "target_type",
            "target_id",
            "target_repr",
            "before",
            "after",
            "ip_address",
            "request_id",
        ]
