"""Profiles: public and own profile, photo, dashboard and analytics."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from experts import selectors, services
from experts.models import ExpertProfile
from experts.serializers import (
    ExpertAnalyticsQuerySerializer,
    ExpertAnalyticsSerializer,
    ExpertDashboardSerializer,
    ExpertProfileSerializer,
    PhotoResponseSerializer,
    PhotoUploadSerializer,
    ProfileUpdateSerializer,
    photo_url,
    photo_url_of,
)
from experts.views.common import TAGS, own_profile, profile_payload, public_profile_payload, reload_profile
from foodxchange.api.parsers import FormParser, MultiPartParser
from foodxchange.api.permissions import IsExpert
from foodxchange.api.schema import error_responses
from foodxchange.services import client_ip
from realtime.selectors import presence_map


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
        public = selectors.public_profile_data(expert_id=pk, render=public_profile_payload)
        if public is not None:
            expert = ExpertProfile(pk=pk, user_id=public["user_id"])
            services.record_profile_view(expert=expert, viewer=request.user, ident=client_ip(request) or "")
            data = dict(public["data"])
            data["presence"] = presence_map([public["user_id"]]).get(public["user_id"], "offline")
            data["photo_url"] = photo_url_of(public["photo"], request)
            return Response(data)
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
        return Response(profile_payload(reload_profile(own_profile(request)), request))

    def _update(self, request, *, partial: bool):
        profile = own_profile(request)
        serializer = ProfileUpdateSerializer(data=request.data, partial=partial, context={"currency": profile.currency})
        serializer.is_valid(raise_exception=True)
        profile = services.update_profile(
            profile=profile, data=serializer.validated_data, actor=request.user, request=request
        )
        return Response(profile_payload(profile, request))

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
