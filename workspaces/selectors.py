"""Reads of the workspaces app (also used by other apps)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from workspaces.models import Attachment, Message, ReadMarker, Workspace


def workspace_id_for(*, kind: str, subject_id: int) -> int | None:
    return Workspace.objects.filter(kind=kind, subject_id=subject_id).values_list("id", flat=True).first()


def have_paid_each_other(*, client_id: int, expert_id: int) -> bool:
    """Any payment between these two people, on any job (contact details are then fine)."""
    return Workspace.objects.filter(client_id=client_id, expert_id=expert_id, paid_at__isnull=False).exists()


def is_support_staff(user: Any) -> bool:
    """Active staff holding the support area (the API's staff-area rule)."""
    if not (user and user.is_authenticated and user.is_active and (user.is_staff or user.role == "admin")):
        return False
    return bool(user.is_superuser or user.has_perm("foodxchange.support"))


def is_member(*, workspace: Workspace, user: Any) -> bool:
    """The client or the expert of the workspace (who may post)."""
    return bool(user and user.is_authenticated and user.pk in (workspace.client_id, workspace.expert_id))


def can_read(*, workspace: Workspace, user: Any) -> bool:
    """Members, and staff holding the ``support`` area (read-only)."""
    return is_member(workspace=workspace, user=user) or is_support_staff(user)


def visible_workspaces(*, user: Any) -> QuerySet[Workspace]:
    """The user's workspaces (support staff: every workspace), each annotated with
    ``unread`` (messages of others after the user's read marker) and ``last_message_id``;
    most recent activity first."""
    if is_support_staff(user):
        workspaces = Workspace.objects.all()
    else:
        workspaces = Workspace.objects.filter(Q(client=user) | Q(expert=user))
    read_up_to = ReadMarker.objects.filter(workspace=OuterRef(OuterRef("pk")), user=user).values("last_read_id")[:1]
    unread = (
        Message.objects.filter(workspace=OuterRef("pk"))
        .exclude(sender=user)
        .filter(pk__gt=Coalesce(Subquery(read_up_to), Value(0)))
        .order_by()
        .values("workspace")
        .annotate(n=Count("pk"))
        .values("n")
    )
    last = Message.objects.filter(workspace=OuterRef("pk")).order_by("-pk").values("pk")[:1]
    return (
        workspaces.select_related("client", "expert")
        .annotate(
            unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
            last_message_id=Subquery(last, output_field=IntegerField()),
        )
        .order_by(Coalesce("last_message_id", Value(0)).desc(), "-id")
    )


def workspace_for(*, user: Any, workspace_id: int) -> Workspace | None:
    """The workspace if the user may read it, else None (the API answers 404)."""
    workspace = Workspace.objects.select_related("client", "expert").filter(pk=workspace_id).first()
    if workspace is None or not can_read(workspace=workspace, user=user):
        return None
    return workspace


def messages_of(*, workspace: Workspace, after: int | None = None, before: int | None = None) -> QuerySet[Message]:
    """Messages oldest first; ``after``/``before`` (message ids) for sync and scrolling."""
    messages = workspace.messages.select_related("sender").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
    )
    if after is not None:
        messages = messages.filter(pk__gt=after)
    if before is not None:
        messages = messages.filter(pk__lt=before)
    return messages.order_by("pk")


def documents_of(*, workspace: Workspace) -> list[dict[str, Any]]:
    """Every file of the workspace, grouped by name: ``{name, latest, versions}``, with
    versions newest first and documents by their latest upload, newest first."""
    documents: dict[str, dict[str, Any]] = {}
    for attachment in workspace.attachments.select_related("uploaded_by").order_by("name_key", "-version"):
        document = documents.setdefault(attachment.name_key, {"name": attachment.name, "versions": []})
        document["versions"].append(attachment)
    result = [{**d, "latest": d["versions"][0]} for d in documents.values()]
    result.sort(key=lambda d: d["latest"].pk, reverse=True)
    return result


def attachment_for(*, workspace: Workspace, attachment_id: int) -> Attachment | None:
    return workspace.attachments.filter(pk=attachment_id).first()


def unread_count(*, workspace: Workspace, user: Any) -> int:
    marker = ReadMarker.objects.filter(workspace=workspace, user=user).values_list("last_read_id", flat=True).first()
    return workspace.messages.exclude(sender=user).filter(pk__gt=marker or 0).count()
