from datetime import datetime
from typing import Any

import stripe
from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from consultations import calendar, selectors, services
from consultations.invoices import invoice_pdf
from consultations.models import Invoice
from consultations.serializers import (
    BookingSerializer,
    ConsultationDetailSerializer,
    ConsultationSerializer,
    DisputeSerializer,
    InvoiceSerializer,
    ListQuerySerializer,
    ReasonSerializer,
    ReplyInputSerializer,
    RescheduleSerializer,
    ResolveSerializer,
    ReviewInputSerializer,
    ReviewSerializer,
)
from experts.selectors import expert_for_viewer
from foodxchange.api.pagination import StandardPagination
from foodxchange.api.permissions import IsClient, IsFinanceStaff
from foodxchange.api.schema import error_responses
from foodxchange.errors import InvalidInput, NotFound

TAGS = ["consultations"]


def _visible(request, pk: int):
    consultation = selectors.consultation_for_viewer(consultation_id=pk, user=request.user)
    if consultation is None:
        raise NotFound("No such consultation.")
    return consultation


def _detail(request, pk: int, code: int = status.HTTP_200_OK) -> Response:
    return Response(ConsultationDetailSerializer(_visible(request, pk), context={"request": request}).data, status=code)


class ConsultationListView(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ConsultationSerializer
    pagination_class = StandardPagination

    def get_queryset(self):
        params = {k: v for k, v in self.request.query_params.items()}
        mapped = {
            "status": params.get("status"),
            "as_role": params.get("as"),
            "start_from": params.get("from"),
            "start_to": params.get("to"),
        }
        query = ListQuerySerializer(data={k: v for k, v in mapped.items() if v not in (None, "")})
        if not query.is_valid():
            names = {"as_role": "as", "start_from": "from", "start_to": "to"}
            raise InvalidInput("Invalid filter.", details={names.get(k, k): v for k, v in query.errors.items()})
        return selectors.consultations_for(user=self.request.user, **query.validated_data)

    @extend_schema(
        tags=TAGS,
        summary="Your consultations (staff: all), soonest first",
        parameters=[
            OpenApiParameter("status", str),
            OpenApiParameter("as", str, enum=["client", "expert"]),
            OpenApiParameter("from", datetime),
            OpenApiParameter("to", datetime),
        ],
        responses={200: ConsultationSerializer(many=True), **error_responses(400, 401)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS,
        summary="Book a consultation (holds the slot and starts the payment)",
        request=BookingSerializer,
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        responses={201: ConsultationDetailSerializer, **error_responses(400, 401, 403, 409)},
    )
    def post(self, request):
        if not IsClient().has_permission(request, self):
            self.permission_denied(request, message="Only clients book consultations.")
        data = BookingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        consultation = services.book_consultation(
            client=request.user,
            booking=services.BookingRequest(
                expert_id=v["expert"],
                service_id=v["service"],
                start=v["start"],
                duration_minutes=v.get("duration_minutes"),
                notes=v.get("notes", ""),
            ),
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        return _detail(request, consultation.pk, status.HTTP_201_CREATED)


class ConsultationDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses={200: ConsultationDetailSerializer, **error_responses(401, 404)})
    def get(self, request, pk: int):
        return _detail(request, pk)


def _action(summary: str, request_serializer: Any = None, response: Any = ConsultationDetailSerializer):
    return extend_schema(
        tags=TAGS,
        summary=summary,
        request=request_serializer,
        responses={200: response, **error_responses(400, 401, 403, 404, 409)},
    )


class ConfirmView(APIView):
    permission_classes = [IsAuthenticated]

    @_action("Confirm a requested consultation (the expert)")
    def post(self, request, pk: int):
        services.confirm(consultation_id=pk, actor=request.user, request=request)
        return _detail(request, pk)


class DeclineView(APIView):
    permission_classes = [IsAuthenticated]

    @_action("Decline a requested consultation (the expert); full refund", ReasonSerializer)
    def post(self, request, pk: int):
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.decline(consultation_id=pk, actor=request.user, reason=data.validated_data["reason"], request=request)
        return _detail(request, pk)


class RescheduleView(APIView):
    permission_classes = [IsAuthenticated]

    @_action("Move a consultation to another free slot", RescheduleSerializer)
    def post(self, request, pk: int):
        _visible(request, pk)
        data = RescheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.reschedule(consultation_id=pk, actor=request.user, start=data.validated_data["start"], request=request)
        return _detail(request, pk)


class CancelView(APIView):
    permission_classes = [IsAuthenticated]

    @_action("Cancel (refund per the frozen policy)", ReasonSerializer)
    def post(self, request, pk: int):
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.cancel(
            consultation_id=pk, actor=request.user, reason=data.validated_data["reason"], request=request
        )
        body = ConsultationDetailSerializer(_visible(request, pk), context={"request": request}).data
        body["refund"] = {"amount": str(result.refund), "currency": result.consultation.currency}
        return Response(body)


class CompleteView(APIView):
    permission_classes = [IsAuthenticated]

    @_action("Mark as completed after its end (the expert)")
    def post(self, request, pk: int):
        services.complete(consultation_id=pk, actor=request.user, request=request)
        return _detail(request, pk)


class DisputeView(APIView):
    permission_classes = [IsAuthenticated]

    @_action("Dispute during the review window (the client)", DisputeSerializer)
    def post(self, request, pk: int):
        _visible(request, pk)
        data = DisputeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.dispute(consultation_id=pk, actor=request.user, reason=data.validated_data["reason"], request=request)
        return _detail(request, pk)


class ResolveView(APIView):
    permission_classes = [IsFinanceStaff]

    @_action("Decide a dispute (finance staff)", ResolveSerializer)
    def post(self, request, pk: int):
        _visible(request, pk)
        data = ResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        services.resolve(
            consultation_id=pk,
            actor=request.user,
            outcome=v["outcome"],
            amount=v.get("amount"),
            note=v["note"],
            request=request,
        )
        return _detail(request, pk)


class ReviewView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        request=ReviewInputSerializer,
        responses={201: ReviewSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        _visible(request, pk)
        data = ReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review(
            consultation_id=pk,
            actor=request.user,
            rating=data.validated_data["rating"],
            comment=data.validated_data["comment"],
            request=request,
        )
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class ReviewReplyView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        request=ReplyInputSerializer,
        responses={200: ReviewSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        _visible(request, pk)
        data = ReplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.reply_to_review(
            consultation_id=pk, actor=request.user, body=data.validated_data["body"], request=request
        )
        return Response(ReviewSerializer(review).data)


class ExpertReviewsView(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = ReviewSerializer
    pagination_class = StandardPagination

    def get_queryset(self):
        expert = expert_for_viewer(expert_id=self.kwargs["pk"], user=self.request.user)
        if expert is None:
            raise NotFound("No such expert.")
        return selectors.reviews_of(expert=expert)

    @extend_schema(
        tags=TAGS,
        summary="Reviews of an expert, newest first",
        responses={200: ReviewSerializer(many=True), **error_responses(404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class PDFRenderer(BaseRenderer):
    """Lets ``?format=pdf`` through DRF's content negotiation (the view answers the PDF
    itself); anything else it is asked to render (an error) goes out as JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return JSONRenderer().render(data)


class InvoiceView(APIView):
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer, PDFRenderer]

    @extend_schema(
        tags=TAGS,
        summary="The invoice of the charge (?format=pdf for the PDF)",
        parameters=[OpenApiParameter("format", str, enum=["json", "pdf"])],
        responses={200: InvoiceSerializer, **error_responses(401, 404)},
    )
    def get(self, request, pk: int):
        consultation = _visible(request, pk)
        invoice = Invoice.objects.filter(consultation=consultation).first()
        if invoice is None:
            raise NotFound("No invoice yet: the consultation is not paid.")
        if request.query_params.get("format") == "pdf":
            response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
            response["Content-Disposition"] = f'inline; filename="{invoice.number}.pdf"'
            return response
        return Response(InvoiceSerializer(invoice).data)


FeedUrl = inline_serializer(name="CalendarFeedUrl", fields={"url": drf_serializers.URLField()})


class CalendarView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Your secret ICS feed URL", responses={200: FeedUrl, **error_responses(401)})
    def get(self, request):
        return Response({"url": calendar.feed_url(services.calendar_feed_for(user=request.user).token)})


class CalendarRotateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS, summary="Replace the feed's secret", request=None, responses={200: FeedUrl, **error_responses(401)}
    )
    def post(self, request):
        return Response(
            {"url": calendar.feed_url(services.rotate_calendar_feed(user=request.user, request=request).token)}
        )


class CalendarFeedView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=TAGS, summary="ICS feed (the secret is the credential)", responses={(200, "text/calendar"): bytes}
    )
    def get(self, request, token: str):
        user = selectors.feed_owner(token=token)
        if user is None:
            raise NotFound("No such calendar.")
        body = calendar.feed_ics(selectors.feed_consultations(user=user))
        return HttpResponse(body, content_type="text/calendar; charset=utf-8")


class StripeWebhookView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_scope = "webhook"

    @extend_schema(
        tags=TAGS,
        summary="Stripe events (signature checked on the raw body)",
        request=None,
        responses={200: None, **error_responses(400)},
    )
    def post(self, request):
        payload = request.body
        signature = request.headers.get("Stripe-Signature", "")
        if not settings.STRIPE_WEBHOOK_SECRET or not signature:
            raise InvalidInput("Missing or unverifiable signature.", field="signature", code="bad_signature")
        try:
            event = stripe.Webhook.construct_event(
                payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS
            )
        except (ValueError, stripe.SignatureVerificationError) as exc:
            raise InvalidInput("Bad signature or payload.", field="signature", code="bad_signature") from exc
        result = services.handle_stripe_event(event=event.to_dict())
        return Response({"received": True, "result": result})
