from asgiref.sync import async_to_sync
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from foodxchange.api.pagination import StandardPagination
from foodxchange.api.permissions import IsExpert
from foodxchange.api.schema import error_responses
from realtime import selectors, services
from realtime.models import Notification
from realtime.serializers import (
    NotificationListQuerySerializer,
    NotificationSerializer,
    PreferencesSerializer,
    PresenceResponseSerializer,
    PresenceUpdateSerializer,
    PresentExpertSerializer,
    PresentExpertsQuerySerializer,
    ReadAllResponseSerializer,
    RealtimeStatusSerializer,
)


class NotificationListView(generics.ListAPIView):
    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = StandardPagination

    @extend_schema(
        tags=["notifications"],
        summary="Your in-app notifications, newest first",
        parameters=[NotificationListQuerySerializer],
        responses={200: NotificationSerializer(many=True), **error_responses(400, 401)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        query = NotificationListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.notifications_for(user=self.request.user, unread=query.validated_data["unread"])


class NotificationReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["notifications"],
        summary="Mark one of your notifications read",
        request=None,
        responses={200: NotificationSerializer, **error_responses(401, 404)},
    )
    def post(self, request, pk: int):
        notification = get_object_or_404(selectors.notifications_for(user=request.user), pk=pk)
        return Response(NotificationSerializer(services.mark_read(notification=notification)).data)


class NotificationReadAllView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["notifications"],
        summary="Mark all your notifications read",
        request=None,
        responses={200: ReadAllResponseSerializer, **error_responses(401)},
    )
    def post(self, request):
        return Response({"marked": services.mark_all_read(user=request.user)})


def _preferences_body(user) -> dict:
    return {
        "preferences": selectors.preferences_for(user=user),
        "whatsapp_opt_in": selectors.whatsapp_opted_in(user=user),
    }


class NotificationPreferencesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["notifications"],
        summary="Your channels (in-app, email, WhatsApp) for each kind of notification",
        responses={200: PreferencesSerializer, **error_responses(401)},
    )
    def get(self, request):
        return Response(_preferences_body(request.user))

    @extend_schema(
        tags=["notifications"],
        summary="Change your channels for some kinds (others keep theirs)",
        request=PreferencesSerializer,
        responses={200: PreferencesSerializer, **error_responses(400, 401)},
    )
    def put(self, request):
        serializer = PreferencesSerializer(data=request.data, context={"user": request.user})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with transaction.atomic():
            if "whatsapp_opt_in" in data:
                services.set_whatsapp_consent(user=request.user, opted_in=data["whatsapp_opt_in"], request=request)
            if data.get("preferences"):
                services.update_preferences(user=request.user, preferences=data["preferences"], request=request)
        return Response(_preferences_body(request.user))


class PresenceView(APIView):
    permission_classes = [IsExpert]

    @extend_schema(
        tags=["realtime"],
        summary="Set your presence status (experts)",
        description="Shown to others while you have a connected socket; `offline` means appear offline. "
        "The choice outlives reconnections (PRESENCE_STATUS_TTL_SECONDS).",
        request=PresenceUpdateSerializer,
        responses={200: PresenceResponseSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        serializer = PresenceUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        chosen = serializer.validated_data["status"]
        shown = services.set_presence(user=request.user, status=chosen)
        connected = selectors.presence_details([request.user.pk])[request.user.pk]["last_seen"] is not None
        return Response({"status": shown, "chosen": chosen, "connected": connected})


class PresentExpertsView(generics.ListAPIView):
    serializer_class = PresentExpertSerializer
    permission_classes = [AllowAny]
    pagination_class = StandardPagination
    filter_backends: list = []
    throttle_scope = "search"

    @extend_schema(
        tags=["realtime"],
        summary="Experts online, away or busy right now, most recently active first",
        parameters=[PresentExpertsQuerySerializer],
        responses={200: PresentExpertSerializer(many=True), **error_responses(400)},
        auth=[],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return []
        query = PresentExpertsQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        specialization = None
        if "specialization" in query.validated_data:
            specialization = selectors.resolve_specialization(query.validated_data["specialization"])
            if specialization is None:
                raise ValidationError({"specialization": ["No specialization with this slug or id."]})
        return selectors.present_experts(specialization=specialization, status=query.validated_data.get("status"))


class RealtimeStatusView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["realtime"],
        summary="Channel layer health and connected users",
        responses={200: RealtimeStatusSerializer, **error_responses(401)},
    )
    def get(self, request):
        return Response(
            {
                "channel_layer": async_to_sync(selectors.channel_layer_roundtrip)(),
                "connected_users": selectors.connected_user_count(),
                **selectors.realtime_settings(),
            }
        )
