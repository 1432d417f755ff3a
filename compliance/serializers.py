import json

from rest_framework import serializers

from compliance.canonical import utc_text
from compliance.models import Certificate, LedgerEntry, LedgerKind, VaultCertificate, VaultStandard


class LedgerEntrySerializer(serializers.ModelSerializer):
    payload = serializers.SerializerMethodField()
    payload_canonical = serializers.CharField(source="payload", read_only=True)
    created_at_utc = serializers.SerializerMethodField(help_text="created_at exactly as it was hashed")

    class Meta:
        model = LedgerEntry
        fields = [
            "seq",
            "kind",
            "subject",
            "payload",
            "payload_canonical",
            "payload_hash",
            "prev_hash",
            "entry_hash",
            "signature",
            "key_id",
            "created_at",
            "created_at_utc",
        ]
        read_only_fields = fields

    def get_created_at_utc(self, obj: LedgerEntry) -> str:
        return utc_text(obj.created_at)

    def get_payload(self, obj: LedgerEntry) -> dict:
        try:
            return json.loads(obj.payload)
        except ValueError:
            return {}


class LedgerQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LedgerKind.choices, required=False)
    subject = serializers.CharField(max_length=100, required=False)


class LedgerHeadSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    entry_hash = serializers.CharField(allow_null=True)
    signature = serializers.CharField(allow_null=True)
    key_id = serializers.CharField()
    public_key = serializers.CharField(help_text="Ed25519 public key, base64 of the 32 raw bytes")
    algorithm = serializers.CharField()
    hash = serializers.CharField()
    development_key = serializers.BooleanField(help_text="True when signed with the DEBUG-only derived key")
    created_at = serializers.DateTimeField(allow_null=True)


class CertificateSerializer(serializers.ModelSerializer):
    revoked = serializers.BooleanField(read_only=True)
    ledger_seq = serializers.IntegerField(source="ledger_entry.seq", read_only=True)
    verify_url = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = [
            "id",
            "kind",
            "subject",
            "title",
            "details",
            "issued_at",
            "expires_at",
            "revoked",
            "revoked_at",
            "revoked_reason",
            "document_hash",
            "ledger_seq",
            "verify_url",
            "pdf_url",
        ]
        read_only_fields = fields

    def get_verify_url(self, obj: Certificate) -> str:
        from compliance.pdf import verify_url

        return verify_url(obj)

    def get_pdf_url(self, obj: Certificate) -> str:
        from compliance.pdf import verify_url

        return verify_url(obj).removesuffix("/verify") + "?format=pdf"


class CertificateQuerySerializer(serializers.Serializer):
    subject = serializers.RegexField(
        r"^(expert|consultation|engagement):[0-9]{1,19}$",
        max_length=40,
        error_messages={"invalid": "Use expert:<id>, consultation:<id> or engagement:<id>."},
    )


class CertificateVerifySerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())
    certificate = CertificateSerializer()
    document = serializers.DictField(help_text="The canonical document whose SHA-256 the ledger attests")
    document_hash = serializers.CharField()
    ledger_entry = LedgerEntrySerializer()
    chain_ok = serializers.BooleanField()
    signature_ok = serializers.BooleanField()
    revoked = serializers.BooleanField()
    expired = serializers.BooleanField()
    public_key = serializers.CharField()


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class VaultCertificateSerializer(serializers.ModelSerializer):
    standard = serializers.ChoiceField(choices=VaultStandard.choices)
    document = serializers.FileField(required=False, write_only=True)
    has_document = serializers.SerializerMethodField()
    reminders = serializers.SerializerMethodField()

    class Meta:
        model = VaultCertificate
        fields = [
            "id",
            "standard",
            "site",
            "site_country",
            "certificate_number",
            "certification_body",
            "scope",
            "issued_at",
            "expires_at",
            "next_audit_at",
            "document",
            "has_document",
            "document_type",
            "document_sha256",
            "reminders",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "document_type", "document_sha256", "created_at", "updated_at"]
        extra_kwargs = {"site_country": {"allow_blank": True}}

    def get_has_document(self, obj: VaultCertificate) -> bool:
        return bool(obj.document)

    def get_reminders(self, obj: VaultCertificate) -> list[dict]:
        return [
            {"kind": r.kind, "days_before": r.days_before, "date": r.target_date, "sent": r.sent}
            for r in obj.reminders.all()
        ]

    def validate_site_country(self, value: str) -> str:
        from django_countries import countries

        value = (value or "").upper()
        if value and value not in dict(countries):
            raise serializers.ValidationError("Use an ISO 3166 country code, e.g. DE.")
        return value
