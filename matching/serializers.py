"""HTTP shapes of matching: suggest-experts, weights, RFQs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import serializers

from experts.constants import COUNTRY_CODES, LANGUAGE_CODES
from experts.models import ExpertProfile, Specialization
from foodxchange import money
from foodxchange.api.fields import MoneyAmountField
from matching.models import CRITERIA, Rfq, RfqInvitation, RfqMatch

MAX_LIMIT = 50


def _currency(value: str) -> str:
    code = (value or "").upper()
    if not money.is_currency(code):
        raise serializers.ValidationError(f"{value!r} is not an ISO 4217 currency in active use.")
    return code


def _country(value: str) -> str:
    code = (value or "").upper()
    if code and code not in COUNTRY_CODES:
        raise serializers.ValidationError(f"{value!r} is not an ISO 3166-1 alpha-2 country code (e.g. 'DE').")
    return code


def _language(value: str) -> str:
    code = (value or "").lower()
    if code and code not in LANGUAGE_CODES:
        raise serializers.ValidationError(f"{value!r} is not an ISO 639-1 language code (e.g. 'de').")
    return code


def _specializations(slugs: list[str]) -> list[str]:
    slugs = list(dict.fromkeys(slugs))
    known = set(Specialization.objects.filter(slug__in=slugs, is_active=True).values_list("slug", flat=True))
    unknown = [s for s in slugs if s not in known]
    if unknown:
        raise serializers.ValidationError(f"Unknown specialization: {', '.join(unknown)}.")
    return slugs


class NeededByField(serializers.Field):
    """A date (``2026-03-01``) or an ISO-8601 datetime (its UTC date counts)."""

    default_error_messages = {"invalid": "Give a date (YYYY-MM-DD) or an ISO-8601 datetime."}

    def to_internal_value(self, data) -> dt.date:
        if not isinstance(data, str) or len(data) > 40:
            self.fail("invalid")
        try:
            moment = parse_datetime(data)
            day = parse_date(data) if moment is None else None
        except ValueError:
            self.fail("invalid")
        if moment is not None:
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment, dt.UTC)
            return moment.astimezone(dt.UTC).date()
        if day is None:
            self.fail("invalid")
        return day

    def to_representation(self, value) -> str:
        return value.isoformat()


class SuggestExpertsSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=5000, trim_whitespace=True)
    specializations = serializers.ListField(
        child=serializers.SlugField(max_length=100), required=False, default=list, max_length=10
    )
    country = serializers.CharField(required=False, allow_blank=True, default="", max_length=2)
    language = serializers.CharField(required=False, allow_blank=True, default="", max_length=8)
    budget = serializers.DecimalField(
        max_digits=14, decimal_places=3, required=False, allow_null=True, default=None, min_value=Decimal("0")
    )
    currency = serializers.CharField(required=False, default="USD", max_length=3)
    needed_by = NeededByField(required=False, allow_null=True, default=None)
    limit = serializers.IntegerField(required=False, default=10, min_value=1, max_value=MAX_LIMIT)

    def validate_description(self, value: str) -> str:
        if len(value.strip()) < 3:
            raise serializers.ValidationError("Describe the need in at least 3 characters.")
        return value

    def validate_specializations(self, value: list[str]) -> list[str]:
        return _specializations(value)

    def validate_country(self, value: str) -> str:
        return _country(value)

    def validate_language(self, value: str) -> str:
        return _language(value)

    def validate_currency(self, value: str) -> str:
        return _currency(value)

    def validate_needed_by(self, value: dt.date | None) -> dt.date | None:
        if value is not None and value < timezone.now().astimezone(dt.UTC).date():
            raise serializers.ValidationError("needed_by is in the past.")
        return value


class MatchedExpertSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")
    hourly_rate = MoneyAmountField(read_only=True)
    specializations = serializers.SerializerMethodField()
    timezone = serializers.CharField(source="user.timezone")
    photo_url = serializers.SerializerMethodField()

    class Meta:
        model = ExpertProfile
        fields = [
            "id", "name", "headline", "specializations", "languages", "country", "city", "timezone",
            "hourly_rate", "currency", "years_experience", "rating_avg", "rating_count", "verification_status",
            "photo_url",
        ]  # fmt: skip

    def get_specializations(self, obj) -> list[dict]:
        return [{"slug": s.slug, "name": s.name} for s in obj.specializations.all()]

    def get_photo_url(self, obj) -> str | None:
        if not obj.photo:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(obj.photo.url) if request else obj.photo.url


class SuggestionResultSerializer(serializers.Serializer):
    expert = MatchedExpertSerializer()
    score = serializers.FloatField()
    reasons = serializers.DictField(child=serializers.FloatField())
    explanation = serializers.CharField()


class SuggestExpertsResponseSerializer(serializers.Serializer):
    results = SuggestionResultSerializer(many=True)


class WeightsSerializer(serializers.Serializer):
    weights = serializers.DictField(child=serializers.FloatField(min_value=0))

    def to_representation(self, instance):
        return {"weights": {c: instance[c] for c in CRITERIA}}


# --- RFQs ------------------------------------------------------------------------------
class BuyerSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    company = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    country = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")

    def validate_country(self, value: str) -> str:
        return _country(value)


class _RfqInputBase(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=10000)
    country = serializers.CharField(required=False, allow_blank=True, default="", max_length=2)
    budget = serializers.DecimalField(
        max_digits=14, decimal_places=3, required=False, allow_null=True, default=None, min_value=Decimal("0")
    )
    currency = serializers.CharField(required=False, default="USD", max_length=3)
    deadline = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate_description(self, value: str) -> str:
        if len(value.strip()) < 3:
            raise serializers.ValidationError("Describe the need in at least 3 characters.")
        return value

    def validate_country(self, value: str) -> str:
        return _country(value)

    def validate_currency(self, value: str) -> str:
        return _currency(value)

    def validate_deadline(self, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("The deadline must be in the future.")
        return value


class RfqIntakeSerializer(_RfqInputBase):
    rfq_id = serializers.CharField(max_length=100)
    buyer = BuyerSerializer(required=False, default=dict)
    category = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class RfqCreateSerializer(_RfqInputBase):
    specializations = serializers.ListField(
        child=serializers.SlugField(max_length=100), required=False, default=list, max_length=10
    )
    language = serializers.CharField(required=False, allow_blank=True, default="", max_length=8)
    hourly_budget = serializers.DecimalField(
        max_digits=12, decimal_places=3, required=False, allow_null=True, default=None, min_value=Decimal("0")
    )

    def validate_specializations(self, value: list[str]) -> list[str]:
        return _specializations(value)

    def validate_language(self, value: str) -> str:
        return _language(value)


class RespondSerializer(serializers.Serializer):
    interested = serializers.BooleanField()
    message = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class CloseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ExpertBriefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")

    class Meta:
        model = ExpertProfile
        fields = ["id", "name", "headline", "country", "rating_avg", "rating_count"]


class RfqMatchSerializer(serializers.ModelSerializer):
    expert = ExpertBriefSerializer()
    score = serializers.FloatField()
    reasons = serializers.SerializerMethodField()

    class Meta:
        model = RfqMatch
        fields = ["expert", "rank", "score", "reasons", "explanation"]

    def get_reasons(self, obj) -> dict[str, float]:
        return {k: float(v) for k, v in obj.reasons.items()}


class RfqInvitationSerializer(serializers.ModelSerializer):
    expert = ExpertBriefSerializer()

    class Meta:
        model = RfqInvitation
        fields = ["id", "expert", "response", "message", "invited_at", "responded_at"]


class RfqSerializer(serializers.ModelSerializer):
    """The RFQ as its viewer may see it: the owner and staff see every match,
    invitation and the shortlist; an invited expert only their own invitation."""

    rfq_id = serializers.CharField(source="external_id", allow_null=True)
    specializations = serializers.SerializerMethodField()
    matches = serializers.SerializerMethodField()
    invitations = serializers.SerializerMethodField()
    shortlist = serializers.SerializerMethodField()
    buyer = serializers.SerializerMethodField()

    class Meta:
        model = Rfq
        fields = [
            "id", "rfq_id", "source", "status", "title", "description", "category", "specializations", "country",
            "language", "budget", "hourly_budget", "currency", "deadline", "buyer", "created_at", "closed_at",
            "matches", "invitations", "shortlist",
        ]  # fmt: skip

    def _is_expert_view(self, obj) -> bool:
        from matching.selectors import viewer_role

        return viewer_role(obj, self.context["request"].user) == "expert"

    def _mine(self, obj, rows):
        user_id = self.context["request"].user.pk
        return [r for r in rows if r.expert.user_id == user_id]

    def get_specializations(self, obj) -> list[str]:
        return [s.slug for s in obj.specializations.all()]

    def get_buyer(self, obj) -> dict | None:
        return None if self._is_expert_view(obj) else obj.buyer

    def get_matches(self, obj) -> list[dict]:
        rows = list(obj.matches.all())
        if self._is_expert_view(obj):
            rows = self._mine(obj, rows)
        return list(RfqMatchSerializer(rows, many=True).data)

    def get_invitations(self, obj) -> list[dict]:
        rows = list(obj.invitations.all())
        if self._is_expert_view(obj):
            rows = self._mine(obj, rows)
        return list(RfqInvitationSerializer(rows, many=True).data)

    def get_shortlist(self, obj) -> list[dict]:
        if self._is_expert_view(obj):
            return []
        rows = [i for i in obj.invitations.all() if i.response == RfqInvitation.Response.INTERESTED]
        return list(RfqInvitationSerializer(rows, many=True).data)


class RfqIntakeResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    rfq_id = serializers.CharField()
    status = serializers.CharField()
    matches = RfqMatchSerializer(many=True)
