from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance import selectors, services, signing
from compliance.pdf import render_certificate_pdf
from compliance.permissions import IsLedgerStaff
from compliance.serializers import (
    CertificateQuerySerializer,
    CertificateSerializer,
    CertificateVerifySerializer,
    LedgerEntrySerializer,
    LedgerHeadSerializer,
    LedgerQuerySerializer,
    RevokeSerializer,
    VaultCertificateSerializer,
)
from compliance.services import vault
from foodxchange.api.fields import parse_object_id
from foodxchange.api.permissions import IsClient, IsSupportStaff
from foodxchange.api.schema import error_responses
from foodxchange.errors import NotFound as DomainNotFound

TAGS = ["compliance"]


class JsonOnlyNegotiation(DefaultContentNegotiation):
    """``?format=pdf`` picks the PDF in the view; every other answer (errors too) is JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class LedgerListView(ListAPIView):
    permission_classes = [IsLedgerStaff]
    serializer_class = LedgerEntrySerializer
    filter_backends: list = []

    def get_queryset(self):
        query = LedgerQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.ledger_entries(
            kind=query.validated_data.get("kind"), subject=query.validated_data.get("subject")
        )

    @extend_schema(
        tags=TAGS,
        summary="Ledger entries in seq order (operations or support staff)",
        parameters=[LedgerQuerySerializer],
        responses={200: LedgerEntrySerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class LedgerHeadView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=TAGS,
        summary="The ledger's head: keep it outside to check the history later",
        responses={200: LedgerHeadSerializer},
    )
    def get(self, request):
        return Response(LedgerHeadSerializer(selectors.ledger_head()).data)


class CertificateListView(ListAPIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    serializer_class = CertificateSerializer
    filter_backends: list = []

    def get_queryset(self):
        query = CertificateQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.certificates_for(subject=query.validated_data["subject"])

    @extend_schema(
        tags=TAGS,
        summary="The public certificates of a subject",
        parameters=[CertificateQuerySerializer],
        responses={200: CertificateSerializer(many=True), **error_responses(400)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CertificateDetailView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    content_negotiation_class = JsonOnlyNegotiation

    @extend_schema(
        tags=TAGS,
        summary="A certificate (JSON, or `?format=pdf` with a QR code of its verify URL)",
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "pdf"], required=False)],
        responses={200: CertificateSerializer, **error_responses(404)},
    )
    def get(self, request, pk):
        certificate = selectors.get_certificate(pk)
        if request.query_params.get("format") == "pdf":
            response = HttpResponse(render_certificate_pdf(certificate), content_type="application/pdf")
            response["Content-Disposition"] = f'inline; filename="certificate-{certificate.pk}.pdf"'
            return response
        return Response(CertificateSerializer(certificate).data)


class CertificateVerifyView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=TAGS,
        summary="Verify a certificate against the signed, hash-chained ledger",
        responses={200: CertificateVerifySerializer, **error_responses(404)},
    )
    def get(self, request, pk):
        result = selectors.verify_certificate(pk)
        result["public_key"] = signing.public_key_b64()
        return Response(CertificateVerifySerializer(result).data)


class CertificateRevokeView(APIView):
    permission_classes = [IsSupportStaff]

    @extend_schema(
        tags=TAGS,
        summary="Revoke a certificate (support staff): a ledger entry, then verify says revoked",
        request=RevokeSerializer,
        responses={200: CertificateSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk):
        certificate_id = selectors.parse_certificate_id(pk)
        body = RevokeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        certificate = services.revoke_certificate(
            certificate_id=certificate_id, actor=request.user, reason=body.validated_data["reason"], request=request
        )
        return Response(CertificateSerializer(selectors.get_certificate(certificate.pk)).data)


# --- the clients' certificate vault ---------------------------------------------------------
class VaultListView(ListAPIView):
    permission_classes = [IsClient]
    serializer_class = VaultCertificateSerializer
    filter_backends: list = []
    parser_classes = [JSONParser, MultiPartParser]

    def get_queryset(self):
        return selectors.vault_certificates(owner=self.request.user).prefetch_related("reminders")

    @extend_schema(
        tags=TAGS,
        summary="Your sites' certificates, soonest expiry first",
        responses={200: VaultCertificateSerializer(many=True), **error_responses(401, 403)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS,
        summary="Add a certificate to your vault (JSON, or multipart with a PDF/JPEG/PNG document)",
        request=VaultCertificateSerializer,
        responses={201: VaultCertificateSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        body = VaultCertificateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        document = data.pop("document", None)
        certificate = vault.create_vault_certificate(owner=request.user, data=data, document=document, request=request)
        return Response(VaultCertificateSerializer(certificate).data, status=201)


class VaultDetailView(APIView):
    permission_classes = [IsClient]
    parser_classes = [JSONParser, MultiPartParser]

    def _certificate(self, request, pk):
        certificate_id = parse_object_id(str(pk))
        if certificate_id is None:
            raise DomainNotFound("No such certificate in your vault.")
        return selectors.vault_certificate(owner=request.user, certificate_id=certificate_id)

    @extend_schema(tags=TAGS, summary="One certificate of your vault", responses={200: VaultCertificateSerializer})
    def get(self, request, pk):
        return Response(VaultCertificateSerializer(self._certificate(request, pk)).data)

    @extend_schema(
        tags=TAGS,
        summary="Change a certificate of your vault (fields you leave out keep their value)",
        request=VaultCertificateSerializer,
        responses={200: VaultCertificateSerializer, **error_responses(400, 401, 403, 404)},
    )
    def put(self, request, pk):
        certificate = self._certificate(request, pk)
        body = VaultCertificateSerializer(certificate, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        document = data.pop("document", None)
        updated = vault.update_vault_certificate(certificate=certificate, data=data, document=document, request=request)
        return Response(VaultCertificateSerializer(updated).data)

    patch = put

    @extend_schema(tags=TAGS, summary="Remove a certificate from your vault", responses={204: None})
    def delete(self, request, pk):
        vault.delete_vault_certificate(certificate=self._certificate(request, pk), request=request)
        return Response(status=204)


class VaultRequestHelpView(APIView):
    permission_classes = [IsClient]

    @extend_schema(
        tags=TAGS,
        summary="Open an RFQ prefilled for this certificate's standard and site, matched like any RFQ",
        request=None,
        responses={201: OpenApiTypes.OBJECT, **error_responses(401, 403, 404, 503)},
    )
    def post(self, request, pk):
        certificate_id = parse_object_id(str(pk))
        if certificate_id is None:
            raise DomainNotFound("No such certificate in your vault.")
        rfq = vault.request_help(owner=request.user, certificate_id=certificate_id)
        return Response(rfq, status=201)
