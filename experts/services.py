"""Writes of the experts domain. Every function is one business operation in one
transaction; search columns are refreshed inside it so a profile is never found
by stale text."""

import itertools
import uuid
from datetime import date, time, timedelta
from typing import Any

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max, ProtectedError
from django.utils import timezone

from experts import hooks, selectors
from experts.models import (
    AvailabilityException,
    AvailabilityRule,
    Certification,
    ExpertDocument,
    ExpertProfile,
    ExpertService,
    ProfileView,
    VerificationRequest,
)
from experts.uploads import UploadRejected, check_document, process_photo
from foodxchange.errors import Conflict, InvalidInput
from foodxchange.services import record_audit
from realtime.services import notify

PROFILE_FIELDS = (
    "headline",
    "bio",
    "languages",
    "country",
    "city",
    "hourly_rate",
    "currency",
    "years_experience",
    "capacity",
    "is_active",
)


def get_or_create_profile(*, user: Any) -> ExpertProfile:
    profile = ExpertProfile.objects.filter(user=user).first()
    if profile is not None:
        return profile
    with transaction.atomic():
        profile, created = ExpertProfile.objects.get_or_create(user=user)
        if created:
            hooks.reindex_experts([profile.pk])
            profile.refresh_from_db()
    return profile


def _snapshot(profile: ExpertProfile, specializations: list[str] | None = None) -> dict[str, Any]:
    data = {f: getattr(profile, f) for f in PROFILE_FIELDS}
    data["hourly_rate"] = str(data["hourly_rate"])
    if specializations is None:
        specializations = sorted(profile.specializations.values_list("slug", flat=True))
    data["specializations"] = specializations
    return data


def update_profile(
    *, profile: ExpertProfile, data: dict[str, Any], actor: Any = None, request: Any = None
) -> ExpertProfile:
    """Applies validated profile fields; ``specializations`` and ``certifications``
    (when given) replace the current sets; ``timezone`` updates the expert's user."""
    with transaction.atomic():
        profile = ExpertProfile.objects.select_for_update().select_related("user").get(pk=profile.pk)
        before = _snapshot(profile)
        for name in PROFILE_FIELDS:
            if name in data:
                setattr(profile, name, data[name])
        profile.save()  # the rate is rounded to its currency's minor unit by the field
        if "specializations" in data:
            profile.specializations.set(data["specializations"])
        if "certifications" in data:
            profile.certifications.all().delete()
            Certification.objects.bulk_create(Certification(expert=profile, **c) for c in data["certifications"])
        if "timezone" in data and data["timezone"] != profile.user.timezone:
            profile.user.timezone = data["timezone"]
            profile.user.save(update_fields=["timezone"])
        hooks.reindex_experts([profile.pk])
        # The specializations are read again only when this update replaced them.
        after = _snapshot(profile, None if "specializations" in data else before["specializations"])
        changed = {k: after[k] for k in after if after[k] != before[k]}
        if changed:
            record_audit(
                actor=actor or profile.user,
                action="experts.profile.update",
                target=profile,
                before={k: before[k] for k in changed},
                after=changed,
                request=request,
            )
    # Re-read with its relations: the search columns were written by SQL meanwhile.
    return selectors.profile_with_details(profile.pk)


def set_active(*, profile: ExpertProfile, active: bool, actor: Any, request: Any = None) -> bool:
    """Staff (de)activation of an expert: an inactive expert is hidden from search and
    from strangers. Audited, re-indexed and notified; returns False when nothing changed."""
    with transaction.atomic():
        profile = ExpertProfile.objects.select_for_update().select_related("user").get(pk=profile.pk)
        if profile.is_active == active:
            return False
        profile.is_active = active
        profile.save(update_fields=["is_active", "updated_at"])
        hooks.reindex_experts([profile.pk])
        audit = record_audit(
            actor=actor,
            action="experts.profile.activate" if active else "experts.profile.deactivate",
            target=profile,
            before={"is_active": not active},
            after={"is_active": active},
            request=request,
        )
        notify(
            user=profile.user,
            kind="expert.activation",
            payload={
                "title": "Your expert profile is visible again" if active else "Your expert profile was hidden",
                "message": "Staff reactivated your profile."
                if active
                else "Staff deactivated your profile; it is hidden from search. Contact support for details.",
                "is_active": active,
            },
            idempotency_key=f"expert:{profile.pk}:activation:{audit.pk}",
        )
    return True


# --- photo ----------------------------------------------------------------------------
def set_photo(*, profile: ExpertProfile, upload: Any, request: Any = None) -> ExpertProfile:
    try:
        image = process_photo(upload)
    except UploadRejected as exc:
        raise InvalidInput(details={"photo": [str(exc)]}) from exc
    name = default_storage.save(
        f"experts/photos/{profile.pk}/{uuid.uuid4().hex}.{image.extension}", ContentFile(image.content)
    )
    try:
        with transaction.atomic():
            profile = ExpertProfile.objects.select_for_update().get(pk=profile.pk)
            old = profile.photo.name
            profile.photo.name = name
            profile.save(update_fields=["photo", "updated_at"])
            record_audit(
                actor=profile.user, action="experts.photo.set", target=profile, after={"photo": name}, request=request
            )
            if old:
                transaction.on_commit(lambda: default_storage.delete(old))
    except Exception:
        default_storage.delete(name)  # nothing half-written: no orphan file
        raise
    return profile


def remove_photo(*, profile: ExpertProfile, request: Any = None) -> None:
    with transaction.atomic():
        profile = ExpertProfile.objects.select_for_update().get(pk=profile.pk)
        old = profile.photo.name
        if not old:
            return
        profile.photo.name = ""
        profile.save(update_fields=["photo", "updated_at"])
        record_audit(actor=profile.user, action="experts.photo.remove", target=profile, before={"photo": old})
        transaction.on_commit(lambda: default_storage.delete(old))


# --- services -------------------------------------------------------------------------
def create_service(*, profile: ExpertProfile, data: dict[str, Any]) -> ExpertService:
    with transaction.atomic():
        data.setdefault("currency", profile.currency)
        service = ExpertService.objects.create(expert=profile, **data)
        hooks.reindex_experts([profile.pk])
    return service


def update_service(*, service: ExpertService, data: dict[str, Any]) -> ExpertService:
    with transaction.atomic():
        service = ExpertService.objects.select_for_update().get(pk=service.pk)
        for name, value in data.items():
            setattr(service, name, value)
        service.save()
        hooks.reindex_experts([service.expert_id])
    return service


def delete_service(*, service: ExpertService) -> None:
    try:
        with transaction.atomic():
            expert_id = service.expert_id
            service.delete()
            hooks.reindex_experts([expert_id])
    except ProtectedError as exc:
        raise Conflict("This service has bookings and cannot be deleted; set is_active to false instead.") from exc


# --- availability ---------------------------------------------------------------------
def set_availability(
    *,
    profile: ExpertProfile,
    rules: list[dict[str, Any]],
    exceptions: list[dict[str, Any]],
    timezone_name: str | None = None,
) -> None:
    """Replaces the weekly rules and the dated exceptions of ``profile``."""
    with transaction.atomic():
        profile = ExpertProfile.objects.select_for_update().select_related("user").get(pk=profile.pk)
        if timezone_name and timezone_name != profile.user.timezone:
            profile.user.timezone = timezone_name
            profile.user.save(update_fields=["timezone"])
        AvailabilityRule.objects.filter(expert=profile).delete()
        AvailabilityException.objects.filter(expert=profile).delete()
        AvailabilityRule.objects.bulk_create(AvailabilityRule(expert=profile, **r) for r in rules)
        AvailabilityException.objects.bulk_create(AvailabilityException(expert=profile, **e) for e in exceptions)


def rules_overlap(rules: list[dict[str, Any]]) -> list[str]:
    """Messages for rules of the same weekday that overlap."""
    problems = []
    by_day: dict[int, list[tuple[time, time]]] = {}
    for rule in rules:
        by_day.setdefault(rule["weekday"], []).append((rule["start"], rule["end"]))
    for weekday, windows in sorted(by_day.items()):
        windows.sort()
        for (s1, e1), (s2, _e2) in itertools.pairwise(windows):
            if s2 < e1:
                problems.append(f"Weekday {weekday}: {s1:%H:%M}-{e1:%H:%M} overlaps a window starting {s2:%H:%M}.")
    return problems


# --- documents and verification -------------------------------------------------------
def upload_document(
    *,
    profile: ExpertProfile,
    upload: Any,
    doc_type: str,
    title: str,
    expires_at: date | None = None,
    request: Any = None,
) -> ExpertDocument:
    try:
        checked = check_document(upload)
    except UploadRejected as exc:
        raise InvalidInput(details={"file": [str(exc)]}) from exc
    stored = default_storage.save(
        f"experts/documents/{profile.pk}/{doc_type}/{uuid.uuid4().hex}.{checked.extension}", upload
    )
    try:
        with transaction.atomic():
            # The profile row lock serialises version numbering per expert.
            ExpertProfile.objects.select_for_update().get(pk=profile.pk)
            latest = ExpertDocument.objects.filter(expert=profile, doc_type=doc_type).aggregate(v=Max("version"))["v"]
            document = ExpertDocument.objects.create(
                expert=profile,
                doc_type=doc_type,
                title=title,
                version=(latest or 0) + 1,
                file=stored,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                expires_at=expires_at,
            )
            record_audit(
                actor=profile.user,
                action="experts.document.upload",
                target=document,
                after={"doc_type": doc_type, "version": document.version, "sha256": checked.sha256},
                request=request,
            )
    except Exception:
        default_storage.delete(stored)  # nothing half-written: no orphan file
        raise
    return document


def request_verification(
    *, profile: ExpertProfile, documents: list[ExpertDocument], note: str = "", request: Any = None
) -> VerificationRequest:
    with transaction.atomic():
        profile = ExpertProfile.objects.select_for_update().get(pk=profile.pk)
        if profile.verification_status == ExpertProfile.Verification.VERIFIED:
            raise Conflict("Your profile is already verified.")
        if profile.verification_requests.filter(status=VerificationRequest.Status.PENDING).exists():
            raise Conflict("A verification request is already waiting for review.")
        try:
            with transaction.atomic():
                verification = VerificationRequest.objects.create(expert=profile, note=note)
        except IntegrityError as exc:
            raise Conflict("A verification request is already waiting for review.") from exc
        verification.documents.set(documents)
        before = profile.verification_status
        profile.verification_status = ExpertProfile.Verification.PENDING
        profile.save(update_fields=["verification_status", "updated_at"])
        record_audit(
            actor=profile.user,
            action="experts.verification.request",
            target=verification,
            before={"verification_status": before},
            after={"verification_status": profile.verification_status, "documents": [d.pk for d in documents]},
            request=request,
        )
    return verification


def decide_verification(
    *, verification_id: int, reviewer: Any, approve: bool, note: str = "", request: Any = None
) -> VerificationRequest:
    """Staff decision on a pending request: the expert becomes verified or rejected,
    the decision is audit-logged and the expert notified (after commit)."""
    with transaction.atomic():
        verification = (
            VerificationRequest.objects.select_for_update().select_related("expert__user").get(pk=verification_id)
        )
        if verification.status != VerificationRequest.Status.PENDING:
            raise Conflict(f"This request was already {verification.status}.")
        if not approve and not note.strip():
            raise InvalidInput(details={"note": ["Explain the rejection so the expert can fix it."]})
        profile = ExpertProfile.objects.select_for_update().get(pk=verification.expert_id)
        before = profile.verification_status
        verification.status = VerificationRequest.Status.APPROVED if approve else VerificationRequest.Status.REJECTED
        verification.reviewer = reviewer
        verification.reviewer_note = note.strip()
        verification.decided_at = timezone.now()
        verification.save()
        profile.verification_status = (
            ExpertProfile.Verification.VERIFIED if approve else ExpertProfile.Verification.REJECTED
        )
        profile.save(update_fields=["verification_status", "updated_at"])
        for hook in hooks.verification_decided_hooks():
            hook(verification=verification, profile=profile, approved=approve, reviewer=reviewer)
        record_audit(
            actor=reviewer,
            action="experts.verification.approve" if approve else "experts.verification.reject",
            target=verification,
            before={"verification_status": before},
            after={"verification_status": profile.verification_status, "note": verification.reviewer_note},
            request=request,
        )
        notify(
            user=verification.expert.user,
            kind="verification.decided",
            payload={
                "verification_id": verification.pk,
                "decision": verification.status,
                "verification_status": profile.verification_status,
                "note": verification.reviewer_note,
            },
            idempotency_key=f"verification:{verification.pk}:decided",
        )
        hooks.reindex_experts([profile.pk])  # visibility changed
    return verification


# --- profile views ----------------------------------------------------------------------
PROFILE_VIEW_DEDUP_SECONDS = 30 * 60


def record_profile_view(*, expert: ExpertProfile, viewer: Any, ident: str) -> bool:
    """Counts a view unless it is the owner or the same visitor within 30 minutes."""
    if viewer is not None and viewer.is_authenticated and viewer.id == expert.user_id:
        return False
    who = f"u{viewer.id}" if viewer is not None and viewer.is_authenticated else f"ip{ident}"
    if not cache.add(f"experts:view:{expert.pk}:{who}", 1, PROFILE_VIEW_DEDUP_SECONDS):
        return False
    ProfileView.objects.create(expert=expert, viewer=viewer if viewer is not None and viewer.is_authenticated else None)
    return True


def purge_profile_views(*, older_than_days: int) -> int:
    """Deletes profile views older than the retention period. Idempotent."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    with transaction.atomic():
        deleted, _ = ProfileView.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def reindex_specialization(*, specialization_id: int) -> int:
    """Refreshes the search data of every expert of a (renamed) specialization."""
    ids = list(
        ExpertProfile.specializations.through.objects.filter(specialization_id=specialization_id).values_list(
            "expertprofile_id", flat=True
        )
    )
    ids += list(ExpertService.objects.filter(specialization_id=specialization_id).values_list("expert_id", flat=True))
    hooks.reindex_experts(ids)
    return len(set(ids))
