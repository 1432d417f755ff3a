"""Reads of the workspaces app used by other apps."""

from workspaces.models import Workspace


def workspace_id_for(*, kind: str, subject_id: int) -> int | None:
    return Workspace.objects.filter(kind=kind, subject_id=subject_id).values_list("id", flat=True).first()


def have_paid_each_other(*, client_id: int, expert_id: int) -> bool:
    """Any payment between these two people, on any job (contact details are then fine)."""
    return Workspace.objects.filter(client_id=client_id, expert_id=expert_id, paid_at__isnull=False).exists()
