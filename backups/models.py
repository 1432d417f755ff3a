import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Backup(models.Model):
    """One encrypted archive of the database and the media files."""

    class Kind(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        MANUAL = "manual", "Manual"
        SAFETY = "safety", "Safety (before a restore)"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        VERIFIED = "verified", "Verified"
        VERIFICATION_FAILED = "verification_failed", "Verification failed"
        DELETED = "deleted", "Deleted by retention"

    # Statuses whose archive exists in storage and may be restored.
    RESTORABLE = (Status.SUCCEEDED, Status.VERIFIED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MANUAL)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.PENDING, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    engine = models.CharField(max_length=16, blank=True)
    storage_name = models.CharField(max_length=255, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    checksum_sha256 = models.CharField(max_length=64, blank=True)
    key_id = models.CharField(max_length=255, blank=True, db_index=True)
    # Row counts per table and media statistics taken at backup time (also inside the archive).
    manifest = models.JSONField(default=dict, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verification = models.JSONField(default=dict, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("verify_backup", "Can verify a backup"),
            ("restore_backup", "Can restore a backup over the live system"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} backup {self.id} ({self.status})"

    @property
    def is_restorable(self) -> bool:
        return self.status in self.RESTORABLE


class BackupJob(models.Model):
    """A verify, restore, disaster-recovery or cleanup run requested by someone; its
    id is what the API answers with, and ``result`` is what the run reports."""

    class Kind(models.TextChoices):
        VERIFY = "verify", "Verify"
        RESTORE = "restore", "Restore"
        DISASTER_RECOVERY = "disaster_recovery", "Disaster recovery"
        CLEANUP = "cleanup", "Retention cleanup"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    backup = models.ForeignKey(Backup, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} job {self.id} ({self.status})"
