"""Workspaces: the shared room of one job (a consultation or an engagement).

The apps that own the jobs open a workspace through ``workspaces.services`` and tell it
when money has moved between the two parties; workspaces imports neither of them."""

import uuid

from django.conf import settings
from django.db import models


class Workspace(models.Model):
    class Kind(models.TextChoices):
        CONSULTATION = "consultation", "Consultation"
        ENGAGEMENT = "engagement", "Engagement"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject_id = models.PositiveBigIntegerField(help_text="Id of the consultation or engagement")
    title = models.CharField(max_length=200)
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_workspaces")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="expert_workspaces")
    # First payment between the client and the expert on this job (contact-detail rule).
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "subject_id"], name="workspace_one_per_subject")]
        indexes = [models.Index(fields=["client", "expert"], name="workspace_pair_idx")]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.subject_id}: {self.title}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    # A random folder per upload: two versions of one name never collide in storage.
    return f"workspaces/{instance.workspace_id}/{uuid.uuid4().hex}/{filename}"


class Message(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="workspace_messages")
    body = models.TextField(blank=True)
    # Kept and shown, but flagged: contact details shared before any payment between the two.
    contact_warning = models.BooleanField(default=False)
    contact_kinds = models.JSONField(default=list, blank=True, help_text="What was found: email, phone")
    # The sender's retry key: the same key in the same workspace is the same message.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001 (NULL = no key)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "sender", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="workspace_message_idempotency",
            )
        ]
        indexes = [models.Index(fields=["workspace", "id"], name="workspace_message_seq_idx")]

    def __str__(self) -> str:
        return f"Message #{self.pk} in workspace #{self.workspace_id}"


class Attachment(models.Model):
    """One uploaded file. Uploading a file whose name (case-insensitive) is already in the
    workspace adds a new version; earlier versions stay."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    name_key = models.CharField(max_length=200, help_text="The name, case-folded: versions share it")
    version = models.PositiveIntegerField()
    file = models.FileField(upload_to=attachment_path, max_length=400)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name_key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name_key", "version"], name="workspace_attachment_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class ReadMarker(models.Model):
    """How far one member has read a workspace (messages up to ``last_read_id``)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="read_markers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_read_id = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="workspace_read_marker_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} read #{self.workspace_id} up to {self.last_read_id}"
