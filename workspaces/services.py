"""Writes of the workspaces app. Owning apps (consultations, engagements) call these."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from workspaces.models import Workspace


def open_workspace(*, kind: str, subject_id: int, title: str, client: User, expert: User) -> Workspace:
    """The workspace of one job, created on first call; later calls return the same row."""
    with transaction.atomic():
        workspace, _ = Workspace.objects.get_or_create(
            kind=kind,
            subject_id=subject_id,
            defaults={"title": title[:200], "client": client, "expert": expert},
        )
    return workspace


def record_payment(*, kind: str, subject_id: int, at: datetime | None = None) -> bool:
    """Mark that money moved on this job; True when this call recorded the first payment."""
    updated = Workspace.objects.filter(kind=kind, subject_id=subject_id, paid_at__isnull=True).update(
        paid_at=at or timezone.now()
    )
    return bool(updated)
