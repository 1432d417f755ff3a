"""Weekly availability and free slots."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from experts import selectors, services
from experts.models import ExpertProfile
from experts.serializers import (
    AvailabilityQuerySerializer,
    AvailabilitySerializer,
    AvailabilityWriteSerializer,
)
from experts.views.common import TAGS, own_profile, reload_profile
from foodxchange.api.permissions import IsExpert
from foodxchange.api.schema import error_responses


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
            profile = reload_profile(own_profile(request))
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
        return Response(
            self._payload(reload_profile(profile), query.validated_data["from"], query.validated_data["to"])
        )
