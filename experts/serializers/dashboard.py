"""The expert's dashboard and analytics."""

from rest_framework import serializers


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
    month = None  # type: ignore[assignment]  # totals have no month


class ExpertAnalyticsSerializer(serializers.Serializer):
    currency = serializers.CharField()
    totals = ExpertAnalyticsTotalsSerializer()
    months = ExpertAnalyticsMonthSerializer(many=True)


class ExpertAnalyticsQuerySerializer(serializers.Serializer):
    months = serializers.IntegerField(min_value=1, max_value=24, default=6)
