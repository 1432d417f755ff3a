"""Writes of typed credentials: the expert adds and edits them, staff verify each one,
reminders go out before expiry and expiry itself is recorded. Events reach the
compliance ledger through ``experts.hooks`` (experts never imports compliance)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from experts import hooks
from experts.credential_models import CredentialReminder, CredentialType, ExpertCredential
from experts.models import ExpertDocument, ExpertProfile
from foodxchange.errors import Conflict, InvalidInput, NotFound
from foodxchange.services import record_audit
from realtime.services import notify

EDITABLE = ("credential_type", "issuer", "number", "scope", "valid_from", "expires_at", "document")
# A change to these sends a verified credential back to review.
REVIEWED = ("credential_type", "issuer", "number", "scope", "valid_from", "expires_at", "document")


def _emit(credential: ExpertCredential, event: str, actor: Any) -> None:
    for hook in hooks.credential_hooks():
        hook(credential=credential, event=event, actor=actor)


def _changed(expert_id: int) -> None:
    """Public profiles list credentials and matching reads them: refresh both."""
    hooks.reindex_experts([expert_id])


def _clean(profile: ExpertProfile, values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    credential_type = values.get("credential_type")
    if isinstance(credential_type, str):
        found = CredentialType.objects.filter(slug=credential_type, is_active=True).first()
        if found is None:
            errors["credential_type"] = [f"Unknown credential type {credential_type!r}."]
        values["credential_type"] = found
    elif credential_type is not None and not isinstance(credential_type, CredentialType):
        errors["credential_type"] = ["Unknown credential type."]
    if "issuer" in values and not str(values["issuer"] or "").strip():
        errors["issuer"] = ["Name the body that issued it."]
    valid_from, expires_at = values.get("valid_from"), values.get("expires_at")
    if valid_from and expires_at and expires_at <= valid_from:
        errors["expires_at"] = ["The expiry must be after the start of validity."]
    document = values.get("document")
    if isinstance(document, int):
        found_document = ExpertDocument.objects.filter(pk=document, expert=profile).first()
        if found_document is None:
            errors["document"] = ["No such document of yours."]
        values["document"] = found_document
    if errors:
        raise InvalidInput("The credential is not valid.", details=errors)
    return values


def _upload(profile: ExpertProfile, upload: Any, values: dict[str, Any], request: Any) -> ExpertDocument:
    from experts.services import upload_document

    credential_type = values["credential_type"]
    return upload_document(
        profile=profile,
        upload=upload,
        doc_type=ExpertDocument.DocType.CERTIFICATE,
        title=f"{credential_type.name} ({values.get('number') or values.get('issuer') or 'credential'})"[:200],
        expires_at=values.get("expires_at"),
        request=request,
    )


def add_credential(
    *, profile: ExpertProfile, data: dict[str, Any], upload: Any = None, request: Any = None
) -> ExpertCredential:
    values = _clean(profile, {k: data.get(k) for k in EDITABLE if k in data})
    if values.get("credential_type") is None:
        raise InvalidInput("Choose a credential type.", field="credential_type")
    with transaction.atomic():
        if upload is not None:
            values["document"] = _upload(profile, upload, values, request)
        credential = ExpertCredential.objects.create(
            expert=profile, **{k: v for k, v in values.items() if v is not None}
        )
        record_audit(
            actor=profile.user,
            action="experts.credential.add",
            target=credential,
            after={"type": credential.credential_type.slug, "expires_at": str(credential.expires_at)},
            request=request,
        )
        _changed(profile.pk)
    return credential


def update_credential(
    *, credential: ExpertCredential, data: dict[str, Any], upload: Any = None, request: Any = None
) -> ExpertCredential:
    values = _clean(credential.expert, {k: data[k] for k in EDITABLE if k in data})
    merged_from = values.get("valid_from", credential.valid_from)
    merged_to = values.get("expires_at", credential.expires_at)
    if merged_from and merged_to and merged_to <= merged_from:
        raise InvalidInput("The expiry must be after the start of validity.", field="expires_at")
    with transaction.atomic():
        locked = ExpertCredential.objects.select_for_update().get(pk=credential.pk)
        if locked.status == ExpertCredential.Status.REVOKED:
            raise Conflict("A revoked credential cannot be edited; add a new one.")
        before = {k: str(getattr(locked, k)) for k in EDITABLE}
        if upload is not None:
            type_for_title = values.get("credential_type") or locked.credential_type
            values["document"] = _upload(
                locked.expert, upload, {"credential_type": type_for_title, "number": locked.number}, request
            )
        changed = False
        for key, value in values.items():
            if key == "credential_type" and value is None:
                continue
            if getattr(locked, key) != value:
                setattr(locked, key, value)
                changed = changed or key in REVIEWED
        if changed and locked.status != ExpertCredential.Status.PENDING:
            locked.status = ExpertCredential.Status.PENDING
            locked.reviewed_at = None
            locked.expiry_recorded_at = None
        locked.save()
        record_audit(
            actor=locked.expert.user,
            action="experts.credential.update",
            target=locked,
            before=before,
            after={k: str(getattr(locked, k)) for k in EDITABLE} | {"status": locked.status},
            request=request,
        )
        _changed(locked.expert_id)
    return locked


def delete_credential(*, credential: ExpertCredential, request: Any = None) -> None:
    with transaction.atomic():
        record_audit(
            actor=credential.expert.user,
            action="experts.credential.delete",
            target=credential,
            before={"type": credential.credential_type.slug, "status": credential.status},
            request=request,
        )
        credential.delete()
        _changed(credential.expert_id)


DECISIONS = {
    "verify": ExpertCredential.Status.VERIFIED,
    "reject": ExpertCredential.Status.REJECTED,
    "revoke": ExpertCredential.Status.REVOKED,
}


def decide_credential(
    *, credential_id: int, reviewer: Any, decision: str, note: str = "", request: Any = None
) -> ExpertCredential:
    """Staff verify or reject a pending credential, or revoke a verified one."""
    if decision not in DECISIONS:
        raise InvalidInput("Decide verify, reject or revoke.", field="decision")
    note = (note or "").strip()
    if decision in ("reject", "revoke") and not note:
        raise InvalidInput("Explain the decision so the expert can act on it.", field="note")
    with transaction.atomic():
        credential = (
            ExpertCredential.objects.select_for_update()
            .select_related("expert__user", "credential_type")
            .filter(pk=credential_id)
            .first()
        )
        if credential is None:
            raise NotFound("No such credential.")
        allowed_from = {ExpertCredential.Status.VERIFIED} if decision == "revoke" else {ExpertCredential.Status.PENDING}
        if credential.status not in allowed_from:
            raise Conflict(f"This credential is {credential.status}; it cannot be {decision}d now.")
        if decision == "verify" and credential.is_expired():
            raise Conflict("This credential has already expired.")
        before = credential.status
        credential.status = DECISIONS[decision]
        credential.reviewer = reviewer
        credential.reviewed_at = timezone.now()
        credential.reviewer_note = note
        credential.save(update_fields=["status", "reviewer", "reviewed_at", "reviewer_note", "updated_at"])
        _emit(credential, {"verify": "verified", "reject": "rejected", "revoke": "revoked"}[decision], reviewer)
        record_audit(
            actor=reviewer,
            action=f"experts.credential.{decision}",
            target=credential,
            before={"status": before},
            after={"status": credential.status, "note": note},
            request=request,
        )
        _changed(credential.expert_id)
        notify(
            user=credential.expert.user,
            kind="credential.decided",
            payload={
                "title": f"Your {credential.credential_type.name} was {credential.status}",
                "credential_id": credential.pk,
                "status": credential.status,
                "note": note,
            },
            idempotency_key=f"credential:{credential.pk}:{credential.status}:{credential.reviewed_at.isoformat()}",
        )
    return credential


# --- time-based --------------------------------------------------------------------------
def reminder_days() -> list[int]:
    return sorted({int(d) for d in settings.CREDENTIAL_REMINDER_DAYS if int(d) > 0}, reverse=True)


def send_credential_reminders(*, today: date | None = None) -> int:
    """Reminds experts 90/30/7 days before a credential expires, each threshold once per
    expiry date; a credential entered late gets only the most urgent one."""
    today = today or timezone.localdate()
    days = reminder_days()
    if not days:
        return 0
    sent = 0
    horizon = today + timedelta(days=days[0])
    candidates = ExpertCredential.objects.select_related("expert__user", "credential_type").filter(
        status__in=[ExpertCredential.Status.PENDING, ExpertCredential.Status.VERIFIED],
        expires_at__gte=today,
        expires_at__lte=horizon,
    )
    for credential in candidates:
        assert credential.expires_at is not None
        days_left = (credential.expires_at - today).days
        recorded = set(
            credential.reminders.filter(expires_at=credential.expires_at).values_list("days_before", flat=True)
        )
        new = [d for d in days if days_left <= d and d not in recorded]
        if not new:
            continue
        urgent = min(new)
        try:
            with transaction.atomic():
                for d in new:
                    CredentialReminder.objects.create(
                        credential=credential, days_before=d, expires_at=credential.expires_at, sent=d == urgent
                    )
                notify(
                    user=credential.expert.user,
                    kind="credential.expiring",
                    payload={
                        "title": f"Your {credential.credential_type.name} expires in {days_left} days",
                        "message": "Upload the renewed certificate so clients keep finding you.",
                        "credential_id": credential.pk,
                        "days_before": urgent,
                        "expires_at": credential.expires_at.isoformat(),
                    },
                    idempotency_key=f"credential:{credential.pk}:expiring:{credential.expires_at}:{urgent}",
                )
        except IntegrityError:
            continue  # a concurrent run sent it
        sent += 1
    return sent


def record_expired_credentials(*, today: date | None = None) -> int:
    """Verified credentials past their expiry: recorded once (ledger via the hook)."""
    today = today or timezone.localdate()
    done = 0
    due = ExpertCredential.objects.filter(
        status=ExpertCredential.Status.VERIFIED, expires_at__lt=today, expiry_recorded_at__isnull=True
    ).values_list("pk", flat=True)
    for credential_id in list(due):
        with transaction.atomic():
            credential = (
                ExpertCredential.objects.select_for_update()
                .filter(pk=credential_id, expiry_recorded_at__isnull=True)
                .first()
            )
            if credential is None:
                continue
            credential.expiry_recorded_at = timezone.now()
            credential.save(update_fields=["expiry_recorded_at", "updated_at"])
            _emit(credential, "expired", None)
            _changed(credential.expert_id)
        done += 1
    return done
