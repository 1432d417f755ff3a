from typing import Any

from django.urls import reverse
from rest_framework import serializers

from foodxchange.api.fields import ObjectIdField
from workspaces.models import Attachment, Message, Workspace


def _person(user: Any) -> dict[str, Any]:
    return {"id": user.pk, "name": user.get_full_name() or user.email, "role": user.role}


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    uploaded_by = serializers.IntegerField(source="uploaded_by_id")

    class Meta:
        model = Attachment
        fields = [
            "id",
            "name",
            "version",
            "content_type",
            "size",
            "sha256",
            "message",
            "uploaded_by",
            "created_at",
            "url",
        ]

    def get_url(self, obj: Attachment) -> str:
        return reverse("workspace-file-download", kwargs={"pk": obj.workspace_id, "attachment_id": obj.pk})


class MessageSerializer(serializers.ModelSerializer):
    sender = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["id", "workspace", "sender", "body", "contact_warning", "attachments", "created_at"]

    def get_sender(self, obj: Message) -> dict[str, Any]:
        return _person(obj.sender)


class WorkspaceSerializer(serializers.ModelSerializer):
    client = serializers.SerializerMethodField()
    expert = serializers.SerializerMethodField()
    paid = serializers.SerializerMethodField()
    unread = serializers.IntegerField(read_only=True)
    last_message_id = serializers.IntegerField(read_only=True, allow_null=True)
    can_post = serializers.SerializerMethodField()

    class Meta:
        model = Workspace
        fields = [
            "id",
            "kind",
            "subject_id",
            "title",
            "client",
            "expert",
            "paid",
            "unread",
            "last_message_id",
            "can_post",
            "created_at",
        ]

    def get_client(self, obj: Workspace) -> dict[str, Any]:
        return _person(obj.client)

    def get_expert(self, obj: Workspace) -> dict[str, Any]:
        return _person(obj.expert)

    def get_paid(self, obj: Workspace) -> bool:
        return obj.paid_at is not None

    def get_can_post(self, obj: Workspace) -> bool:
        user = self.context["request"].user
        return user.pk in (obj.client_id, obj.expert_id)


class DocumentSerializer(serializers.Serializer):
    """One file name of the workspace with all its versions (newest first)."""

    name = serializers.CharField()
    latest = AttachmentSerializer()
    versions = AttachmentSerializer(many=True)


class MessageInputSerializer(serializers.Serializer):
    body = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, default="")
    files = serializers.ListField(child=serializers.FileField(allow_empty_file=True), required=False, default=list)


class MessageQuerySerializer(serializers.Serializer):
    after = ObjectIdField(required=False, min_value=0)
    before = ObjectIdField(required=False)


class ReadSerializer(serializers.Serializer):
    message_id = ObjectIdField()
