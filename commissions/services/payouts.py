"""Payouts: pay every approved, unpaid commission exactly once.

Three steps, none of which calls Stripe inside a transaction or under a row lock:
claim the rows into a ``Payout`` (one transaction), call Stripe with the idempotency
key stored on that payout, record the outcome (another transaction). A run killed
between the call and the record leaves the payout pending; the next run asks Stripe
for the transfer and, at worst, repeats the call with the same key, which Stripe
answers with the original transfer. Concurrent runs never call for the same payout at
once: each holds a session-level lock on the payout id (PostgreSQL advisory lock,
released by the database if the process dies) while it calls out."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from commissions import selectors
from commissions.models import Commission, Payout, PayoutRun
from commissions.payments import (
    PaymentError,
    Transfer,
    TransferBackend,
    TransientPaymentError,
    get_transfer_backend,
)
from foodxchange.money import round_money, to_minor_units
from foodxchange.services import record_audit
from realtime.services import notify

logger = logging.getLogger(__name__)

# Namespace of the advisory locks taken on payout ids ("FX" + 1).
LOCK_NAMESPACE = 0x46580001
_local_locks: set[int] = set()
_local_guard = threading.Lock()


@contextmanager
def _payout_call_lock(payout_id: int) -> Iterator[bool]:
    """Yields True when this process may call out for ``payout_id``. On PostgreSQL a
    session advisory lock (not a transaction, not a row lock) that the server drops
    with a dead connection; elsewhere a process-local set."""
    if connection.vendor == "postgresql":
        key = payout_id % 2**31
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, key])
            acquired = bool(cursor.fetchone()[0])
        try:
            yield acquired
        finally:
            if acquired:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, key])
        return
    with _local_guard:
        acquired = payout_id not in _local_locks
        if acquired:
            _local_locks.add(payout_id)
    try:
        yield acquired
    finally:
        if acquired:
            with _local_guard:
                _local_locks.discard(payout_id)


@dataclass
class PayoutRunReport:
    paid: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    retry_later: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    carried_forward: list[dict[str, Any]] = field(default_factory=list)


def _payout_summary(payout: Payout, **extra: Any) -> dict[str, Any]:
    return {
        "payout_id": payout.pk,
        "agent_id": payout.agent_id,
        "amount": payout.amount,
        "currency": payout.currency,
        "idempotency_key": payout.idempotency_key,
        "transfer_id": payout.transfer_id,
        "commission_ids": list(payout.commissions.order_by("pk").values_list("pk", flat=True)),
        **extra,
    }


def claim_payouts(
    *, actor: User | None = None, request: Any = None, report: PayoutRunReport | None = None
) -> list[int]:
    """Step 1: in one transaction, lock every approved unclaimed row (skipping rows
    another run holds) and bind them to a new Payout per agent and currency. After
    commit no other run can see those rows as payable."""
    report = report if report is not None else PayoutRunReport()
    created: list[int] = []
    with transaction.atomic():
        # of=("self",): lock ledger rows only, never the agents' user rows.
        rows = list(selectors.payable_rows().select_for_update(skip_locked=True, of=("self",)).select_related("agent"))
        groups = selectors.group_payable(rows)
        accounts = selectors.connected_accounts({agent_id for agent_id, _ in groups})
        for (agent_id, currency), group in groups.items():
            amount = round_money(sum((r.amount for r in group), Decimal("0")), currency)
            commission_ids = [r.pk for r in group]
            entry: dict[str, Any] = {
                "agent_id": agent_id,
                "agent": group[0].agent.email,
                "currency": currency,
                "amount": amount,
                "commission_ids": [r.pk for r in group],
            }
            account = accounts.get(agent_id)
            if account is None:
                report.skipped.append({**entry, "reason": "no connected payout account"})
                continue
            if amount <= 0:
                report.carried_forward.append({**entry, "reason": "clawbacks exceed earnings; carried forward"})
                continue
            payout = Payout.objects.create(
                agent_id=agent_id,
                amount=amount,
                currency=currency,
                stripe_account_id=account.stripe_account_id,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            Commission.objects.filter(pk__in=commission_ids).update(payout=payout)
            record_audit(
                actor=actor,
                action="commissions.payout.created",
                target=payout,
                after={
                    "amount": str(amount),
                    "currency": currency,
                    "commission_ids": entry["commission_ids"],
                    "idempotency_key": payout.idempotency_key,
                },
                request=request,
            )
            created.append(payout.pk)
    return created


def _start_attempt(payout_id: int) -> Payout | None:
    with transaction.atomic():
        payout = (
            Payout.objects.select_for_update(of=("self",))
            .select_related("agent")
            .filter(pk=payout_id, status=Payout.Status.PENDING)
            .first()
        )
        if payout is None:
            return None  # already settled by another run
        payout.attempts += 1
        payout.save(update_fields=["attempts"])
    return payout


def _call_provider(payout: Payout, backend: TransferBackend) -> Transfer:
    """The only step that talks to Stripe: no transaction is open here."""
    transfer = backend.find_transfer(transfer_group=payout.idempotency_key)
    if transfer is None:
        transfer = backend.create_transfer(
            amount=to_minor_units(payout.amount, payout.currency),
            currency=payout.currency,
            destination=payout.stripe_account_id,
            idempotency_key=payout.idempotency_key,
            transfer_group=payout.idempotency_key,
            description=f"FoodXchange commissions, payout {payout.reference}",
            metadata={"payout_id": str(payout.pk), "agent_id": str(payout.agent_id)},
        )
    return transfer


def _record_paid(payout_id: int, transfer: Transfer, *, actor: User | None, request: Any) -> dict[str, Any] | None:
    with transaction.atomic():
        payout = (
            Payout.objects.select_for_update(of=("self",))
            .select_related("agent")
            .filter(pk=payout_id, status=Payout.Status.PENDING)
            .first()
        )
        if payout is None:
            return None
        now = timezone.now()
        payout.status = Payout.Status.PAID
        payout.transfer_id = transfer.id
        payout.paid_at = now
        payout.last_error = ""
        payout.save(update_fields=["status", "transfer_id", "paid_at", "last_error"])
        Commission.objects.filter(payout=payout, status=Commission.Status.APPROVED).update(
            status=Commission.Status.PAID, paid_at=now
        )
        summary = _payout_summary(payout)
        record_audit(
            actor=actor,
            action="commissions.payout.paid",
            target=payout,
            before={"status": Payout.Status.PENDING},
            after={
                "status": Payout.Status.PAID,
                "transfer_id": transfer.id,
                "amount": str(payout.amount),
                "currency": payout.currency,
                "commission_ids": summary["commission_ids"],
            },
            request=request,
        )
        notify(
            user=payout.agent,
            kind="commission.paid",
            payload={
                "payout_id": payout.pk,
                "amount": str(payout.amount),
                "currency": payout.currency,
                "commission_ids": summary["commission_ids"],
            },
            idempotency_key=f"commission.paid:{payout.pk}",
        )
    return summary


def _record_failed(payout_id: int, error: str, *, actor: User | None, request: Any) -> dict[str, Any] | None:
    """Refused for good: release the rows so the next run pays them under a new payout."""
    with transaction.atomic():
        payout = Payout.objects.select_for_update(of=("self",)).filter(pk=payout_id, status="pending").first()
        if payout is None:
            return None
        commission_ids = list(payout.commissions.order_by("pk").values_list("pk", flat=True))
        payout.status = Payout.Status.FAILED
        payout.last_error = error[:2000]
        payout.save(update_fields=["status", "last_error"])
        Commission.objects.filter(payout=payout, status=Commission.Status.APPROVED).update(payout=None)
        record_audit(
            actor=actor,
            action="commissions.payout.failed",
            target=payout,
            after={"error": payout.last_error, "released_commission_ids": commission_ids},
            request=request,
        )
    return {**_payout_summary(payout, error=payout.last_error), "commission_ids": commission_ids}


def settle_payout(
    *, payout_id: int, backend: TransferBackend, actor: User | None = None, request: Any = None
) -> tuple[str, dict[str, Any] | None]:
    """Steps 2 and 3 for one claimed payout: call Stripe outside any transaction, then
    record the outcome. Answers ``paid``, ``failed``, ``retry_later`` or ``busy``
    (another run is calling for it, or it is settled already)."""
    with _payout_call_lock(payout_id) as acquired:
        if not acquired:
            return "busy", None
        payout = _start_attempt(payout_id)
        if payout is None:
            return "busy", None
        try:
            transfer = _call_provider(payout, backend)
        except TransientPaymentError as exc:
            Payout.objects.filter(pk=payout.pk).update(last_error=str(exc)[:2000])
            payout.last_error = str(exc)[:2000]
            logger.warning("payout %s: transient error, will retry with the same key: %s", payout.pk, exc)
            return "retry_later", _payout_summary(payout, error=payout.last_error)
        except PaymentError as exc:
            logger.error("payout %s refused by the provider: %s", payout.pk, exc)
            summary = _record_failed(payout.pk, str(exc), actor=actor, request=request)
            return ("failed", summary) if summary else ("busy", None)
        recorded = _record_paid(payout.pk, transfer, actor=actor, request=request)
        return ("paid", recorded) if recorded else ("busy", None)


def run_payouts(
    *,
    actor: User | None = None,
    request: Any = None,
    progress: Callable[[list[int]], Iterable[int]] | None = None,
) -> PayoutRunReport:
    """Pays every approved, unpaid commission exactly once: claims them into payouts,
    then settles every pending payout (this run's and any a crashed run left)."""
    report = PayoutRunReport()
    backend = get_transfer_backend()
    claim_payouts(actor=actor, request=request, report=report)
    for line in report.skipped:
        logger.warning(
            "payout skipped for agent %s (%s %s): %s", line["agent"], line["amount"], line["currency"], line["reason"]
        )
    pending = list(Payout.objects.filter(status=Payout.Status.PENDING).order_by("pk").values_list("pk", flat=True))
    for payout_id in progress(pending) if progress else pending:
        outcome, summary = settle_payout(payout_id=payout_id, backend=backend, actor=actor, request=request)
        if summary is None:
            continue
        if outcome == "paid":
            report.paid.append(summary)
        elif outcome == "failed":
            report.failed.append(summary)
        elif outcome == "retry_later":
            report.retry_later.append(summary)
    return report


# --- payout jobs (the API's 202) ------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def request_payout_run(*, actor: User | None, request: Any = None) -> tuple[PayoutRun, bool]:
    """Queues a payout run and answers its job; while one is queued or running, that
    same job (``created`` False). The backend is checked first, so a missing Stripe
    key is refused at once (ServiceUnavailable) and nothing is queued."""
    from commissions.payments import PaymentsNotConfigured
    from foodxchange.errors import ServiceUnavailable

    try:
        get_transfer_backend()
    except PaymentsNotConfigured as exc:
        raise ServiceUnavailable(f"Payouts are not configured: {exc}", code="payouts_not_configured")
    with transaction.atomic():
        active = (
            PayoutRun.objects.select_for_update().filter(status__in=PayoutRun.ACTIVE).order_by("created_at").first()
        )
        if active is not None:
            return active, False
        job = PayoutRun.objects.create(requested_by=actor if getattr(actor, "is_authenticated", False) else None)
        record_audit(actor=actor, action="commissions.payout.requested", target=job, request=request)
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job, True


def _enqueue(job_id: Any) -> None:
    from commissions.tasks import run_payout_job

    run_payout_job.delay(str(job_id))


def execute_payout_run(*, job_id: Any) -> PayoutRun | None:
    """Runs a queued payout job once (a re-delivered task finds it finished and stops)."""
    with transaction.atomic():
        job = PayoutRun.objects.select_for_update(of=("self",)).filter(pk=job_id).select_related("requested_by").first()
        if job is None or job.status not in PayoutRun.ACTIVE:
            return job
        job.status = PayoutRun.Status.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["status", "started_at"])
    try:
        report = run_payouts(actor=job.requested_by)
    except Exception as exc:
        PayoutRun.objects.filter(pk=job.pk).update(
            status=PayoutRun.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        logger.exception("payout job %s failed", job.pk)
        job.refresh_from_db()
        return job
    PayoutRun.objects.filter(pk=job.pk).update(
        status=PayoutRun.Status.SUCCEEDED, report=_jsonable(asdict(report)), finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def save_payout_account(*, account: Any, actor: User | None, request: Any = None) -> Any:
    """Creates or changes an agent's payout account (staff console), audit-logged.
    Only agents are paid: staff never earn, so they get no payout account."""
    from commissions.models import AgentPayoutAccount
    from foodxchange.errors import InvalidInput

    if not selectors.can_earn(account.agent):
        raise InvalidInput("Only agents have payout accounts (staff never earn commissions).", field="agent")
    with transaction.atomic():
        before = None
        if account.pk is not None:
            old = AgentPayoutAccount.objects.select_for_update().get(pk=account.pk)
            before = {"stripe_account_id": old.stripe_account_id, "is_active": old.is_active}
        account.save()
        record_audit(
            actor=actor,
            action="commissions.payout_account.saved",
            target=account,
            before=before,
            after={
                "agent": account.agent_id,
                "stripe_account_id": account.stripe_account_id,
                "is_active": account.is_active,
            },
            request=request,
        )
    return account
