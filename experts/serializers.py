from datetime import timedelta
from decimal import Decimal

from django.core.files.storage import default_storage
from django.utils import timezone
from rest_framework import serializers

from experts.constants import COUNTRY_CODES, LANGUAGE_CODES
from experts.models import (
    AvailabilityException,
    AvailabilityRule,
    Certification,
    ExpertDocument,
    ExpertProfile,
    ExpertService,
    Specialization,
    VerificationRequest,
)
from experts.services import rules_overlap
from foodxchange.api.fields import ObjectIdField, currency_code, parse_object_id
from foodxchange.geo import validate_timezone

MONEY = {"max_digits": 10, "decimal_places": 2, "min_value": Decimal("0")}


def photo_url(profile: ExpertProfile, request=None) -> str | None:
    if not profile.photo:
        return None
    url = default_storage.url(profile.photo.name)
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


class ExpertListSerializer(serializers.ModelSerializer):
    """An expert in search results; ``presence`` comes from one lookup per page
    (``context["presence"]``)."""

    name = serializers.CharField(source="display_name")
    specializations = SpecializationSerializer(many=True)
    timezone = serializers.CharField(source="user.timezone")
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

    class Meta(ExpertListSerializer.Meta):
        fields = [
            *[f for f in ExpertListSerializer.Meta.fields if f != "score"],
            "bio",
            "certifications",
            "capacity",
            "is_active",
        ]
        read_only_fields = fields


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
    hourly_rate = serializers.DecimalField(**MONEY)
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

    def validate_certifications(self, value):
        if len(value) > 50:
            raise serializers.ValidationError("At most 50 certifications.")
        return value


class PhotoUploadSerializer(serializers.Serializer):
    photo = serializers.FileField()


class PhotoResponseSerializer(serializers.Serializer):
    photo_url = serializers.CharField(allow_null=True)


class ServiceSerializer(serializers.ModelSerializer):
    specialization = serializers.PrimaryKeyRelatedField(queryset=Specialization.objects.filter(is_active=True))
    price = serializers.DecimalField(**MONEY)
    currency = serializers.CharField(max_length=3, required=False)
    expert = serializers.PrimaryKeyRelatedField(read_only=True)

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


class ServiceSearchResultSerializer(ServiceSerializer):
    specialization = SpecializationSerializer()
    expert_name = serializers.CharField(source="expert.display_name")
    score = serializers.SerializerMethodField()

    class Meta(ServiceSerializer.Meta):
        fields = [*ServiceSerializer.Meta.fields, "expert_name", "score"]
        read_only_fields = fields

    def get_score(self, service) -> float:
        return round(float(getattr(service, "score", 0.0) or 0.0), 4)


# --- availability -----------------------------------------------------------------------
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
    rules = AvailabilityRuleSerializer(many=True, max_length=50)
    exceptions = AvailabilityExceptionSerializer(many=True, required=False, max_length=400)
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


# --- documents and verification --------------------------------------------------------
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
    documents = DocumentSerializer(many=True, read_only=True)
    expert_name = serializers.CharField(source="expert.display_name", read_only=True)

    class Meta:
        model = VerificationRequest
        fields = [
            "id",
            "expert",
            "expert_name",
            "status",
            "note",
            "documents",
            "reviewer_note",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields


class VerificationDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["decision"] == "reject" and not attrs["note"].strip():
            raise serializers.ValidationError({"note": ["Explain the rejection so the expert can fix it."]})
        return attrs


# --- dashboard and analytics -----------------------------------------------------------
class CompletenessSerializer(serializers.Serializer):
    percent = serializers.IntegerField()
    missing = serializers.ListField(child=serializers.DictField())


class ExpertDashboardSerializer(serializers.Serializer):
    upcoming_consultations = serializers.ListField(child=serializers.DictField())
    open_requests = serializers.IntegerField()
    earnings_this_month = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    profile_completeness = CompletenessSerializer()
    rating_avg = serializers.DecimalField(max_digits=3, decimal_places=2)
    rating_count = serializers.IntegerField()
    verification_status = serializers.CharField()
    pending_verification_id = serializers.IntegerField(allow_null=True)


class ExpertAnalyticsMonthSerializer(serializers.Serializer):
    month = serializers.CharField()
    profile_views = serializers.IntegerField()
    search_impressions = serializers.IntegerField()
    clicks = serializers.IntegerField()
    click_through_rate = serializers.FloatField()
    bookings = serializers.IntegerField()
    revenue = serializers.DecimalField(max_digits=14, decimal_places=2)


class ExpertAnalyticsTotalsSerializer(ExpertAnalyticsMonthSerializer):
    month = None


class ExpertAnalyticsSerializer(serializers.Serializer):
    currency = serializers.CharField()
    totals = ExpertAnalyticsTotalsSerializer()
    months = ExpertAnalyticsMonthSerializer(many=True)


class ExpertAnalyticsQuerySerializer(serializers.Serializer):
    months = serializers.IntegerField(min_value=1, max_value=24, default=6)


# --- search -------------------------------------------------------------------------------
class SpecializationLookupField(serializers.CharField):
    """Accepts a specialization's slug or id."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        pk = parse_object_id(value)
        lookup = {"pk": pk} if pk is not None else {"slug": value}
        specialization = Specialization.objects.filter(is_active=True, **lookup).first()
        if specialization is None:
            raise serializers.ValidationError(f"Unknown specialization {value!r}.")
        return specialization


class ExpertSearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    specialization = SpecializationLookupField(required=False, help_text="slug or id")
    country = serializers.CharField(max_length=2, min_length=2, required=False)
    language = serializers.CharField(max_length=2, min_length=2, required=False)
    min_rating = serializers.DecimalField(max_digits=3, decimal_places=2, min_value=0, max_value=5, required=False)
    max_rate = serializers.DecimalField(**MONEY, required=False)
    currency = serializers.CharField(max_length=3, required=False, default="USD", help_text="currency of max_rate")
    verified = serializers.BooleanField(required=False, default=True, help_text="false: staff only")
    available_from = serializers.DateTimeField(required=False)
    available_to = serializers.DateTimeField(required=False)
    sort = serializers.ChoiceField(choices=["relevance", "rating", "price", "experience"], default="relevance")

    def validate_country(self, value: str) -> str:
        value = value.upper()
        if value not in COUNTRY_CODES:
            raise serializers.ValidationError("Use an ISO 3166-1 alpha-2 country code, e.g. 'DE'.")
        return value

    def validate_language(self, value: str) -> str:
        value = value.lower()
        if value not in LANGUAGE_CODES:
            raise serializers.ValidationError("Use an ISO 639-1 language code, e.g. 'en'.")
        return value

    def validate_currency(self, value: str) -> str:
        return currency_code(value)

    def validate(self, attrs):
        start, end = attrs.get("available_from"), attrs.get("available_to")
        if (start is None) != (end is None):
            raise serializers.ValidationError({"available_to": ["Give both available_from and available_to."]})
        if start is not None:
            if end <= start:
                raise serializers.ValidationError({"available_to": ["Must be after available_from."]})
            if end - start > timedelta(days=31):
                raise serializers.ValidationError({"available_to": ["The window may span at most 31 days."]})
        return attrs


class ExpertSearchResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    search_id = serializers.UUIDField()
    corrected_query = serializers.CharField(allow_null=True)
    count_capped = serializers.BooleanField()
    results = ExpertListSerializer(many=True)


class ServiceSearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    specialization = SpecializationLookupField(required=False, help_text="slug or id")
    max_price = serializers.DecimalField(**MONEY, required=False)
    pricing_type = serializers.ChoiceField(choices=ExpertService.PricingType.choices, required=False)


class SuggestionQuerySerializer(serializers.Serializer):
    q = serializers.CharField(min_length=2, max_length=100)


class SuggestionSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["specialization", "expert", "service"])
    label = serializers.CharField()
    id = serializers.IntegerField()
    slug = serializers.CharField(required=False)


class SpecializationCountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    expert_count = serializers.IntegerField()


class TrendingQuerySerializer(serializers.Serializer):
    query = serializers.CharField()
    searches = serializers.IntegerField()


class TrendingSpecializationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()
    searches = serializers.IntegerField()


class TrendingSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    queries = TrendingQuerySerializer(many=True)
    specializations = TrendingSpecializationSerializer(many=True)


class ClickEventSerializer(serializers.Serializer):
    search_id = serializers.UUIDField()
    expert_id = ObjectIdField()
    position = serializers.IntegerField(min_value=1, max_value=10000)

    def validate(self, attrs):
        from experts.models import SearchLog

        search = SearchLog.objects.filter(pk=attrs["search_id"]).first()
        if search is None:
            raise serializers.ValidationError({"search_id": ["Unknown search_id."]})
        expert = ExpertProfile.objects.filter(pk=attrs["expert_id"]).first()
        if expert is None:
            raise serializers.ValidationError({"expert_id": ["Unknown expert."]})
        attrs["search"], attrs["expert"] = search, expert
        return attrs


class SearchAnalyticsQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=365, default=30)


class QueryStatSerializer(serializers.Serializer):
    query = serializers.CharField()
    searches = serializers.IntegerField()
    clicks = serializers.IntegerField(required=False)
    click_through_rate = serializers.FloatField(required=False)


class SearchAnalyticsSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    searches = serializers.IntegerField()
    zero_result_searches = serializers.IntegerField()
    clicks = serializers.IntegerField()
    searches_with_click = serializers.IntegerField()
    click_through_rate = serializers.FloatField()
    zero_result_queries = QueryStatSerializer(many=True)
    top_queries = QueryStatSerializer(many=True)


class FacetValueSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class SpecializationFacetSerializer(FacetValueSerializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()


class CodeFacetSerializer(FacetValueSerializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ThresholdFacetSerializer(FacetValueSerializer):
    value = serializers.CharField()
    currency = serializers.CharField(required=False)


class FacetsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    specialization = SpecializationFacetSerializer(many=True)
    country = CodeFacetSerializer(many=True)
    language = CodeFacetSerializer(many=True)
    min_rating = ThresholdFacetSerializer(many=True)
    max_rate = ThresholdFacetSerializer(many=True)
    sort = serializers.ListField(child=serializers.CharField())
