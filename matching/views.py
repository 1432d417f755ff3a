"""HTTP layer of the matching engine and RFQs."""

from __future__ import annotations

import json

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from foodxchange.api.fields import MAX_OBJECT_ID
from foodxchange.api.permissions import has_staff_area, role_permission, staff_permission
from foodxchange.api.schema import error_responses
from foodxchange.errors import InvalidInput, NotFound, PermissionDenied
from matching import engine, selectors
from matching.models import Rfq
from matching.serializers import (
    CloseSerializer,
    RespondSerializer,
    RfqCreateSerializer,
    RfqIntakeResponseSerializer,
    RfqIntakeSerializer,
    RfqInvitationSerializer,
    RfqSerializer,
    SuggestExpertsResponseSerializer,
    SuggestExpertsSerializer,
    SuggestionResultSerializer,
    WeightsSerializer,
)
from matching.services import rfqs as rfq_services
from matching.services import signatures
from matching.services import weights as weight_services

TAGS = ["matching"]
RFQ_TAGS = ["rfqs"]


def _rfq_id(pk: int) -> int:
    if pk > MAX_OBJECT_ID:
        raise NotFound("RFQ not found.")
    return pk


class SuggestExpertsView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "search"

    @extend_schema(
        tags=["search"],
        summary="Suggest experts for a need",
        description="Ranks public experts for a described need: candidates from full text (synonyms and "
        "abbreviations of the food domain, typos tolerated) and the specialization taxonomy, re-ranked on "
        "text, specialization, credentials valid on `needed_by`, rating (shrunk toward the mean), free time "
        "before `needed_by`, language, country/time zone, price against `budget` (per hour, in `currency`, "
        "converted with the FX table), workload and verification. `score` (0..1) is the sum of `reasons`.",
        request=SuggestExpertsSerializer,
        responses={200: SuggestExpertsResponseSerializer, **error_responses(400, 401, 429)},
    )
    def post(self, request):
        data = SuggestExpertsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        need = engine.Need(
            description=v["description"],
            specializations=v["specializations"],
            country=v["country"],
            language=v["language"],
            budget=v["budget"],
            currency=v["currency"],
            needed_by=v["needed_by"],
            limit=v["limit"],
        )
        matches = engine.suggest_experts(need)
        results = [
            {"expert": m.expert, "score": m.score, "reasons": m.reasons, "explanation": m.explanation} for m in matches
        ]
        return Response({"results": SuggestionResultSerializer(results, many=True, context={"request": request}).data})


class WeightsView(APIView):
    def get_permissions(self):
        if self.request.method == "GET":
            return [IsAuthenticated()]
        return [staff_permission("operations")()]

    @extend_schema(
        tags=TAGS, summary="Matching weights", responses={200: WeightsSerializer, **error_responses(401, 403)}
    )
    def get(self, request):
        if not (has_staff_area(request.user, "operations") or has_staff_area(request.user, "support")):
            raise PermissionDenied("Reading the matching weights needs the staff permission 'support' or 'operations'.")
        return Response(WeightsSerializer(selectors.current_weights()).data)

    @extend_schema(
        tags=TAGS,
        summary="Change matching weights",
        description="Non-negative numbers per criterion (normalised when applied; criteria left out keep "
        "their weight). Audit-logged; applies to the next request. Staff with 'operations'.",
        request=WeightsSerializer,
        responses={200: WeightsSerializer, **error_responses(400, 401, 403)},
    )
    def put(self, request):
        weights = request.data.get("weights") if isinstance(request.data, dict) else None
        updated = weight_services.set_weights(actor=request.user, weights=weights, request=request)
        return Response(WeightsSerializer(updated).data)


class RfqIntakeView(APIView):
    """The FoodXchange core sends RFQs here, signed (see ``matching.services.signatures``)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_scope = "webhook"

    @extend_schema(
        tags=RFQ_TAGS,
        summary="RFQ intake from the FoodXchange core",
        description='Signed with `X-FoodXchange-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` '
        "(RFQ_WEBHOOK_SECRET, 5-minute window). Stored once per `rfq_id`: 202 the first time, 200 with the same "
        "RFQ for a repeat (nobody is notified again).",
        request=RfqIntakeSerializer,
        responses={202: RfqIntakeResponseSerializer, 200: RfqIntakeResponseSerializer, **error_responses(400, 401)},
        auth=[],
    )
    def post(self, request):
        body = request.body  # the raw bytes the signature covers, before any parsing
        signatures.verify(
            header=request.headers.get(signatures.HEADER),
            body=body,
            secret=settings.RFQ_WEBHOOK_SECRET,
            tolerance_seconds=settings.RFQ_SIGNATURE_TOLERANCE_SECONDS,
        )
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ParseError("The body is not valid JSON.")
        data = RfqIntakeSerializer(data=payload)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        buyer = dict(v["buyer"])
        intake = rfq_services.create_rfq(
            source=Rfq.Source.CORE,
            external_id=v["rfq_id"],
            buyer=buyer,
            title=v["title"],
            description=v["description"],
            category=v["category"],
            country=v["country"] or buyer.get("country", ""),
            budget=v["budget"],
            currency=v["currency"],
            deadline=v["deadline"],
            request=request,
        )
        rfq = selectors.with_details(Rfq.objects.filter(pk=intake.rfq.pk)).get()
        out = RfqIntakeResponseSerializer(
            {"id": rfq.pk, "rfq_id": rfq.external_id, "status": rfq.status, "matches": list(rfq.matches.all())}
        ).data
        return Response(out, status=status.HTTP_202_ACCEPTED if intake.created else status.HTTP_200_OK)


class RfqListView(GenericAPIView):
    serializer_class = RfqSerializer
    queryset = Rfq.objects.none()

    def get_permissions(self):
        if self.request.method == "POST":
            return [role_permission("client")()]
        return [IsAuthenticated()]

    @extend_schema(
        tags=RFQ_TAGS,
        summary="RFQs the caller may see",
        parameters=[OpenApiParameter("status", str, enum=Rfq.Status.values)],
        responses={200: RfqSerializer(many=True), **error_responses(401)},
    )
    def get(self, request):
        wanted = request.query_params.get("status", "")
        if wanted and wanted not in Rfq.Status.values:
            raise InvalidInput(
                "Unknown status.", details={"status": [f"Expected one of {', '.join(Rfq.Status.values)}."]}
            )
        page = self.paginate_queryset(selectors.rfq_list(request.user, status=wanted))
        return self.get_paginated_response(RfqSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        tags=RFQ_TAGS,
        summary="Open an RFQ",
        description="Matched at once; the best RFQ_NOTIFY_TOP experts are invited and notified.",
        request=RfqCreateSerializer,
        responses={201: RfqSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        data = RfqCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        intake = rfq_services.create_rfq(
            source=Rfq.Source.CLIENT,
            client=request.user,
            title=v["title"],
            description=v["description"],
            specializations=v["specializations"],
            country=v["country"],
            language=v["language"],
            budget=v["budget"],
            hourly_budget=v["hourly_budget"],
            currency=v["currency"],
            deadline=v["deadline"],
            request=request,
        )
        rfq = selectors.rfq_detail(rfq_id=intake.rfq.pk, user=request.user)
        return Response(RfqSerializer(rfq, context={"request": request}).data, status=status.HTTP_201_CREATED)


class RfqDetailView(APIView):
    @extend_schema(tags=RFQ_TAGS, summary="One RFQ", responses={200: RfqSerializer, **error_responses(401, 404)})
    def get(self, request, pk: int):
        rfq = selectors.rfq_detail(rfq_id=_rfq_id(pk), user=request.user)
        if rfq is None:
            raise NotFound("RFQ not found.")
        return Response(RfqSerializer(rfq, context={"request": request}).data)


class RfqRespondView(APIView):
    @extend_schema(
        tags=RFQ_TAGS,
        summary="An invited expert answers",
        request=RespondSerializer,
        responses={200: RfqInvitationSerializer, **error_responses(400, 401, 404, 409)},
    )
    def post(self, request, pk: int):
        data = RespondSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = rfq_services.respond(
            rfq_id=_rfq_id(pk),
            user=request.user,
            interested=data.validated_data["interested"],
            message=data.validated_data["message"],
            request=request,
        )
        return Response(RfqInvitationSerializer(invitation).data)


class RfqCloseView(APIView):
    @extend_schema(
        tags=RFQ_TAGS,
        summary="Close an RFQ",
        request=CloseSerializer,
        responses={200: RfqSerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        data = CloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rfq_services.close(rfq_id=_rfq_id(pk), user=request.user, reason=data.validated_data["reason"], request=request)
        rfq = selectors.rfq_detail(rfq_id=pk, user=request.user)
        return Response(RfqSerializer(rfq, context={"request": request}).data)
