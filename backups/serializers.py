from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backups.models import Backup, BackupJob

DISASTER_RECOVERY_CONFIRMATION = "disaster-recovery"


class BackupSerializer(serializers.ModelSerializer):
    created_by = serializers.SerializerMethodField()
    status_url = serializers.SerializerMethodField()

    class Meta:
        model = Backup
        fields = [
            "id",
            "kind",
            "status",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "duration_seconds",
            "engine",
            "size_bytes",
            "checksum_sha256",
            "key_id",
            "manifest",
            "verified_at",
            "verification",
            "deleted_at",
            "error",
            "status_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.EmailField(allow_null=True))
    def get_created_by(self, obj: Backup) -> str | None:
        return obj.created_by.email if obj.created_by else None

    def get_status_url(self, obj: Backup) -> str:
        return f"/api/v1/backup/status?id={obj.id}"


class BackupJobSerializer(serializers.ModelSerializer):
    requested_by = serializers.SerializerMethodField()
    status_url = serializers.SerializerMethodField()

    class Meta:
        model = BackupJob
        fields = [
            "id",
            "kind",
            "status",
            "backup",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "result",
            "error",
            "status_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.EmailField(allow_null=True))
    def get_requested_by(self, obj: BackupJob) -> str | None:
        return obj.requested_by.email if obj.requested_by else None

    def get_status_url(self, obj: BackupJob) -> str:
        return f"/api/v1/backup/status?id={obj.id}"


class RestoreRequestSerializer(serializers.Serializer):
    confirm = serializers.CharField(help_text="The id of the backup being restored, typed back.")

    def validate_confirm(self, value: str) -> str:
        backup = self.context["backup"]
        if value.strip().lower() != str(backup.id):
            raise serializers.ValidationError(f"Type the backup id {backup.id} to confirm the restore.")
        return value


class DisasterRecoveryRequestSerializer(serializers.Serializer):
    confirm = serializers.CharField(help_text=f'Type "{DISASTER_RECOVERY_CONFIRMATION}" to confirm.')

    def validate_confirm(self, value: str) -> str:
        if value.strip().lower() != DISASTER_RECOVERY_CONFIRMATION:
            raise serializers.ValidationError(
                f'Type "{DISASTER_RECOVERY_CONFIRMATION}" to confirm: the live data will be replaced.'
            )
        return value


class StatusQuerySerializer(serializers.Serializer):
    id = serializers.UUIDField(required=False, help_text="A backup id or a job id.")


class BackupOverviewSerializer(serializers.Serializer):
    latest = serializers.DictField(allow_null=True)
    latest_successful = serializers.DictField(allow_null=True)
    latest_failed = serializers.DictField(allow_null=True)
    backups_in_progress = serializers.ListField(child=serializers.DictField())
    jobs_in_progress = serializers.ListField(child=serializers.DictField())
    stored = serializers.IntegerField()
    retention = serializers.DictField(child=serializers.IntegerField())
    hourly_schedule = serializers.BooleanField()
