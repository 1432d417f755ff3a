"""Reads of matching: the current weights, RFQs as each caller may see them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from foodxchange.hotcache import HotCache
from matching.models import CRITERIA, DEFAULT_WEIGHTS, MatchingWeights, Rfq, RfqInvitation, RfqMatch

# Read by every search; invalidated by ``services.weights.set_weights``.
WEIGHTS_CACHE = HotCache("matching-weights")


def stored_weights() -> dict[str, float]:
    """The weights staff set (defaults for criteria they never set), from the database."""
    row = MatchingWeights.objects.filter(pk=1).first()
    stored = row.weights if row else {}
    return {c: float(stored.get(c, DEFAULT_WEIGHTS[c])) for c in CRITERIA}


def current_weights() -> dict[str, float]:
    """The weights staff set, cached until they change."""
    return dict(WEIGHTS_CACHE.get("weights", stored_weights))


def can_see_all_rfqs(user) -> bool:  # type: ignore[no-untyped-def]
    """Staff holding the support area (the same rule as the API's staff areas)."""
    if not (user and user.is_authenticated and user.is_active and (user.is_staff or user.role == "admin")):
        return False
    return bool(user.is_superuser or user.has_perm("foodxchange.support"))


def rfqs_for(user) -> QuerySet[Rfq]:  # type: ignore[no-untyped-def]
    """RFQs the caller may see: staff (support) all, a client their own, an expert
    those they were invited to."""
    qs = Rfq.objects.all()
    if not can_see_all_rfqs(user):
        qs = qs.filter(Q(client_id=user.pk) | Q(invitations__expert__user_id=user.pk)).distinct()
    return qs.select_related("client").prefetch_related("specializations")


def with_details(qs: QuerySet[Rfq]) -> QuerySet[Rfq]:
    """Matches and invitations (with their experts) in two more queries for any page."""
    return qs.prefetch_related(
        Prefetch("matches", queryset=RfqMatch.objects.select_related("expert").order_by("rank")),
        Prefetch("invitations", queryset=RfqInvitation.objects.select_related("expert").order_by("id")),
    )


def rfq_list(user, *, status: str = "") -> QuerySet[Rfq]:  # type: ignore[no-untyped-def]
    qs = rfqs_for(user)
    if status:
        qs = qs.filter(status=status)
    return with_details(qs).order_by("-created_at", "-id")


def rfq_detail(*, rfq_id: int, user) -> Rfq | None:  # type: ignore[no-untyped-def]
    return with_details(rfqs_for(user)).filter(pk=rfq_id).first()


def viewer_role(rfq: Rfq, user) -> str:  # type: ignore[no-untyped-def]
    """How ``user`` sees ``rfq``: ``owner`` and ``staff`` see everything, an invited
    ``expert`` only their own invitation and match."""
    if rfq.client_id is not None and rfq.client_id == user.pk:
        return "owner"
    if can_see_all_rfqs(user):
        return "staff"
    return "expert"


def rfqs_without_matches(*, days: int = 30, limit: int = 20) -> dict[str, Any]:
    """RFQs of the last ``days`` that found no expert: needs the marketplace cannot
    serve yet (recruiting targets), newest first, with their total."""
    since = timezone.now() - timedelta(days=days)
    qs = (
        Rfq.objects.filter(created_at__gte=since)
        .filter(~Exists(RfqMatch.objects.filter(rfq=OuterRef("pk"))))
        .prefetch_related("specializations")
        .order_by("-created_at", "-id")
    )
    return {
        "count": qs.count(),
        "rfqs": [
            {
                "id": rfq.pk,
                "title": rfq.title,
                "source": rfq.source,
                "category": rfq.category,
                "specializations": [s.name for s in rfq.specializations.all()],
                "country": rfq.country,
                "status": rfq.status,
                "created_at": rfq.created_at,
            }
            for rfq in qs[:limit]
        ],
    }


def invitation_for(*, rfq_id: int, expert_id: int) -> RfqInvitation | None:
    """The expert's invitation to the RFQ, or None when they were not invited."""
    return RfqInvitation.objects.filter(rfq_id=rfq_id, expert_id=expert_id).first()


def rfq_demand(*, specialization_id: int | None = None, country: str = "") -> QuerySet[Rfq]:
    """Every RFQ received (any source, any status), one row per specialization it asks
    for (an RFQ naming none: one row with ``demand_specialization`` null), annotated with
    ``received_at``. ``country`` is where the need is (the RFQ's own country). For
    marketplace analytics, which count these rows in the database."""
    qs = Rfq.objects.annotate(received_at=F("created_at"), demand_specialization=F("specializations__id"))
    if specialization_id is not None:
        qs = qs.filter(demand_specialization=specialization_id)
    if country:
        qs = qs.filter(country=country)
    return qs.order_by()
