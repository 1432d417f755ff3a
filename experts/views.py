"""HTTP layer of the experts endpoints: validate, call a service or selector, shape
the response."""

from django.db.models import Max
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from experts import selectors, services
from experts.models import ExpertDocument, ExpertProfile, ExpertService, VerificationRequest
from experts.serializers import (
    AvailabilityQuerySerializer,
    AvailabilitySerializer,
    AvailabilityWriteSerializer,
    DocumentSerializer,
    DocumentUploadSerializer,
    ExpertAnalyticsQuerySerializer,
    ExpertAnalyticsSerializer,
    ExpertDashboardSerializer,
    ExpertProfileSerializer,
    PhotoResponseSerializer,
    PhotoUploadSerializer,
    ProfileUpdateSerializer,
    ServiceSerializer,
    VerificationCreateSerializer,
    VerificationDecisionSerializer,
    VerificationSerializer,
    photo_url,
)
from foodxchange.api.fields import parse_object_id
from foodxchange.api.parsers import FormParser, MultiPartParser
from foodxchange.api.permissions import IsAdmin, IsExpert, is_admin
from foodxchange.api.schema import error_responses
from foodxchange.services import client_ip
from realtime.selectors import presence_map

TAGS = ["experts"]


def own_profile(request) -> ExpertProfile:
    return services.get_or_create_profile(user=request.user)


def profile_payload(profile: ExpertProfile, request) -> dict:
    context = {"request": request, "presence": presence_map([profile.user_id])}
    return ExpertProfileSerializer(profile, context=context).data


def _reload(profile: ExpertProfile) -> ExpertProfile:
    return (
        ExpertProfile.objects.select_related("user")
        .prefetch_related("specializations", "certifications")
        .get(pk=profile.pk)
    )


class PublicProfileView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        summary="Public profile of an expert",
        description="Verified, active experts are public; the owner and staff also see the others.",
        responses={200: ExpertProfileSerializer, **error_responses(404)},
        auth=[],
    )
    def get(self, request, pk: int):
        profile = selectors.expert_for_viewer(expert_id=pk, user=request.user)
        if profile is None:
            raise NotFound("No such expert.")
        services.record_profile_view(expert=profile, viewer=request.user, ident=client_ip(request) or "")
        return Response(profile_payload(profile, request))


class OwnProfileView(APIView):
    permission_classes = [IsExpert]

    @extend_schema(
        tags=TAGS,
        operation_id="experts_profile_own_retrieve",
        summary="Your own profile",
        responses={200: ExpertProfileSerializer, **error_responses(401, 403)},
    )
    def get(self, request):
        return Response(profile_payload(_reload(own_profile(request)), request))

    def _update(self, request, *, partial: bool):
        serializer = ProfileUpdateSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        profile = services.update_profile(
            profile=own_profile(request), data=serializer.validated_data, actor=request.user, request=request
        )
        return Response(profile_payload(_reload(profile), request))

    @extend_schema(
        tags=TAGS,
        summary="Replace your profile",
        description="`specializations` is a list of ids; `certifications`, when sent, replaces the current list.",
        request=ProfileUpdateSerializer,
        responses={200: ExpertProfileSerializer, **error_responses(400, 401, 403)},
    )
    def put(self, request):
        return self._update(request, partial=False)

    @extend_schema(
        tags=TAGS,
        summary="Change part of your profile",
        request=ProfileUpdateSerializer,
        responses={200: ExpertProfileSerializer, **error_responses(400, 401, 403)},
    )
    def patch(self, request):
        return self._update(request, partial=True)


class PhotoView(APIView):
    permission_classes = [IsExpert]
    parser_classes = [MultiPartParser, FormParser]
    throttle_scope = "upload"

    @extend_schema(
        tags=TAGS,
        summary="Upload your profile photo",
        description="JPEG, PNG or WebP, checked by content; at most 5 MB; resized to fit 800 px.",
        request={"multipart/form-data": PhotoUploadSerializer},
        responses={200: PhotoResponseSerializer, **error_responses(400, 401, 403, 429)},
    )
    def post(self, request):
        serializer = PhotoUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile = services.set_photo(
            profile=own_profile(request), upload=serializer.validated_data["photo"], request=request
        )
        return Response({"photo_url": photo_url(profile, request)})

    @extend_schema(tags=TAGS, summary="Remove your profile photo", responses={204: None, **error_responses(401, 403)})
    def delete(self, request):
        services.remove_photo(profile=own_profile(request), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DashboardView(APIView):
    permission_classes = [IsExpert]

    @extend_schema(
        tags=TAGS, summary="Your dashboard", responses={200: ExpertDashboardSerializer, **error_responses(401, 403)}
    )
    def get(self, request):
        return Response(ExpertDashboardSerializer(selectors.expert_dashboard(own_profile(request))).data)


class AnalyticsView(APIView):
    permission_classes = [IsExpert]

    @extend_schema(
        tags=TAGS,
        summary="Your profile views, search impressions, click-through, bookings and revenue by month",
        parameters=[ExpertAnalyticsQuerySerializer],
        responses={200: ExpertAnalyticsSerializer, **error_responses(400, 401, 403)},
    )
    def get(self, request):
        query = ExpertAnalyticsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = selectors.expert_analytics(own_profile(request), months=query.validated_data["months"])
        return Response(ExpertAnalyticsSerializer(data).data)


# --- services ---------------------------------------------------------------------------
class ServiceListView(GenericAPIView):
    serializer_class = ServiceSerializer
    queryset = ExpertService.objects.none()

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsExpert()]

    @extend_schema(
        tags=TAGS,
        summary="Services of an expert",
        description="`?expert=<id>` lists that expert's active services (anyone). "
        "Without it, an expert gets all of their own services.",
        parameters=[OpenApiParameter("expert", OpenApiTypes.INT, required=False)],
        responses={200: ServiceSerializer(many=True), **error_responses(400, 404)},
        auth=[],
    )
    def get(self, request):
        raw = request.query_params.get("expert")
        if raw:
            expert_id = parse_object_id(raw)
            if expert_id is None:
                raise ValidationError({"expert": ["Must be an expert id."]})
            profile = selectors.expert_for_viewer(expert_id=expert_id, user=request.user)
            if profile is None:
                raise NotFound("No such expert.")
            qs = ExpertService.objects.filter(expert=profile)
            if not (is_admin(request.user) or profile.user_id == request.user.id):
                qs = qs.filter(is_active=True)
        elif request.user.is_authenticated and request.user.role == "expert":
            qs = ExpertService.objects.filter(expert=own_profile(request))
        else:
            raise ValidationError({"expert": ["This parameter is required."]})
        page = self.paginate_queryset(qs.order_by("id"))
        return self.get_paginated_response(ServiceSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        summary="Offer a service",
        request=ServiceSerializer,
        responses={201: ServiceSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        serializer = ServiceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        service = services.create_service(profile=own_profile(request), data=serializer.validated_data)
        return Response(ServiceSerializer(service).data, status=status.HTTP_201_CREATED)


class ServiceDetailView(APIView):
    permission_classes = [IsExpert]

    def _own(self, request, pk: int) -> ExpertService:
        return get_object_or_404(ExpertService, pk=pk, expert__user=request.user)

    def _update(self, request, pk: int, *, partial: bool):
        service = self._own(request, pk)
        serializer = ServiceSerializer(service, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        service = services.update_service(service=service, data=serializer.validated_data)
        return Response(ServiceSerializer(service).data)

    @extend_schema(
        tags=TAGS, summary="One of your services", responses={200: ServiceSerializer, **error_responses(401, 403, 404)}
    )
    def get(self, request, pk: int):
        return Response(ServiceSerializer(self._own(request, pk)).data)

    @extend_schema(
        tags=TAGS,
        summary="Replace one of your services",
        request=ServiceSerializer,
        responses={200: ServiceSerializer, **error_responses(400, 401, 403, 404)},
    )
    def put(self, request, pk: int):
        return self._update(request, pk, partial=False)

    @extend_schema(
        tags=TAGS,
        summary="Change one of your services",
        request=ServiceSerializer,
        responses={200: ServiceSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, pk: int):
        return self._update(request, pk, partial=True)

    @extend_schema(
        tags=TAGS, summary="Delete one of your services", responses={204: None, **error_responses(401, 403, 404, 409)}
    )
    def delete(self, request, pk: int):
        services.delete_service(service=self._own(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- availability -------------------------------------------------------------------------
class AvailabilityView(APIView):
    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsExpert()]

    def _payload(self, profile: ExpertProfile, start, end) -> dict:
        slots = selectors.free_slots(expert=profile, start=start, end=end)
        return AvailabilitySerializer(
            {
                "expert": profile.pk,
                "timezone": profile.user.timezone,
                "from": start,
                "to": end,
                "rules": profile.availability_rules.all(),
                "exceptions": profile.availability_exceptions.filter(date__gte=(start.date())),
                "slots": [{"start": s, "end": e} for s, e in slots],
            }
        ).data

    @extend_schema(
        tags=TAGS,
        summary="Free slots of an expert (UTC)",
        description="`?expert=&from=&to=` (ISO-8601; default: the next 7 days; at most 62 days). "
        "Weekly rules in the expert's zone, with dated exceptions, minus booked time.",
        parameters=[
            OpenApiParameter("expert", OpenApiTypes.INT, required=False),
            OpenApiParameter("from", OpenApiTypes.DATETIME, required=False),
            OpenApiParameter("to", OpenApiTypes.DATETIME, required=False),
        ],
        responses={200: AvailabilitySerializer, **error_responses(400, 404)},
        auth=[],
    )
    def get(self, request):
        query = AvailabilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        if "expert" in data:
            profile = selectors.expert_for_viewer(expert_id=data["expert"], user=request.user)
            if profile is None:
                raise NotFound("No such expert.")
        elif request.user.is_authenticated and request.user.role == "expert":
            profile = _reload(own_profile(request))
        else:
            raise ValidationError({"expert": ["This parameter is required."]})
        return Response(self._payload(profile, data["from"], data["to"]))

    @extend_schema(
        tags=TAGS,
        summary="Set your weekly availability and exceptions",
        description="Replaces all rules and exceptions. Times are wall-clock times in your time zone "
        "(`timezone` here also updates it). An exception without times blocks the whole day.",
        request=AvailabilityWriteSerializer,
        responses={200: AvailabilitySerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        serializer = AvailabilityWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        profile = own_profile(request)
        services.set_availability(
            profile=profile,
            rules=data["rules"],
            exceptions=data.get("exceptions", []),
            timezone_name=data.get("timezone"),
        )
        query = AvailabilityQuerySerializer(data={})
        query.is_valid(raise_exception=True)
        return Response(self._payload(_reload(profile), query.validated_data["from"], query.validated_data["to"]))


# --- documents and verification -----------------------------------------------------------
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
            return [(IsExpert | IsAdmin)()]
        return [IsExpert()]

    @extend_schema(
        tags=TAGS,
        summary="Verification requests",
        description="Experts see their own; staff see the queue (`?status=pending`).",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, required=False, enum=["pending", "approved", "rejected"])
        ],
        responses={200: VerificationSerializer(many=True), **error_responses(401, 403)},
    )
    def get(self, request):
        qs = VerificationRequest.objects.select_related("expert").prefetch_related("documents")
        if not is_admin(request.user):
            qs = qs.filter(expert__user=request.user)
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in VerificationRequest.Status.values:
                raise ValidationError({"status": [f"One of: {', '.join(VerificationRequest.Status.values)}."]})
            qs = qs.filter(status=wanted)
        ordering = ["created_at", "id"] if wanted == "pending" else ["-created_at", "-id"]
        page = self.paginate_queryset(qs.order_by(*ordering))
        return self.get_paginated_response(VerificationSerializer(page, many=True).data)

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
    permission_classes = [IsAdmin]

    @extend_schema(
        tags=TAGS,
        summary="Approve or reject a verification request (staff)",
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
