"""The clients' certificate vault: their own sites' certificates, reminders before
expiry or the next audit, and help with the recertification (an RFQ)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from compliance.models import VaultCertificate, VaultReminder, VaultStandard
from experts.uploads import UploadRejected, check_document
from foodxchange.errors import InvalidInput, NotFound, ServiceUnavailable
from foodxchange.services import record_audit
from realtime.services import notify

VAULT_FIELDS = (
    "standard",
    "site",
    "site_country",
    "certificate_number",
    "certification_body",
    "scope",
    "issued_at",
    "expires_at",
    "next_audit_at",
)
# The taxonomy slugs an RFQ for each standard asks for.
STANDARD_SPECIALIZATIONS: dict[str, list[str]] = {
    VaultStandard.BRCGS: ["food-safety-haccp", "quality-assurance"],
    VaultStandard.SQF: ["food-safety-haccp", "quality-assurance"],
    VaultStandard.FSSC_22000: ["food-safety-haccp", "quality-assurance"],
    VaultStandard.IFS: ["food-safety-haccp", "quality-assurance"],
    VaultStandard.ISO_22000: ["food-safety-haccp", "quality-assurance"],
    VaultStandard.ORGANIC: ["organic"],
    VaultStandard.HALAL: ["halal"],
    VaultStandard.KOSHER: ["kosher"],
}

RfqOpener = Callable[..., Any]
_rfq_openers: list[RfqOpener] = []


def register_rfq_opener(opener: RfqOpener) -> RfqOpener:
    """``opener(*, owner, prefill) -> rfq`` opens and matches an RFQ (the RFQ service)."""
    if opener not in _rfq_openers:
        _rfq_openers.append(opener)
    return opener


def unregister_rfq_opener(opener: RfqOpener) -> None:
    if opener in _rfq_openers:
        _rfq_openers.remove(opener)


def _check_dates(values: dict[str, Any]) -> None:
    issued, expires = values.get("issued_at"), values.get("expires_at")
    errors: dict[str, list[str]] = {}
    if issued and expires and expires <= issued:
        errors["expires_at"] = ["The expiry must be after the date of issue."]
    if values.get("standard") not in VaultStandard.values:
        errors["standard"] = [f"Unknown standard; use one of {', '.join(VaultStandard.values)}."]
    if not str(values.get("site") or "").strip():
        errors["site"] = ["Name the site this certificate covers."]
    if errors:
        raise InvalidInput("The certificate is not valid.", details=errors)


def _attach(certificate: VaultCertificate, document: UploadedFile) -> None:
    try:
        checked = check_document(document)
    except UploadRejected as error:
        raise InvalidInput(str(error), field="document")
    certificate.document.save(f"certificate.{checked.extension}", document, save=False)
    certificate.document_type = checked.content_type
    certificate.document_sha256 = checked.sha256


def create_vault_certificate(
    *, owner: Any, data: dict[str, Any], document: UploadedFile | None = None, request: Any = None
) -> VaultCertificate:
    values = {name: data.get(name) for name in VAULT_FIELDS if name in data}
    _check_dates(values)
    certificate = VaultCertificate(owner=owner, **{k: v for k, v in values.items() if v is not None})
    if document is not None:
        _attach(certificate, document)
    with transaction.atomic():
        certificate.save()
        record_audit(
            actor=owner,
            action="compliance.vault.create",
            target=certificate,
            after={
                "standard": certificate.standard,
                "site": certificate.site,
                "expires_at": str(certificate.expires_at),
            },
            request=request,
        )
    return certificate


def update_vault_certificate(
    *,
    certificate: VaultCertificate,
    data: dict[str, Any],
    document: UploadedFile | None = None,
    request: Any = None,
) -> VaultCertificate:
    current = {name: getattr(certificate, name) for name in VAULT_FIELDS}
    values = {**current, **{name: data[name] for name in VAULT_FIELDS if name in data}}
    _check_dates(values)
    with transaction.atomic():
        locked = VaultCertificate.objects.select_for_update().get(pk=certificate.pk)
        for name in VAULT_FIELDS:
            setattr(locked, name, values[name] if values[name] is not None else getattr(locked, name))
        if "next_audit_at" in data:
            locked.next_audit_at = data["next_audit_at"]
        if document is not None:
            _attach(locked, document)
        locked.save()
        record_audit(
            actor=certificate.owner,
            action="compliance.vault.update",
            target=locked,
            before={k: str(v) for k, v in current.items()},
            after={k: str(getattr(locked, k)) for k in VAULT_FIELDS},
            request=request,
        )
    return locked


def delete_vault_certificate(*, certificate: VaultCertificate, request: Any = None) -> None:
    with transaction.atomic():
        record_audit(
            actor=certificate.owner,
            action="compliance.vault.delete",
            target=certificate,
            before={"standard": certificate.standard, "site": certificate.site},
            request=request,
        )
        document = certificate.document.name if certificate.document else ""
        certificate.delete()
        if document:
            storage = certificate.document.storage
            transaction.on_commit(lambda: storage.delete(document))


# --- reminders --------------------------------------------------------------------------
def reminder_days() -> list[int]:
    return sorted({int(d) for d in settings.VAULT_REMINDER_DAYS if int(d) > 0}, reverse=True)


def _remind(certificate: VaultCertificate, kind: str, target: dt.date, today: dt.date) -> int:
    """Records each threshold that is due for ``target`` once; notifies for the most
    urgent new one only (a certificate added 20 days before expiry gets one reminder,
    not three)."""
    days_left = (target - today).days
    if days_left < 0:
        return 0
    due = [d for d in reminder_days() if days_left <= d]
    if not due:
        return 0
    recorded = set(
        VaultReminder.objects.filter(certificate=certificate, kind=kind, target_date=target).values_list(
            "days_before", flat=True
        )
    )
    new = [d for d in due if d not in recorded]
    if not new:
        return 0
    most_urgent = min(new)
    try:
        with transaction.atomic():
            created = [
                VaultReminder.objects.create(
                    certificate=certificate, kind=kind, days_before=d, target_date=target, sent=d == most_urgent
                )
                for d in new
            ]
            reminder = next(r for r in created if r.sent)
            label = "expires" if kind == VaultReminder.Kind.EXPIRY else "is due for its next audit"
            notify(
                user=certificate.owner,
                kind="vault.reminder",
                payload={
                    "title": f"{certificate.get_standard_display()} for {certificate.site} {label} in {days_left} days",
                    "message": "Book an expert to prepare the recertification in time.",
                    "certificate_id": certificate.pk,
                    "reminder": kind,
                    "days_before": most_urgent,
                    "date": target.isoformat(),
                    "request_help_url": f"/api/v1/vault/certificates/{certificate.pk}/request-help",
                },
                idempotency_key=f"vault:{certificate.pk}:{kind}:{target.isoformat()}:{most_urgent}",
            )
    except IntegrityError:
        return 0  # a concurrent run recorded it first
    return 1 if reminder else 0


def send_vault_reminders(*, today: dt.date | None = None) -> int:
    """Sends the due expiry and audit reminders; running it again sends nothing twice."""
    today = today or timezone.localdate()
    days = reminder_days()
    if not days:
        return 0
    horizon = today + dt.timedelta(days=days[0])
    sent = 0
    expiring = VaultCertificate.objects.select_related("owner").filter(expires_at__gte=today, expires_at__lte=horizon)
    for certificate in expiring:
        sent += _remind(certificate, VaultReminder.Kind.EXPIRY, certificate.expires_at, today)
    auditing = VaultCertificate.objects.select_related("owner").filter(
        next_audit_at__gte=today, next_audit_at__lte=horizon
    )
    for certificate in auditing:
        if certificate.next_audit_at is not None:
            sent += _remind(certificate, VaultReminder.Kind.AUDIT, certificate.next_audit_at, today)
    return sent


# --- help with the recertification ----------------------------------------------------------
def rfq_prefill(certificate: VaultCertificate) -> dict[str, Any]:
    """An RFQ for recertifying ``certificate``: the standard, the site, the deadline."""
    standard = certificate.get_standard_display()
    deadline = certificate.next_audit_at or certificate.expires_at
    known = [
        f"certificate {certificate.certificate_number}" if certificate.certificate_number else "",
        f"certification body {certificate.certification_body}" if certificate.certification_body else "",
    ]
    facts = ", ".join(part for part in known if part)
    description = (
        f"Help preparing the {standard} recertification audit of our site {certificate.site}"
        + (f" ({facts})" if facts else "")
        + f". The current certificate expires on {certificate.expires_at.isoformat()}."
        + (f" Scope: {certificate.scope}." if certificate.scope else "")
    )
    return {
        "title": f"{standard} recertification — {certificate.site}",
        "description": description,
        "specializations": STANDARD_SPECIALIZATIONS.get(certificate.standard, []),
        "country": certificate.site_country or None,
        "deadline": deadline,
        "standard": certificate.standard,
        "site": certificate.site,
        "vault_certificate_id": certificate.pk,
    }


def request_help(*, owner: Any, certificate_id: int) -> Any:
    """Opens an RFQ prefilled for the certificate's standard and site, matched like
    any RFQ, through the registered RFQ service."""
    certificate = VaultCertificate.objects.filter(owner=owner, pk=certificate_id).first()
    if certificate is None:
        raise NotFound("No such certificate in your vault.")
    if not _rfq_openers:
        raise ServiceUnavailable("Requests for quotes are not available yet.", code="rfq_unavailable")
    return _rfq_openers[0](owner=owner, prefill=rfq_prefill(certificate))


def open_matching_rfq(*, owner: Any, prefill: dict[str, Any]) -> dict[str, Any]:
    """The RFQ service behind request-help: the matching app's RFQs (opened, matched and
    the best experts invited like any RFQ)."""
    from matching.services.rfqs import create_rfq

    deadline = prefill.get("deadline")
    deadline_at = None
    if deadline is not None:
        # The audit or expiry day, end of day UTC; a date already past asks for help now.
        candidate = dt.datetime.combine(deadline, dt.time(23, 59), tzinfo=dt.UTC)
        deadline_at = candidate if candidate > timezone.now() else None
    intake = create_rfq(
        source="vault",
        title=prefill["title"],
        description=prefill["description"],
        client=owner,
        specializations=prefill.get("specializations") or [],
        country=prefill.get("country") or "",
        deadline=deadline_at,
        context={
            "standard": prefill.get("standard"),
            "site": prefill.get("site"),
            "vault_certificate_id": prefill.get("vault_certificate_id"),
        },
        actor=owner,
    )
    rfq = intake.rfq
    return {
        "id": rfq.pk,
        "status": rfq.status,
        "title": rfq.title,
        "deadline": rfq.deadline.isoformat() if rfq.deadline else None,
        "invited": rfq.invitations.count(),
        "url": f"/api/v1/rfqs/{rfq.pk}",
    }
