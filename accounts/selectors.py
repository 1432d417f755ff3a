"""Reads about accounts that are more than a one-line queryset."""

from datetime import datetime
from typing import Any

from django.db.models import Count, Q

from accounts.models import User


def user_counts(*, joined_since: datetime) -> dict[str, Any]:
    """Accounts in all and per role, and how many joined since ``joined_since``."""
    return User.objects.aggregate(
        total=Count("id"),
        new_this_week=Count("id", filter=Q(date_joined__gte=joined_since)),
        clients=Count("id", filter=Q(role=User.Role.CLIENT)),
        experts=Count("id", filter=Q(role=User.Role.EXPERT)),
        agents=Count("id", filter=Q(role=User.Role.AGENT)),
    )
