"""Writes of the workspaces app. Owning apps (consultations, engagements) open workspaces
and record payments; members post messages (with attachments) and mark them read.

Attachments are checked by content and written to storage before the transaction (a
storage call may be a network call), the rows in one transaction, and the stored files
deleted again if that transaction fails: a bad file, or a failed write, leaves nothing."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from foodxchange.errors import InvalidInput, NotFound, PayloadTooLarge, PermissionDenied
from realtime.services import notify
from workspaces import contacts, selectors
from workspaces.models import Attachment, Message, ReadMarker, Workspace, attachment_path
from workspaces.uploads import AttachmentRejected, AttachmentTooLarge, CheckedFile, check_attachment

logger = logging.getLogger(__name__)

MESSAGE_KIND = "workspace.message"
CONTACT_WARNING = (
    "Your message was sent, and flagged because it contains {what}. Until a payment has been made between "
    "you two on FoodXchange, please keep the conversation here: sharing contact details to arrange work "
    "off the platform breaks the marketplace terms, and payments made outside it are not protected "
    "(no escrow, refunds or disputes). Support may review flagged messages."
)


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


def contact_warning_text(kinds: Sequence[str]) -> str:
    what = " and ".join({"email": "an email address", "phone": "a phone number"}[k] for k in kinds)
    return CONTACT_WARNING.format(what=what or "contact details")


def _check_sender(workspace: Workspace, sender: Any) -> None:
    if sender is not None and sender.pk in (workspace.client_id, workspace.expert_id):
        return
    if selectors.can_read(workspace=workspace, user=sender):
        raise PermissionDenied("Staff read workspaces; only the client and the expert post in them.")
    raise NotFound("No such workspace.")


def _check_files(files: Sequence[UploadedFile]) -> list[CheckedFile]:
    limit = settings.WORKSPACE_ATTACHMENTS_PER_MESSAGE
    if len(files) > limit:
        raise InvalidInput(f"At most {limit} files per message.", field="files")
    checked: list[CheckedFile] = []
    errors: list[str] = []
    too_large = False
    for upload in files:
        try:
            checked.append(check_attachment(upload, max_bytes=settings.WORKSPACE_ATTACHMENT_MAX_BYTES))
        except AttachmentRejected as error:
            too_large = too_large or isinstance(error, AttachmentTooLarge)
            errors.append(f"{getattr(error, 'name', '') or upload.name or 'A file'} {error}.")
    if too_large:
        raise PayloadTooLarge("A file is too large; nothing was sent.", details={"files": errors})
    if errors:
        raise InvalidInput("A file was refused; nothing was sent.", details={"files": errors})
    return checked


def _store(workspace: Workspace, storage: Storage, pairs: list[tuple[CheckedFile, UploadedFile]]) -> list[str]:
    stored: list[str] = []
    probe = Attachment(workspace=workspace)
    try:
        for checked, upload in pairs:
            upload.seek(0)
            stored.append(storage.save(attachment_path(probe, checked.name), upload, max_length=400))
    except Exception:
        _discard(storage, stored)
        raise
    return stored


def _discard(storage: Storage, names: list[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            logger.exception("could not delete an orphaned attachment", extra={"file": name})


def message_payload(message: Message) -> dict[str, Any]:
    """The message as pushed to the other members' sockets (JSON-safe)."""
    return {
        "id": message.pk,
        "workspace": message.workspace_id,
        "sender": message.sender_id,
        "body": message.body,
        "contact_warning": message.contact_warning,
        "attachments": [
            {"id": a.pk, "name": a.name, "version": a.version, "size": a.size, "content_type": a.content_type}
            for a in message.attachments.all()
        ],
        "created_at": message.created_at.isoformat(),
    }


def post_message(
    *,
    workspace: Workspace,
    sender: User,
    body: str,
    files: Sequence[UploadedFile] = (),
    idempotency_key: str | None = None,
) -> Message:
    """Posts a message (text, files or both) by the client or the expert of the workspace.

    Every file is checked by content (PDF, PNG/JPEG/WebP, DOCX, XLSX, CSV; at most
    ``WORKSPACE_ATTACHMENT_MAX_BYTES`` each) before anything is stored: one bad file
    refuses the whole message (``InvalidInput``; too large: ``PayloadTooLarge``). A file
    whose name is already in the workspace becomes its next version. A message with an
    email address or phone number before any payment between the two is kept and
    flagged (``contact_warning``). The other members are notified after the commit.
    With ``idempotency_key``, a retry returns the first message and stores nothing."""
    _check_sender(workspace, sender)
    key = (idempotency_key or "").strip()[:100] or None
    if key:
        existing = Message.objects.filter(workspace=workspace, sender=sender, idempotency_key=key).first()
        if existing is not None:
            return existing
    text = (body or "").strip()
    if len(text) > settings.WORKSPACE_MESSAGE_MAX_CHARS:
        raise InvalidInput(f"At most {settings.WORKSPACE_MESSAGE_MAX_CHARS} characters.", field="body")
    if not text and not files:
        raise InvalidInput("Write a message or attach a file.", field="body")
    checked = _check_files(files)
    kinds = contacts.contact_kinds(text)
    flagged = bool(kinds) and not selectors.have_paid_each_other(
        client_id=workspace.client_id, expert_id=workspace.expert_id
    )
    storage = Attachment._meta.get_field("file").storage
    stored = _store(workspace, storage, list(zip(checked, files, strict=True)))
    try:
        with transaction.atomic():
            # One writer per workspace at a time: version numbers are read then written.
            Workspace.objects.select_for_update().filter(pk=workspace.pk).first()
            message = Message.objects.create(
                workspace=workspace,
                sender=sender,
                body=text,
                contact_warning=flagged,
                contact_kinds=kinds if flagged else [],
                idempotency_key=key,
            )
            keys = {c.name.casefold() for c in checked}
            latest = dict(
                Attachment.objects.filter(workspace=workspace, name_key__in=keys)
                .values("name_key")
                .annotate(top=Max("version"))
                .values_list("name_key", "top")
            )
            for item, name in zip(checked, stored, strict=True):
                name_key = item.name.casefold()
                latest[name_key] = latest.get(name_key, 0) + 1
                Attachment.objects.create(
                    workspace=workspace,
                    message=message,
                    uploaded_by=sender,
                    name=item.name,
                    name_key=name_key,
                    version=latest[name_key],
                    file=name,
                    content_type=item.content_type,
                    size=item.size,
                    sha256=item.sha256,
                )
            _notify_members(workspace, message)
    except IntegrityError:
        _discard(storage, stored)
        if key:
            existing = Message.objects.filter(workspace=workspace, sender=sender, idempotency_key=key).first()
            if existing is not None:
                return existing  # a concurrent retry with the same key won
        raise
    except BaseException:
        _discard(storage, stored)
        raise
    return message


def _notify_members(workspace: Workspace, message: Message) -> None:
    sender_name = message.sender.get_full_name() or message.sender.email
    payload = {
        "title": f"New message in {workspace.title}",
        "message": f"{sender_name}: {message.body[:200]}" if message.body else f"{sender_name} sent a file",
        "url": f"{settings.FRONTEND_URL}/workspaces/{workspace.pk}",
        "workspace": workspace.pk,
        "workspace_message": message_payload(message),
    }
    for user_id in (workspace.client_id, workspace.expert_id):
        if user_id == message.sender_id:
            continue
        user = workspace.client if user_id == workspace.client_id else workspace.expert
        notify(user=user, kind=MESSAGE_KIND, payload=payload, idempotency_key=f"{MESSAGE_KIND}:{message.pk}:{user_id}")


def mark_read(*, workspace: Workspace, user: User, message_id: int) -> ReadMarker:
    """Marks the workspace read up to ``message_id`` (a message of this workspace). The
    marker never moves back: marking an older message read changes nothing."""
    if not selectors.can_read(workspace=workspace, user=user):
        raise NotFound("No such workspace.")
    if not Message.objects.filter(workspace=workspace, pk=message_id).exists():
        raise InvalidInput("No such message in this workspace.", field="message_id")
    with transaction.atomic():
        marker, _ = ReadMarker.objects.get_or_create(workspace=workspace, user=user)
        ReadMarker.objects.filter(pk=marker.pk, last_read_id__lt=message_id).update(
            last_read_id=message_id, updated_at=timezone.now()
        )
    marker.refresh_from_db()
    return marker
