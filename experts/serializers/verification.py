"""Documents and verification requests."""

from rest_framework import serializers

from experts.models import (
    ExpertDocument,
    ExpertProfile,
    VerificationRequest,
)
from foodxchange.api.fields import ObjectIdField


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    doc_type = serializers.ChoiceField(choices=ExpertDocument.DocType.choices)
    title = serializers.CharField(max_length=200)
    expires_at = serializers.DateField(required=False, allow_null=True)


class DocumentSerializer(serializers.ModelSerializer):
    is_current = serializers.SerializerMethodField()

    class Meta:
        model = ExpertDocument
        fields = [
            "id",
            "doc_type",
            "title",
            "version",
            "content_type",
            "size",
            "sha256",
            "expires_at",
            "uploaded_at",
            "is_current",
        ]
        read_only_fields = fields

    def get_is_current(self, doc: ExpertDocument) -> bool:
        latest = self.context.get("latest_versions")
        if latest is None:
            return True
        return latest.get(doc.doc_type) == doc.version


class VerificationCreateSerializer(serializers.Serializer):
    documents = serializers.ListField(child=ObjectIdField(), min_length=1, max_length=20)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate_documents(self, ids):
        profile = self.context["profile"]
        found = list(ExpertDocument.objects.filter(expert=profile, id__in=ids))
        missing = sorted(set(ids) - {d.id for d in found})
        if missing:
            raise serializers.ValidationError(f"Unknown document id(s): {', '.join(map(str, missing))}.")
        return found


class VerificationSerializer(serializers.ModelSerializer):
    """A request; ``status`` is the request's own word (pending/approved/rejected),
    ``verification_status`` the contract's word for the expert it led to."""

    STATUS_WORDS = {
        VerificationRequest.Status.PENDING: ExpertProfile.Verification.PENDING,
        VerificationRequest.Status.APPROVED: ExpertProfile.Verification.VERIFIED,
        VerificationRequest.Status.REJECTED: ExpertProfile.Verification.REJECTED,
    }

    documents = DocumentSerializer(many=True, read_only=True)
    expert_name = serializers.CharField(source="expert.display_name", read_only=True)
    verification_status = serializers.SerializerMethodField()

    class Meta:
        model = VerificationRequest
        fields = [
            "id",
            "expert",
            "expert_name",
            "status",
            "verification_status",
            "note",
            "documents",
            "reviewer_note",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_verification_status(self, verification: VerificationRequest) -> str:
        return str(self.STATUS_WORDS[VerificationRequest.Status(verification.status)])


class VerificationDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["decision"] == "reject" and not attrs["note"].strip():
            raise serializers.ValidationError({"note": ["Explain the rejection so the expert can fix it."]})
        return attrs
