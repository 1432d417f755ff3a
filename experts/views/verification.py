"""Documents and verification."""

from django.db.models import Max
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from experts import services
from experts.models import ExpertDocument, VerificationRequest
from experts.serializers import (
    DocumentSerializer,
    DocumentUploadSerializer,
    VerificationCreateSerializer,
    VerificationDecisionSerializer,
    VerificationSerializer,
)
from experts.views.common import TAGS, own_profile
from foodxchange.api.permissions import IsExpert, IsSupportStaff, has_staff_area
from foodxchange.api.schema import error_responses


class DocumentView(GenericAPIView):
    permission_classes = [IsExpert]
    serializer_class = DocumentSerializer
    queryset = ExpertDocument.objects.none()

    def get_throttles(self):
        self.throttle_scope = "upload" if self.request.method == "POST" else None
        return super().get_throttles()

    @extend_schema(
        tags=TAGS,
        summary="Your documents, every version",
        parameters=[OpenApiParameter("doc_type", OpenApiTypes.STR, required=False)],
        responses={200: DocumentSerializer(many=True), **error_responses(401, 403)},
    )
    def get(self, request):
        profile = own_profile(request)
        qs = ExpertDocument.objects.filter(expert=profile)
        if request.query_params.get("doc_type"):
            qs = qs.filter(doc_type=request.query_params["doc_type"])
        latest = dict(qs.values("doc_type").annotate(v=Max("version")).values_list("doc_type", "v"))
        page = self.paginate_queryset(qs.order_by("doc_type", "-version"))
        data = DocumentSerializer(page, many=True, context={"latest_versions": latest}).data
        return self.get_paginated_response(data)

    @extend_schema(
        tags=TAGS,
        summary="Upload a document",
        description="PDF, JPEG or PNG (checked by content), at most 10 MB. The same doc_type again "
        "adds a new version; older versions are kept.",
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={201: DocumentSerializer, **error_responses(400, 401, 403, 429)},
    )
    def post(self, request):
        serializer = DocumentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        document = services.upload_document(
            profile=own_profile(request),
            upload=data["file"],
            doc_type=data["doc_type"],
            title=data["title"],
            expires_at=data.get("expires_at"),
            request=request,
        )
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class VerificationView(GenericAPIView):
    serializer_class = VerificationSerializer
    queryset = VerificationRequest.objects.none()

    def get_permissions(self):
        if self.request.method == "GET":
            return [(IsExpert | IsSupportStaff)()]
        return [IsExpert()]

    @extend_schema(
        tags=TAGS,
        summary="Verification requests",
        description="Experts see their own requests and their `verification_status` "
        "(unverified, pending, verified, rejected); support staff see the queue (`?status=pending`). "
        "Each request also shows the `verification_status` it led to (`verified` for an approved one).",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, required=False, enum=["pending", "approved", "rejected"])
        ],
        responses={200: VerificationSerializer(many=True), **error_responses(401, 403)},
    )
    def get(self, request):
        qs = VerificationRequest.objects.select_related("expert").prefetch_related("documents")
        staff = has_staff_area(request.user, "support")
        if not staff:
            qs = qs.filter(expert__user=request.user)
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in VerificationRequest.Status.values:
                raise ValidationError({"status": [f"One of: {', '.join(VerificationRequest.Status.values)}."]})
            qs = qs.filter(status=wanted)
        ordering = ["created_at", "id"] if wanted == "pending" else ["-created_at", "-id"]
        page = self.paginate_queryset(qs.order_by(*ordering))
        response = self.get_paginated_response(VerificationSerializer(page, many=True).data)
        if not staff:
            response.data["verification_status"] = own_profile(request).verification_status
        return response

    @extend_schema(
        tags=TAGS,
        summary="Ask for verification",
        description="`documents`: ids of documents you uploaded. Your status becomes `pending`; "
        "409 while a request is open or once verified.",
        request=VerificationCreateSerializer,
        responses={201: VerificationSerializer, **error_responses(400, 401, 403, 409)},
    )
    def post(self, request):
        profile = own_profile(request)
        serializer = VerificationCreateSerializer(data=request.data, context={"profile": profile})
        serializer.is_valid(raise_exception=True)
        verification = services.request_verification(
            profile=profile,
            documents=serializer.validated_data["documents"],
            note=serializer.validated_data["note"],
            request=request,
        )
        return Response(VerificationSerializer(verification).data, status=status.HTTP_201_CREATED)


class VerificationDecideView(APIView):
    permission_classes = [IsSupportStaff]

    @extend_schema(
        tags=TAGS,
        summary="Approve or reject a verification request (support staff)",
        description="A rejection needs a `note`. The decision is audit-logged and the expert notified.",
        request=VerificationDecisionSerializer,
        responses={200: VerificationSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        get_object_or_404(VerificationRequest, pk=pk)
        serializer = VerificationDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        verification = services.decide_verification(
            verification_id=pk,
            reviewer=request.user,
            approve=serializer.validated_data["decision"] == "approve",
            note=serializer.validated_data["note"],
            request=request,
        )
        return Response(VerificationSerializer(verification).data)
