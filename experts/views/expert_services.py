"""Services an expert offers."""

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
from experts.models import ExpertService
from experts.serializers import (
    ServiceSerializer,
)
from experts.views.common import TAGS, own_profile
from foodxchange.api.fields import parse_object_id
from foodxchange.api.permissions import IsExpert, is_admin
from foodxchange.api.schema import error_responses


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
        profile = own_profile(request)
        serializer = ServiceSerializer(data=request.data, context={"currency": profile.currency})
        serializer.is_valid(raise_exception=True)
        service = services.create_service(profile=profile, data=serializer.validated_data)
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
