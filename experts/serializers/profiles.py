"""Profiles: the public and own profile, its update, photo, specializations and certifications."""

from decimal import Decimal
from typing import Any

from django.core.files.storage import default_storage
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from experts.constants import COUNTRY_CODES, LANGUAGE_CODES
from experts.credential_models import ExpertCredential
from experts.models import (
    Certification,
    ExpertProfile,
    Specialization,
)
from experts.selectors import public_credentials_queryset
from foodxchange.api.fields import MoneyAmountField, currency_code, refuse_finer_than_minor_unit
from foodxchange.geo import validate_timezone

# Rates and prices: any currency's minor unit (KWD has 3 decimals); storage rounds
# each amount to its own currency's.
MONEY: dict[str, Any] = {"max_digits": 14, "min_value": Decimal("0")}


def photo_url(profile: ExpertProfile, request=None) -> str | None:
    return photo_url_of(profile.photo.name if profile.photo else "", request)


def photo_url_of(name: str | None, request=None) -> str | None:
    """The public URL of a stored photo name (absolute when a request is given)."""
    if not name:
        return None
    url = default_storage.url(name)
    return request.build_absolute_uri(url) if request is not None and url.startswith("/") else url


class SpecializationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Specialization
        fields = ["id", "slug", "name"]


class CertificationSerializer(serializers.ModelSerializer):
    is_expired = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()

    class Meta:
        model = Certification
        fields = ["id", "name", "issuer", "number", "issued_at", "expires_at", "is_expired", "status"]
        read_only_fields = ["id"]

    def get_is_expired(self, cert: Certification) -> bool:
        return cert.is_expired()

    def get_status(self, cert: Certification) -> str:
        return "expired" if cert.is_expired() else "valid"

    def validate(self, attrs):
        issued, expires = attrs.get("issued_at"), attrs.get("expires_at")
        if issued and expires and expires < issued:
            raise serializers.ValidationError({"expires_at": ["The expiry date is before the issue date."]})
        return attrs


class PublicCredentialSerializer(serializers.ModelSerializer):
    """A verified typed credential as the public sees it: what it is, who issued it,
    its number (so anyone can check it with the issuer), scope, validity and whether it
    is still valid. The document and the reviewer's notes stay private."""

    credential_type = serializers.CharField(source="credential_type.slug")
    credential_type_name = serializers.CharField(source="credential_type.name")
    category = serializers.CharField(source="credential_type.category")
    status = serializers.SerializerMethodField(help_text="valid or expired")
    verified_at = serializers.DateTimeField(source="reviewed_at")

    class Meta:
        model = ExpertCredential
        fields = [
            "id",
            "credential_type",
            "credential_type_name",
            "category",
            "issuer",
            "number",
            "scope",
            "valid_from",
            "expires_at",
            "status",
            "verified_at",
        ]
        read_only_fields = fields

    def get_status(self, credential: ExpertCredential) -> str:
        return credential.display_status()


class ExpertListSerializer(serializers.ModelSerializer):
    """An expert in search results; ``presence`` comes from one lookup per page
    (``context["presence"]``)."""

    name = serializers.CharField(source="display_name")
    specializations = SpecializationSerializer(many=True)
    timezone = serializers.CharField(source="user.timezone")
    hourly_rate = MoneyAmountField(read_only=True)
    presence = serializers.SerializerMethodField()
    photo_url = serializers.SerializerMethodField()
    score = serializers.SerializerMethodField()

    class Meta:
        model = ExpertProfile
        fields = [
            "id",
            "name",
            "headline",
            "specializations",
            "languages",
            "country",
            "city",
            "timezone",
            "hourly_rate",
            "currency",
            "years_experience",
            "rating_avg",
            "rating_count",
            "verification_status",
            "presence",
            "photo_url",
            "score",
        ]
        read_only_fields = fields

    def get_presence(self, profile: ExpertProfile) -> str:
        return self.context.get("presence", {}).get(profile.user_id, "offline")

    def get_photo_url(self, profile: ExpertProfile) -> str | None:
        return photo_url(profile, self.context.get("request"))

    def get_score(self, profile: ExpertProfile) -> float:
        return round(float(getattr(profile, "score", 0.0) or 0.0), 4)


class ExpertProfileSerializer(ExpertListSerializer):
    certifications = CertificationSerializer(many=True)
    credentials = serializers.SerializerMethodField(
        help_text="Verified typed credentials, valid ones first; unverified, rejected and revoked ones are not shown"
    )

    class Meta(ExpertListSerializer.Meta):
        fields = [
            *[f for f in ExpertListSerializer.Meta.fields if f != "score"],
            "bio",
            "certifications",
            "credentials",
            "capacity",
            "is_active",
        ]
        read_only_fields = fields

    @extend_schema_field(PublicCredentialSerializer(many=True))
    def get_credentials(self, profile: ExpertProfile) -> list[dict[str, Any]]:
        rows = getattr(profile, "public_credentials", None)
        if rows is None:  # not prefetched (see experts.selectors.with_public_credentials)
            rows = list(public_credentials_queryset().filter(expert=profile))
        ordered = sorted(rows, key=lambda c: (c.is_expired(), c.credential_type.name, c.pk))
        return list(PublicCredentialSerializer(ordered, many=True).data)


class ProfileUpdateSerializer(serializers.Serializer):
    """PUT replaces the listed fields (those marked required must be sent); PATCH
    changes only what is sent."""

    headline = serializers.CharField(max_length=200, allow_blank=True)
    bio = serializers.CharField(max_length=5000, allow_blank=True, required=False)
    specializations = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Specialization.objects.filter(is_active=True)
    )
    languages = serializers.ListField(child=serializers.CharField(max_length=2), max_length=20)
    country = serializers.CharField(max_length=2)
    city = serializers.CharField(max_length=100, allow_blank=True, required=False)
    hourly_rate = MoneyAmountField(**MONEY)
    currency = serializers.CharField(max_length=3)
    years_experience = serializers.IntegerField(min_value=0, max_value=80, required=False)
    capacity = serializers.IntegerField(min_value=0, max_value=100, required=False)
    is_active = serializers.BooleanField(required=False)
    timezone = serializers.CharField(max_length=64, required=False, validators=[validate_timezone])
    certifications = CertificationSerializer(many=True, required=False)

    def validate_languages(self, value: list[str]) -> list[str]:
        codes = [v.lower() for v in value]
        unknown = [c for c in codes if c not in LANGUAGE_CODES]
        if unknown:
            raise serializers.ValidationError(f"Unknown language code(s): {', '.join(unknown)}; use ISO 639-1.")
        return list(dict.fromkeys(codes))

    def validate_country(self, value: str) -> str:
        value = value.upper()
        if value not in COUNTRY_CODES:
            raise serializers.ValidationError("Use an ISO 3166-1 alpha-2 country code, e.g. 'DE'.")
        return value

    def validate_currency(self, value: str) -> str:
        return currency_code(value)

    def validate_specializations(self, value):
        if len(value) > 10:
            raise serializers.ValidationError("Choose at most 10 specializations.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A rate finer than its currency's minor unit (10.001 USD, 1500.5 JPY) is refused;
        # ``context["currency"]`` is the profile's current one, for a PATCH of the rate alone.
        refuse_finer_than_minor_unit(attrs, amount="hourly_rate", default_currency=self.context.get("currency"))
        return attrs

    def validate_certifications(self, value):
        if len(value) > 50:
            raise serializers.ValidationError("At most 50 certifications.")
        return value


class PhotoUploadSerializer(serializers.Serializer):
    photo = serializers.FileField()


class PhotoResponseSerializer(serializers.Serializer):
    photo_url = serializers.CharField(allow_null=True)
