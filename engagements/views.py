from typing import Any

import stripe
from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from engagements import selectors, services
from engagements.serializers import (
    ChangeOrderInputSerializer,
    EngagementSerializer,
    ListQuerySerializer,
    NoteSerializer,
    QuoteInputSerializer,
    QuoteSerializer,
    ReasonSerializer,
    ResolveSerializer,
    SubmitSerializer,
)
from foodxchange.api.pagination import StandardPagination
from foodxchange.api.permissions import IsFinanceStaff
from foodxchange.api.schema import error_responses
from foodxchange.errors import InvalidInput, NotFound
from matching.selectors import rfq_detail

TAGS = ["engagements"]


def _visible(request, pk: int):
    engagement = selectors.engagement_for_viewer(engagement_id=pk, user=request.user)
    if engagement is None:
        raise NotFound("No such engagement.")
    return engagement


def _detail(request, pk: int, code: int = status.HTTP_200_OK) -> Response:
    return Response(EngagementSerializer(_visible(request, pk), context={"request": request}).data, status=code)


def _valid(serializer_class, request) -> dict[str, Any]:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


def _action(summary: str, request_serializer: Any = None, code: int = 200):
    return extend_schema(
        tags=TAGS,
        summary=summary,
        request=request_serializer,
        responses={code: EngagementSerializer, **error_responses(400, 401, 403, 404, 409)},
    )


class RfqQuotesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Quotes on an RFQ (its client and staff: all; an expert: their own)",
        responses={200: QuoteSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, pk: int):
        if rfq_detail(rfq_id=pk, user=request.user) is None and not selectors.quotes_on_rfq(
            rfq_id=pk, user=request.user
        ):
            raise NotFound("RFQ not found.")
        quotes = selectors.quotes_on_rfq(rfq_id=pk, user=request.user)
        return Response(QuoteSerializer(quotes, many=True).data)

    @extend_schema(
        tags=TAGS,
        summary="Quote on an RFQ you were invited to (milestones in one currency)",
        request=QuoteInputSerializer,
        responses={201: QuoteSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        v = _valid(QuoteInputSerializer, request)
        quote = services.create_quote(
            rfq_id=pk,
            actor=request.user,
            message=v["message"],
            currency=v["currency"],
            milestones=[
                services.MilestoneInput(
                    title=m["title"], amount=m["amount"], due_date=m["due_date"], currency=m.get("currency") or None
                )
                for m in v["milestones"]
            ],
            request=request,
        )
        fresh = selectors.quote_for_viewer(quote_id=quote.pk, user=request.user)
        return Response(QuoteSerializer(fresh).data, status=status.HTTP_201_CREATED)


class QuoteDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses={200: QuoteSerializer, **error_responses(401, 404)})
    def get(self, request, pk: int):
        quote = selectors.quote_for_viewer(quote_id=pk, user=request.user)
        if quote is None:
            raise NotFound("No such quote.")
        return Response(QuoteSerializer(quote).data)


class QuoteAcceptView(APIView):
    permission_classes = [IsAuthenticated]

    @_action("Accept a quote (the RFQ's client): the engagement starts", None, 201)
    def post(self, request, pk: int):
        engagement = services.accept_quote(quote_id=pk, actor=request.user, request=request)
        return _detail(request, engagement.pk, status.HTTP_201_CREATED)


class EngagementListView(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = EngagementSerializer
    pagination_class = StandardPagination

    def get_queryset(self):
        params = {"status": self.request.query_params.get("status"), "as_role": self.request.query_params.get("as")}
        query = ListQuerySerializer(data={k: v for k, v in params.items() if v not in (None, "")})
        if not query.is_valid():
            raise InvalidInput(
                "Invalid filter.", details={("as" if k == "as_role" else k): v for k, v in query.errors.items()}
            )
        return selectors.engagements_for(user=self.request.user, **query.validated_data)

    @extend_schema(
        tags=TAGS,
        summary="Your engagements (staff: all), newest first",
        parameters=[OpenApiParameter("status", str), OpenApiParameter("as", str, enum=["client", "expert"])],
        responses={200: EngagementSerializer(many=True), **error_responses(400, 401)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class EngagementDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses={200: EngagementSerializer, **error_responses(401, 404)})
    def get(self, request, pk: int):
        return _detail(request, pk)


class FundView(APIView):
    permission_classes = [IsAuthenticated]

    @_action("Pay a pending milestone (the client)")
    def post(self, request, pk: int, mid: int):
        services.fund(engagement_id=pk, milestone_id=mid, actor=request.user, request=request)
        return _detail(request, pk)


class SubmitView(APIView):
    permission_classes = [IsAuthenticated]

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @_action(
        "Hand in a funded milestone (the expert): the note and files (multipart `files`) go to the "
        "engagement's workspace; the review window opens",
        SubmitSerializer,
    )
    def post(self, request, pk: int, mid: int):
        _visible(request, pk)
        v = _valid(SubmitSerializer, request)
        services.submit(
            engagement_id=pk,
            milestone_id=mid,
            actor=request.user,
            note=v["note"],
            files=request.FILES.getlist("files"),
            request=request,
        )
        return _detail(request, pk)


class ApproveView(APIView):
    permission_classes = [IsAuthenticated]

    @_action("Approve a submitted milestone (the client): the expert is paid")
    def post(self, request, pk: int, mid: int):
        services.approve(engagement_id=pk, milestone_id=mid, actor=request.user, request=request)
        return _detail(request, pk)


class RequestChangesView(APIView):
    permission_classes = [IsAuthenticated]

    @_action("Send a submission back (the client)", NoteSerializer)
    def post(self, request, pk: int, mid: int):
        _visible(request, pk)
        v = _valid(NoteSerializer, request)
        services.request_changes(
            engagement_id=pk, milestone_id=mid, actor=request.user, note=v["note"], request=request
        )
        return _detail(request, pk)


class DisputeView(APIView):
    permission_classes = [IsAuthenticated]

    @_action("Dispute a submitted milestone within the review window (the client)", ReasonSerializer)
    def post(self, request, pk: int, mid: int):
        _visible(request, pk)
        v = _valid(ReasonSerializer, request)
        services.dispute(engagement_id=pk, milestone_id=mid, actor=request.user, reason=v["reason"], request=request)
        return _detail(request, pk)


class ResolveView(APIView):
    permission_classes = [IsFinanceStaff]

    @_action("Decide a milestone dispute (finance staff)", ResolveSerializer)
    def post(self, request, pk: int, mid: int):
        _visible(request, pk)
        v = _valid(ResolveSerializer, request)
        services.resolve(
            engagement_id=pk,
            milestone_id=mid,
            actor=request.user,
            outcome=v["outcome"],
            amount=v.get("amount"),
            note=v["note"],
            request=request,
        )
        return _detail(request, pk)


class ChangeOrdersView(APIView):
    permission_classes = [IsAuthenticated]

    @_action("Propose a change order (either party)", ChangeOrderInputSerializer, 201)
    def post(self, request, pk: int):
        _visible(request, pk)
        v = _valid(ChangeOrderInputSerializer, request)
        services.propose_change_order(
            engagement_id=pk,
            actor=request.user,
            title=v["title"],
            amount=v["amount"],
            due_date=v["due_date"],
            note=v["note"],
            request=request,
        )
        return _detail(request, pk, status.HTTP_201_CREATED)


class ChangeOrderAcceptView(APIView):
    permission_classes = [IsAuthenticated]

    @_action("Accept a change order (the other party): it becomes a milestone")
    def post(self, request, pk: int, cid: int):
        services.accept_change_order(engagement_id=pk, change_order_id=cid, actor=request.user, request=request)
        return _detail(request, pk)


class ChangeOrderDeclineView(APIView):
    permission_classes = [IsAuthenticated]

    @_action("Decline a change order (the other party)")
    def post(self, request, pk: int, cid: int):
        services.decline_change_order(engagement_id=pk, change_order_id=cid, actor=request.user, request=request)
        return _detail(request, pk)


class StripeWebhookView(APIView):
    """Stripe events for milestone payments, refunds and transfers (an endpoint of its
    own in the Stripe dashboard, with its own signing secret)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_scope = "webhook"

    @extend_schema(
        tags=TAGS,
        summary="Stripe events of milestone payments (signature checked on the raw body)",
        request=None,
        responses={200: None, **error_responses(400)},
    )
    def post(self, request):
        payload = request.body
        signature = request.headers.get("Stripe-Signature", "")
        secret = settings.ENGAGEMENT_STRIPE_WEBHOOK_SECRET
        if not secret or not signature:
            raise InvalidInput("Missing or unverifiable signature.", field="signature", code="bad_signature")
        try:
            event = stripe.Webhook.construct_event(
                payload, signature, secret, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS
            )
        except (ValueError, stripe.SignatureVerificationError) as exc:
            raise InvalidInput("Bad signature or payload.", field="signature", code="bad_signature") from exc
        return Response({"received": True, "result": services.handle_stripe_event(event=event.to_dict())})
