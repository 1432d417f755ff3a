"""What realtime's "experts online now" list needs from experts, registered with
``realtime.hooks.register_expert_directory`` in ``ExpertsConfig.ready()``."""

from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from experts.models import ExpertProfile, Specialization
from foodxchange.api.fields import parse_object_id


class ExpertPresenceDirectory:
    def resolve_specialization(self, value: str) -> Specialization | None:
        pk = parse_object_id(value)
        lookup = Q(slug=value) | Q(pk=pk) if pk is not None else Q(slug=value)
        return Specialization.objects.filter(lookup).first()

    def cards(self, *, user_ids: Iterable[int], specialization: Any | None = None) -> dict[int, dict[str, Any]]:
        profiles = ExpertProfile.objects.filter(user_id__in=list(user_ids))
        if specialization is not None:
            profiles = profiles.filter(specializations=specialization)
        return {
            profile.user_id: {
                "expert_profile_id": profile.pk,
                "specializations": [
                    {"id": spec.pk, "slug": spec.slug, "name": spec.name} for spec in profile.specializations.all()
                ],
            }
            for profile in profiles.distinct().prefetch_related("specializations")
        }
