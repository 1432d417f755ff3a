"""Leads API: HTTP only — validate, call a service or selector, shape the response.
Every lead is looked up through ``visible_leads`` so another agent's lead is a 404."""

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from twilio.request_validator import RequestValidator

from accounts.models import User
from foodxchange.api.parsers import FormParser, MultiPartParser
from foodxchange.api.permissions import IsAgentOrSupportStaff
from foodxchange.api.schema import error_responses
from leads import selectors, services
from leads.models import Lead, LeadEvent, LeadNote, WhatsAppMessage
from leads.serializers import (
    AnalyticsSerializer,
    AssignSerializer,
    CommissionSummarySerializer,
    ConvertResponseSerializer,
    ConvertSerializer,
    DealSerializer,
    ImportInputSerializer,
    ImportResultSerializer,
    LeadEventSerializer,
    LeadInputSerializer,
    LeadListQuerySerializer,
    LeadSerializer,
    LeadUpdateSerializer,
    NoteInputSerializer,
    NoteSerializer,
    TwilioInboundSerializer,
    TwilioStatusSerializer,
    WhatsAppInputSerializer,
    WhatsAppMessageSerializer,
)

TAGS = ["leads"]


def _lead_for(request, pk: int) -> Lead:
    lead = (
        selectors.visible_leads(request.user)
        .select_related("assigned_to", "created_by", "specialization", "deal")
        .filter(pk=pk)
        .first()
    )
    if lead is None:  # not there, deleted, or not yours: the same answer
        raise exceptions.NotFound("No such lead.")
    return lead


class LeadsView(APIView):
    permission_classes = [IsAgentOrSupportStaff]


class LeadCreateView(LeadsView):
    @extend_schema(
        tags=TAGS,
        summary="Create a lead",
        description="At least one of email/phone; phone is stored as E.164. An agent's new lead is assigned to them.",
        request=LeadInputSerializer,
        responses={201: LeadSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        serializer = LeadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lead = services.create_lead(actor=request.user, data=dict(serializer.validated_data), request=request)
        return Response(LeadSerializer(lead).data, status=status.HTTP_201_CREATED)


class LeadListView(generics.ListAPIView):
    permission_classes = [IsAgentOrSupportStaff]
    serializer_class = LeadSerializer
    throttle_scope = "search"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Lead.objects.none()
        query = LeadListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.filter_leads(selectors.visible_leads(self.request.user), **query.validated_data)

    @extend_schema(
        tags=TAGS,
        summary="List the leads you may see",
        parameters=[LeadListQuerySerializer],
        responses={200: LeadSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class LeadDetailView(LeadsView):
    @extend_schema(tags=TAGS, summary="A lead", responses={200: LeadSerializer, **error_responses(401, 403, 404)})
    def get(self, request, pk: int):
        return Response(LeadSerializer(_lead_for(request, pk)).data)

    def _update(self, request, pk: int, *, partial: bool) -> Response:
        lead = _lead_for(request, pk)
        serializer = LeadUpdateSerializer(lead, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        lead = services.update_lead(
            lead=lead, actor=request.user, changes=dict(serializer.validated_data), request=request
        )
        return Response(LeadSerializer(lead).data)

    @extend_schema(
        tags=TAGS,
        summary="Replace a lead's details",
        description="A `status` change must follow the pipeline (new → contacted → qualified → proposal; "
        "any open status → lost; lost → new). `won` is reached only through convert.",
        request=LeadUpdateSerializer,
        responses={200: LeadSerializer, **error_responses(400, 401, 403, 404)},
    )
    def put(self, request, pk: int):
        return self._update(request, pk, partial=False)

    @extend_schema(
        tags=TAGS,
        summary="Change some of a lead's details",
        request=LeadUpdateSerializer(partial=True),
        responses={200: LeadSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, pk: int):
        return self._update(request, pk, partial=True)

    @extend_schema(
        tags=TAGS,
        summary="Delete a lead (soft)",
        description="The lead disappears from the API; its history is kept for staff.",
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request, pk: int):
        services.delete_lead(lead=_lead_for(request, pk), actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LeadAssignView(LeadsView):
    @extend_schema(
        tags=TAGS,
        summary="Assign a lead to an agent",
        description="Admins, or the lead's owner handing it over. The agent is notified.",
        request=AssignSerializer,
        responses={200: LeadSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, pk: int):
        lead = _lead_for(request, pk)
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        agent = User.objects.filter(pk=serializer.validated_data["agent_id"]).first()
        if agent is None:
            raise exceptions.ValidationError({"agent_id": ["There is no user with this id."]})
        lead = services.assign_lead(lead=lead, agent=agent, actor=request.user, request=request)
        return Response(LeadSerializer(lead).data)


class LeadConvertView(LeadsView):
    @extend_schema(
        tags=TAGS,
        summary="Convert a lead into a deal",
        description="Records the deal, marks the lead won and books the agent's pending commission, "
        "all in one transaction. Converting twice answers 409.",
        request=ConvertSerializer,
        responses={201: ConvertResponseSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        lead = _lead_for(request, pk)
        serializer = ConvertSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        converted = services.convert_lead(
            lead=lead,
            actor=request.user,
            value=serializer.validated_data["deal_value"],
            currency=serializer.validated_data.get("currency") or lead.currency,
            request=request,
        )
        lead.refresh_from_db()
        body = {
            "deal": DealSerializer(converted.deal).data,
            "commission": (
                CommissionSummarySerializer(converted.commission).data if converted.commission is not None else None
            ),
            "lead": LeadSerializer(lead).data,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class LeadNotesView(generics.ListAPIView):
    permission_classes = [IsAgentOrSupportStaff]
    serializer_class = NoteSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LeadNote.objects.none()
        return _lead_for(self.request, self.kwargs["pk"]).lead_notes.select_related("author")

    @extend_schema(
        tags=TAGS,
        summary="A lead's notes",
        responses={200: NoteSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS,
        summary="Add a note to a lead",
        request=NoteInputSerializer,
        responses={201: NoteSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, pk: int):
        lead = _lead_for(request, pk)
        serializer = NoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = services.add_note(lead=lead, actor=request.user, body=serializer.validated_data["body"])
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)


class LeadHistoryView(generics.ListAPIView):
    permission_classes = [IsAgentOrSupportStaff]
    serializer_class = LeadEventSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LeadEvent.objects.none()
        return selectors.lead_history(_lead_for(self.request, self.kwargs["pk"]))

    @extend_schema(
        tags=TAGS,
        summary="A lead's history (newest first)",
        responses={200: LeadEventSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class LeadWhatsAppView(generics.ListAPIView):
    permission_classes = [IsAgentOrSupportStaff]
    serializer_class = WhatsAppMessageSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WhatsAppMessage.objects.none()
        return selectors.lead_messages(_lead_for(self.request, self.kwargs["pk"]))

    @extend_schema(
        tags=TAGS,
        summary="A lead's WhatsApp log with delivery statuses",
        responses={200: WhatsAppMessageSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS,
        summary="Send a WhatsApp message to a lead",
        description="A template with variables at any time, or a free-form `body` within 24 h of the lead's "
        "last message. 409 if the lead has no phone, has not opted in, or opted out. Send an "
        "`Idempotency-Key` header to make a retry return the first message instead of sending again.",
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
        request=WhatsAppInputSerializer,
        responses={
            202: WhatsAppMessageSerializer,
            200: OpenApiResponse(WhatsAppMessageSerializer, description="Replay of an idempotent request"),
            **error_responses(400, 401, 403, 404, 409),
        },
    )
    def post(self, request, pk: int):
        lead = _lead_for(request, pk)
        serializer = WhatsAppInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip()[:100]
        message, created = services.queue_whatsapp(
            lead=lead,
            actor=request.user,
            template=serializer.validated_data.get("template"),
            variables=serializer.validated_data.get("variables"),
            body=serializer.validated_data.get("body", ""),
            idempotency_key=f"api:{request.user.pk}:{key}" if key else None,
        )
        message.refresh_from_db()
        return Response(
            WhatsAppMessageSerializer(message).data, status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK
        )


class LeadAnalyticsView(LeadsView):
    throttle_scope = "search"

    @extend_schema(
        tags=TAGS,
        summary="Pipeline analytics (own leads for agents, all for admins)",
        description="Rates are shares between 0 and 1; values are grouped by currency.",
        responses={200: AnalyticsSerializer, **error_responses(401, 403)},
    )
    def get(self, request):
        return Response(AnalyticsSerializer(selectors.leads_analytics(request.user)).data)


class LeadImportView(LeadsView):
    throttle_scope = "upload"
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=TAGS,
        summary="Import leads from a CSV file",
        description="Header row required (company_name, contact_name, country, email and/or phone; optional "
        "timezone, source, specialization (slug or name), estimated_value, currency, notes, "
        "whatsapp_opt_in). Rows are numbered like a spreadsheet (header = 1). Each row is all or "
        "nothing; existing contacts are counted as duplicates, so re-importing creates nothing new. "
        f"Not a CSV, or more than {settings.LEADS_IMPORT_MAX_ROWS:,} rows → 400.",
        request={"multipart/form-data": ImportInputSerializer},
        responses={200: ImportResultSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        serializer = ImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        result = services.import_leads_csv(file=upload, name=upload.name, actor=request.user, request=request)
        return Response(ImportResultSerializer(result.as_dict()).data)


# --- Twilio webhooks ---------------------------------------------------------------------

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


class TwilioWebhookView(APIView):
    """Twilio signs each request (X-Twilio-Signature) over the URL it called and the
    POST parameters. Behind a proxy that URL is the public one, so it is rebuilt from
    PUBLIC_BASE_URL rather than taken from the request."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser]
    throttle_scope = "webhook"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        signature = request.headers.get("X-Twilio-Signature", "")
        url = settings.PUBLIC_BASE_URL + request.get_full_path()
        token = settings.TWILIO_AUTH_TOKEN
        if not (token and signature and RequestValidator(token).validate(url, request.data, signature)):
            raise exceptions.PermissionDenied("The Twilio signature is missing or does not match.")

    def twiml(self) -> HttpResponse:
        return HttpResponse(EMPTY_TWIML, content_type="text/xml")


class TwilioStatusWebhookView(TwilioWebhookView):
    @extend_schema(
        tags=["webhooks"],
        summary="Twilio message status callback",
        request={"application/x-www-form-urlencoded": TwilioStatusSerializer},
        responses={200: OpenApiResponse(description="Empty TwiML"), **error_responses(400, 403)},
        auth=[],
    )
    def post(self, request):
        serializer = TwilioStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.apply_status_callback(
            provider_sid=serializer.validated_data["MessageSid"],
            status=serializer.validated_data["MessageStatus"],
            error_code=serializer.validated_data.get("ErrorCode", ""),
        )
        return self.twiml()


class TwilioInboundWebhookView(TwilioWebhookView):
    @extend_schema(
        tags=["webhooks"],
        summary="Incoming WhatsApp message from Twilio",
        description="Logs the message on the sender's lead and opens the 24 h window; "
        "STOP/START opt the number out/in.",
        request={"application/x-www-form-urlencoded": TwilioInboundSerializer},
        responses={200: OpenApiResponse(description="Empty TwiML"), **error_responses(400, 403)},
        auth=[],
    )
    def post(self, request):
        serializer = TwilioInboundSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.record_inbound(
            from_number=serializer.validated_data["From"],
            body=serializer.validated_data.get("Body", ""),
            provider_sid=serializer.validated_data["MessageSid"],
        )
        return self.twiml()
