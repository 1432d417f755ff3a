"""HTTP shapes of search & discovery (``/api/v1/search/...``)."""

from datetime import timedelta
from typing import Any

from rest_framework import serializers

from experts.constants import COUNTRY_CODES, LANGUAGE_CODES
from experts.models import ExpertProfile, ExpertService
from experts.selectors import specializations_by_key
from experts.serializers import (
    MONEY,
    ExpertListSerializer,
    ServiceSerializer,
    SpecializationSerializer,
    photo_url_of,
)
from foodxchange.api.fields import MoneyAmountField, ObjectIdField, currency_code, parse_object_id
from foodxchange.money import amount_text, convert
from matching import search_services
from matching.models import SearchLog


class ExpertHitSerializer(ExpertListSerializer):
    """An expert in search results, with the hourly rate converted with the FX table
    into the search's ``currency`` (``context["currency"]``, ``context["fx"]``); null
    when the table has no rate for the expert's currency."""

    hourly_rate_converted = serializers.SerializerMethodField()
    converted_currency = serializers.SerializerMethodField()

    class Meta(ExpertListSerializer.Meta):
        fields = [*ExpertListSerializer.Meta.fields, "hourly_rate_converted", "converted_currency"]
        read_only_fields = fields

    def get_hourly_rate_converted(self, profile: ExpertProfile) -> str | None:
        amount = convert(profile.hourly_rate, profile.currency, self.context["currency"], table=self.context["fx"])
        return None if amount is None else str(amount)

    def get_converted_currency(self, profile: ExpertProfile) -> str:
        return self.context["currency"]


# The decimal fields of a hit, formatted exactly as the serializer above formats them.
_HIT_FIELDS = ExpertHitSerializer().fields
_RATING = _HIT_FIELDS["rating_avg"]


def expert_hits(
    rows: list[dict[str, Any]], *, request: Any, presence: dict[int, str], currency: str, fx: Any
) -> list[dict[str, Any]]:
    """``ExpertHitSerializer``'s output for ``search.hit_rows`` rows (the same keys in
    the same order, the same formatting), built without serializer instances per row:
    a result page is the hottest read of the API."""
    hits = []
    for row in rows:
        converted = convert(row["hourly_rate"], row["currency"], currency, table=fx)
        hits.append(
            {
                "id": row["id"],
                "name": row["display_name"],
                "headline": row["headline"],
                "specializations": row["specializations"],
                "languages": row["languages"],
                "country": row["country"],
                "city": row["city"],
                "timezone": str(row["user__timezone"]),
                "hourly_rate": amount_text(row["hourly_rate"], row["currency"]),
                "currency": row["currency"],
                "years_experience": row["years_experience"],
                "rating_avg": _RATING.to_representation(row["rating_avg"]),
                "rating_count": row["rating_count"],
                "verification_status": row["verification_status"],
                "presence": presence.get(row["user_id"], "offline"),
                "photo_url": photo_url_of(row["photo"], request),
                "score": round(float(row["score"] or 0.0), 4),
                "hourly_rate_converted": None if converted is None else str(converted),
                "converted_currency": currency,
            }
        )
    return hits


class ServiceSearchResultSerializer(ServiceSerializer):
    specialization = SpecializationSerializer()  # type: ignore[assignment]  # nested on read
    expert_name = serializers.CharField(source="expert.display_name")
    score = serializers.SerializerMethodField()

    class Meta(ServiceSerializer.Meta):
        fields = [*ServiceSerializer.Meta.fields, "expert_name", "score"]
        read_only_fields = fields

    def get_score(self, service) -> float:
        return round(float(getattr(service, "score", 0.0) or 0.0), 4)


class SpecializationLookupField(serializers.CharField):
    """Accepts a specialization's slug or id."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        pk = parse_object_id(value)
        specialization = specializations_by_key().get(str(pk) if pk is not None else value)
        if specialization is None:
            raise serializers.ValidationError(f"Unknown specialization {value!r}.")
        return specialization


class ExpertSearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    specialization = SpecializationLookupField(required=False, help_text="slug or id")
    country = serializers.CharField(max_length=2, min_length=2, required=False)
    language = serializers.CharField(max_length=2, min_length=2, required=False)
    min_rating = serializers.DecimalField(max_digits=3, decimal_places=2, min_value=0, max_value=5, required=False)
    max_rate = MoneyAmountField(**MONEY, required=False)
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
    count_capped = serializers.BooleanField(help_text="Always false: counts are exact.")
    results = ExpertHitSerializer(many=True)


class ServiceSearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    specialization = SpecializationLookupField(required=False, help_text="slug or id")
    max_price = MoneyAmountField(**MONEY, required=False)
    pricing_type = serializers.ChoiceField(choices=ExpertService.PricingType.choices, required=False)


class SuggestionQuerySerializer(serializers.Serializer):
    q = serializers.CharField(min_length=2, max_length=100)


class SuggestionSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["specialization", "expert", "service"])
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label
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
        search = SearchLog.objects.filter(pk=attrs["search_id"]).first()
        if search is None:
            # A click right after its search: the search may still wait in the buffer.
            search_services.flush_search_log(wait_seconds=2.0)
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
