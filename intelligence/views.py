"""HTTP layer of the marketplace analytics (agents, and staff with the support area)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from foodxchange.api.permissions import IsAgentOrSupportStaff
from foodxchange.api.schema import error_responses
from intelligence import selectors

TAGS = ["intelligence"]
COMMON = [
    OpenApiParameter("specialization", OpenApiTypes.STR, description="Slug or id"),
    OpenApiParameter("country", OpenApiTypes.STR, description="ISO 3166-1 alpha-2"),
    OpenApiParameter("from", OpenApiTypes.DATETIME, description="Default: 90 days before 'to'"),
    OpenApiParameter("to", OpenApiTypes.DATETIME, description="Default: now; a date means the end of that day"),
]


class _Report(APIView):
    permission_classes = [IsAgentOrSupportStaff]
    report = staticmethod(selectors.demand)

    def get(self, request):
        return Response(type(self).report(selectors.parse_params(request.query_params)))


class DemandView(_Report):
    report = staticmethod(selectors.demand)

    @extend_schema(
        tags=TAGS,
        summary="Demand per specialization and week/month: searches, zero-result searches, RFQs, bookings, value",
        parameters=[*COMMON, OpenApiParameter("bucket", OpenApiTypes.STR, enum=list(selectors.BUCKETS))],
        responses={200: OpenApiTypes.OBJECT, **error_responses(400, 401, 403)},
    )
    def get(self, request):
        return super().get(request)


class PricingView(_Report):
    report = staticmethod(selectors.pricing)

    @extend_schema(
        tags=TAGS,
        summary="Hourly-rate percentiles (p10 to p90) of public experts and of booked consultations, base currency",
        parameters=COMMON[:2],
        responses={200: OpenApiTypes.OBJECT, **error_responses(400, 401, 403)},
    )
    def get(self, request):
        return super().get(request)


class GapsView(_Report):
    report = staticmethod(selectors.gaps)

    @extend_schema(
        tags=TAGS,
        summary="Where demand outruns supply: searches and RFQs per available expert, ranked",
        parameters=COMMON,
        responses={200: OpenApiTypes.OBJECT, **error_responses(400, 401, 403)},
    )
    def get(self, request):
        return super().get(request)
