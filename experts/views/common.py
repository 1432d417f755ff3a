"""Helpers shared by the experts views."""

from experts import selectors, services
from experts.models import ExpertProfile
from experts.serializers import (
    ExpertProfileSerializer,
)
from realtime.selectors import presence_map

TAGS = ["experts"]


def own_profile(request) -> ExpertProfile:
    return services.get_or_create_profile(user=request.user)


def profile_payload(profile: ExpertProfile, request) -> dict:
    context = {"request": request, "presence": presence_map([profile.user_id])}
    return ExpertProfileSerializer(profile, context=context).data


def public_profile_payload(profile: ExpertProfile) -> dict:
    """The profile as everyone sees it, without the per-request parts (presence, the
    absolute photo URL), which the view adds: what the public profile cache keeps."""
    return dict(ExpertProfileSerializer(profile, context={"presence": {}}).data)


def reload_profile(profile: ExpertProfile) -> ExpertProfile:
    return selectors.profile_with_details(profile.pk)
