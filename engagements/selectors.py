"""Reads of the engagements domain: what each caller may see."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from engagements.models import ChangeOrder, Engagement, Milestone, Quote
from foodxchange.api.permissions import is_admin
from workspaces.models import Workspace


def quotes_base() -> QuerySet[Quote]:
    return Quote.objects.select_related("rfq", "expert__user").prefetch_related("milestones")


def quote_for_viewer(*, quote_id: int, user: Any) -> Quote | None:
    """The quoting expert, the RFQ's client and staff see a quote; others see nothing."""
    qs = quotes_base().filter(pk=quote_id)
    if not is_admin(user):
        qs = qs.filter(Q(expert__user_id=user.pk) | Q(rfq__client_id=user.pk))
    return qs.first()


def quotes_on_rfq(*, rfq_id: int, user: Any) -> QuerySet[Quote]:
    """The RFQ's client and staff see every quote on it, an expert their own."""
    qs = quotes_base().filter(rfq_id=rfq_id)
    if not is_admin(user):
        qs = qs.filter(Q(expert__user_id=user.pk) | Q(rfq__client_id=user.pk))
    return qs.order_by("created_at", "id")


def _with_details(qs: QuerySet[Engagement]) -> QuerySet[Engagement]:
    """Everything the API shows, in a fixed number of queries for any page."""
    workspace = Workspace.objects.filter(kind=Workspace.Kind.ENGAGEMENT, subject_id=OuterRef("pk")).values("id")[:1]
    return (
        qs.annotate(workspace_pk=Subquery(workspace))
        .select_related("client", "expert__user")
        .prefetch_related(
            Prefetch(
                "milestones",
                queryset=Milestone.objects.prefetch_related("payments", "refunds")
                .select_related("transfer")
                .order_by("position"),
            ),
            Prefetch("change_orders", queryset=ChangeOrder.objects.select_related("milestone").order_by("id")),
        )
    )


def engagements_for(*, user: Any, status: str = "", as_role: str = "") -> QuerySet[Engagement]:
    """Participants see their own engagements; staff see all."""
    qs = Engagement.objects.all()
    mine = Q(client_id=user.pk) | Q(expert__user_id=user.pk)
    if as_role == "client":
        mine = Q(client_id=user.pk)
    elif as_role == "expert":
        mine = Q(expert__user_id=user.pk)
    if not is_admin(user) or as_role:
        qs = qs.filter(mine)
    if status:
        qs = qs.filter(status=status)
    return _with_details(qs).order_by("-created_at", "-id")


def engagement_for_viewer(*, engagement_id: int, user: Any) -> Engagement | None:
    return engagements_for(user=user).filter(pk=engagement_id).first()
