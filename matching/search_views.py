"""HTTP layer of search & discovery (``/api/v1/search/...``)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from experts.models import ExpertProfile, ExpertService
from experts.selectors import ACTIVE_SPECIALIZATIONS_KEY, EXPERTS_CACHE, TAXONOMY_CACHE
from foodxchange.api.permissions import has_staff_area
from foodxchange.api.schema import error_responses
from foodxchange.hotcache import lazy_read_scope, prefetch_with_tokens
from foodxchange.money import FX_CACHE
from matching import search, search_services
from matching.indexing import VOCABULARY_CACHE
from matching.search_serializers import (
    ClickEventSerializer,
    ExpertHitSerializer,
    ExpertSearchQuerySerializer,
    ExpertSearchResponseSerializer,
    FacetsSerializer,
    SearchAnalyticsQuerySerializer,
    SearchAnalyticsSerializer,
    ServiceSearchQuerySerializer,
    ServiceSearchResultSerializer,
    SpecializationCountSerializer,
    SuggestionQuerySerializer,
    SuggestionSerializer,
    TrendingSerializer,
    expert_hits,
)

TAGS = ["search"]


class SearchView(APIView):
    permission_classes = [AllowAny]
    throttle_scope = "search"


def expert_params(request) -> search.ExpertSearchParams:
    query = ExpertSearchQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    data = query.validated_data
    if not data["verified"] and not has_staff_area(request.user, "support"):
        raise PermissionDenied("Only support staff can search unverified experts (verified=false).")
    return search.ExpertSearchParams(
        q=data["q"].strip(),
        specialization=data.get("specialization"),
        country=data.get("country", ""),
        language=data.get("language", ""),
        min_rating=data.get("min_rating"),
        max_rate=data.get("max_rate"),
        currency=data["currency"],
        include_unverified=not data["verified"],
        available_from=data.get("available_from"),
        available_to=data.get("available_to"),
        sort=data["sort"],
    )


class ExpertSearchView(GenericAPIView, SearchView):
    queryset = ExpertProfile.objects.none()
    serializer_class = ExpertHitSerializer

    @extend_schema(
        tags=TAGS,
        summary="Search experts",
        description="Free text over name, headline, bio, specializations, services and certifications "
        "(typos tolerated on PostgreSQL), with filters and sorts. Only verified, active experts unless "
        "staff pass `verified=false`. `max_rate` is in `currency` (default USD) and compares every "
        "expert's rate converted with the marketplace FX table; each hit shows `hourly_rate_converted` "
        "in that currency. `search_id` identifies this search for click-through events. `count` is exact "
        "and every page is reachable: text searches rank the first EXPERTS_SEARCH_WINDOW matches "
        "(default 300) of the sort order by relevance, later matches follow in the sort order.",
        parameters=[ExpertSearchQuerySerializer],
        responses={200: ExpertSearchResponseSerializer, **error_responses(400, 403, 429)},
        auth=[],
    )
    def get(self, request):
        # Read-only: every cached read of this request uses the same tokens, read at once
        # with the search's known reads (``prefetch_search``).
        with lazy_read_scope(FX_CACHE, EXPERTS_CACHE, TAXONOMY_CACHE, VOCABULARY_CACHE):
            return self._search(request)

    def _search(self, request):
        if "specialization" in request.query_params:
            # Resolving it reads the taxonomy before the search knows its other keys: read
            # it with the tokens (one round trip), the rest with one more.
            prefetch_with_tokens([(TAXONOMY_CACHE, ACTIVE_SPECIALIZATIONS_KEY)])
        params = expert_params(request)
        search.prefetch_search(params)
        if search.query_words(params.q):
            rows = self.paginate_queryset(search.ranked_expert_ids(params))
        else:
            rows = self.paginate_queryset(search.browse_expert_ids(params))
        page = search.hit_rows(rows)
        paginator = self.paginator
        # The search log push and the page's presence: one Redis round trip.
        search_id, presence = search_services.record_search_with_presence(
            presence_of=[row["user_id"] for row in page],
            query=params.q,
            normalized_query=" ".join(search.query_words(params.q)),
            filters=params.logged_filters(),
            specialization=params.specialization,
            results_count=paginator.page.paginator.count,
            user=request.user,
            shown_expert_ids=[row["id"] for row in page],
            first_position=paginator.page.start_index(),
        )
        hits = expert_hits(
            page,
            request=request,
            presence=presence,
            currency=params.currency,
            fx=params.fx,
        )
        response = paginator.get_paginated_response(hits)
        response.data["search_id"] = str(search_id)
        response.data["corrected_query"] = search.corrected_query(params)
        response.data["count_capped"] = False
        return response


class ServiceSearchView(GenericAPIView, SearchView):
    queryset = ExpertService.objects.none()
    serializer_class = ServiceSearchResultSerializer

    @extend_schema(
        tags=TAGS,
        summary="Search services",
        parameters=[ServiceSearchQuerySerializer],
        responses={200: ServiceSearchResultSerializer(many=True), **error_responses(400, 429)},
        auth=[],
    )
    def get(self, request):
        query = ServiceSearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        qs = search.search_services(
            q=data["q"],
            specialization=data.get("specialization"),
            max_price=data.get("max_price"),
            pricing_type=data.get("pricing_type", ""),
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(ServiceSearchResultSerializer(page, many=True).data)


class SuggestionView(SearchView):
    @extend_schema(
        tags=TAGS,
        summary="Type-ahead suggestions",
        description="Up to 10 specializations, experts and services matching `q` (at least 2 characters).",
        parameters=[SuggestionQuerySerializer],
        responses={200: SuggestionSerializer(many=True), **error_responses(400, 429)},
        auth=[],
    )
    def get(self, request):
        query = SuggestionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(SuggestionSerializer(search.suggestions(query.validated_data["q"]), many=True).data)


class SpecializationListView(SearchView):
    @extend_schema(
        tags=TAGS,
        summary="The specialization taxonomy with expert counts",
        responses={200: SpecializationCountSerializer(many=True), **error_responses(429)},
        auth=[],
    )
    def get(self, request):
        return Response(SpecializationCountSerializer(search.specializations_with_counts(), many=True).data)


class TrendingView(SearchView):
    @extend_schema(
        tags=TAGS,
        summary="Top queries and specializations of the last 7 days",
        responses={200: TrendingSerializer, **error_responses(429)},
        auth=[],
    )
    def get(self, request):
        return Response(TrendingSerializer(search.trending()).data)


class SearchAnalyticsView(SearchView):
    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else super().get_permissions()

    @extend_schema(
        tags=TAGS,
        summary="Record a click-through on a search result",
        description="Counted once per search and expert; repeats are accepted and ignored.",
        request=ClickEventSerializer,
        responses={202: None, **error_responses(400, 429)},
        auth=[],
    )
    def post(self, request):
        event = ClickEventSerializer(data=request.data)
        event.is_valid(raise_exception=True)
        data = event.validated_data
        search_services.record_click(search=data["search"], expert=data["expert"], position=data["position"])
        return Response(status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        tags=TAGS,
        summary="Search analytics (support staff): zero-result queries, CTR, top queries",
        parameters=[SearchAnalyticsQuerySerializer],
        responses={200: SearchAnalyticsSerializer, **error_responses(400, 401, 403)},
    )
    def get(self, request):
        if not request.user.is_authenticated:
            self.permission_denied(request)
        if not has_staff_area(request.user, "support"):
            raise PermissionDenied("Search analytics are for support staff.")
        query = SearchAnalyticsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(SearchAnalyticsSerializer(search.search_analytics(days=query.validated_data["days"])).data)


class FilterFacetsView(SearchView):
    @extend_schema(
        tags=TAGS,
        summary="Filter values with counts",
        description="Takes the same parameters as `/search/experts`; each facet is counted with all "
        "other filters applied, so picking a value returns exactly the count shown.",
        parameters=[ExpertSearchQuerySerializer],
        responses={200: FacetsSerializer, **error_responses(400, 403, 429)},
        auth=[],
    )
    def get(self, request):
        return Response(FacetsSerializer(search.search_facets(expert_params(request))).data)
