"""Writes to the commission ledger: tiers, commissions, reversals, approval, payouts.

Every money-moving operation is idempotent: one commission per deal (unique
constraint), one reversal per commission (unique constraint), and each payout carries
an idempotency key stored on its row and sent to Stripe with every attempt."""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from commissions import selectors
from commissions.models import DEFAULT_TIERS, AgentTier, Commission, CommissionTier, Payout
from commissions.money import commission_amount, round_money, to_minor_units
from commissions.payments import PaymentError, TransferBackend, TransientPaymentError, get_transfer_backend
from foodxchange.services import record_audit
from leads.models import Deal
from realtime.services import notify

logger = logging.getLogger(__name__)


def _money(value: Decimal) -> str:
    return str(round_money(value))


# --- tiers ---------------------------------------------------------------------------------


def ensure_tier_table() -> None:
    """Conversions must always find a rate: if the tier table is empty (everything
    deleted by hand, or a flushed database), restore the default tiers and say so."""
    if CommissionTier.objects.exists():
        return
    with transaction.atomic():
        for name, rate, min_volume in DEFAULT_TIERS:
            tier, created = CommissionTier.objects.get_or_create(
                name=name, defaults={"rate": rate, "min_volume": min_volume}
            )
            if created:
                record_audit(
                    action="commissions.tier.restored",
                    target=tier,
                    after={"name": name, "rate": str(rate), "min_volume": str(min_volume)},
                )
    logger.warning("commission tier table was empty; default tiers restored")


def refresh_agent_tier(*, agent, as_of: datetime | None = None, actor=None, reason: str = "recompute") -> AgentTier:
    """Stores the agent's current tier; a change is audit-logged and notified. The
    volume is read under the row lock, so racing refreshes serialise and the last one
    stores the newest figure."""
    ensure_tier_table()
    now = timezone.now()
    with transaction.atomic():
        row = AgentTier.objects.select_for_update(of=("self",)).select_related("tier").filter(agent=agent).first()
        standing = selectors.tier_standing(agent=agent, as_of=as_of or now)
        if row is None:
            try:
                with transaction.atomic():
                    row = AgentTier.objects.create(
                        agent=agent, tier=standing.tier, volume=standing.volume, computed_at=now, changed_at=now
                    )
            except IntegrityError:  # a concurrent first computation won the insert
                row = AgentTier.objects.select_for_update(of=("self",)).select_related("tier").get(agent=agent)
            else:
                record_audit(
                    actor=actor,
                    action="commissions.tier.assigned",
                    target=row,
                    after={"tier": standing.tier.name, "volume": _money(standing.volume), "reason": reason},
                )
                # Every agent starts in the entry tier; starting higher is news.
                entry = selectors.tiers()[0]
                if standing.tier.pk != entry.pk:
                    _notify_tier_change(agent=agent, row=row, old=entry, standing=standing)
                return row
        old_tier = row.tier
        row.volume = standing.volume
        row.computed_at = now
        fields = ["volume", "computed_at"]
        if old_tier.pk != standing.tier.pk:
            row.tier = standing.tier
            row.changed_at = now
            row.version += 1
            fields += ["tier", "changed_at", "version"]
            record_audit(
                actor=actor,
                action="commissions.tier.changed",
                target=row,
                before={"tier": old_tier.name, "rate": str(old_tier.rate)},
                after={
                    "tier": standing.tier.name,
                    "rate": str(standing.tier.rate),
                    "volume": _money(standing.volume),
                    "reason": reason,
                },
            )
            _notify_tier_change(agent=agent, row=row, old=old_tier, standing=standing)
        row.save(update_fields=fields)
    return row


def _notify_tier_change(*, agent, row: AgentTier, old: CommissionTier, standing: selectors.TierStanding) -> None:
    notify(
        user=agent,
        kind="tier.changed",
        payload={
            "from": old.name,
            "to": standing.tier.name,
            "rate": str(standing.tier.rate),
            "direction": "up" if standing.tier.min_volume > old.min_volume else "down",
        },
        # One notification per version of the agent's tier row, however often retried.
        idempotency_key=f"tier.changed:{agent.pk}:{row.version}",
    )


def recompute_all_tiers(*, progress: Callable[[Iterable], Iterable] | None = None) -> dict[str, int]:
    """Nightly: every agent's tier from the trailing window as of now."""
    agents = get_user_model().objects.filter(Q(role="agent") | Q(deals__isnull=False)).distinct().order_by("pk")
    counts = {"agents": 0, "changed": 0}
    iterator = progress(agents) if progress else agents
    for agent in iterator:
        before = AgentTier.objects.filter(agent=agent).values_list("version", flat=True).first()
        row = refresh_agent_tier(agent=agent, reason="nightly")
        counts["agents"] += 1
        counts["changed"] += int(before is not None and row.version != before)
    return counts


# --- commissions -----------------------------------------------------------------------------


def record_commission_for_deal(*, deal: Deal) -> Commission | None:
    """Creates the pending commission for a converted deal, at the rate of the tier the
    agent held when it closed (trailing volume before this deal). Idempotent: a second
    call returns the existing row and writes nothing. Deals without an agent, or not
    won, earn nothing (None)."""
    if deal.agent_id is None or deal.status != Deal.Status.WON:
        return None
    existing = Commission.objects.filter(deal=deal, kind=Commission.Kind.COMMISSION).first()
    if existing is not None:
        return existing
    agent = deal.agent
    ensure_tier_table()
    standing = selectors.tier_standing(agent=agent, as_of=deal.closed_at, exclude_deal_id=deal.pk)
    with transaction.atomic():
        try:
            with transaction.atomic():  # a concurrent duplicate only undoes this savepoint
                commission = Commission.objects.create(
                    agent=agent,
                    deal=deal,
                    kind=Commission.Kind.COMMISSION,
                    tier=standing.tier,
                    tier_name=standing.tier.name,
                    rate=standing.tier.rate,
                    base_amount=round_money(deal.value),
                    amount=commission_amount(deal.value, standing.tier.rate),
                    currency=deal.currency.upper(),
                )
        except IntegrityError:
            return Commission.objects.get(deal=deal, kind=Commission.Kind.COMMISSION)
        record_audit(
            actor=deal.created_by,
            action="commissions.earned",
            target=commission,
            after={
                "deal": deal.pk,
                "agent": agent.pk,
                "tier": commission.tier_name,
                "rate": str(commission.rate),
                "amount": str(commission.amount),
                "currency": commission.currency,
            },
        )
        notify(
            user=agent,
            kind="commission.earned",
            payload={
                "commission_id": commission.pk,
                "deal_id": deal.pk,
                "amount": str(commission.amount),
                "currency": commission.currency,
                "rate": str(commission.rate),
                "tier": commission.tier_name,
            },
            idempotency_key=f"commission.earned:{commission.pk}",
        )
        refresh_agent_tier(agent=agent, actor=deal.created_by, reason="conversion")
    return commission


def reverse_commission_for_deal(*, deal: Deal, actor=None, reason: str = "", request=None) -> Commission | None:
    """Adds the negative row that undoes a deal's commission. Idempotent (one
    reversal per commission, enforced by a unique constraint).

    Never paid (pending/approved, not in a payout): both rows become cancelled, the
    ledger nets to zero and nothing is ever paid. Already paid, or in a payout under
    way: the reversal is an approved clawback that the agent's next payout nets."""
    with transaction.atomic():
        original = (
            Commission.objects.select_for_update(of=("self",))
            .filter(deal=deal, kind=Commission.Kind.COMMISSION)
            .select_related("agent")
            .first()
        )
        if original is None:
            return None
        existing = Commission.objects.filter(reverses=original).first()
        if existing is not None:
            return existing
        settled = original.status == Commission.Status.PAID or original.payout_id is not None
        status = Commission.Status.APPROVED if settled else Commission.Status.CANCELLED
        now = timezone.now()
        try:
            with transaction.atomic():
                reversal = Commission.objects.create(
                    agent=original.agent,
                    deal=deal,
                    kind=Commission.Kind.REVERSAL,
                    reverses=original,
                    tier=original.tier,
                    tier_name=original.tier_name,
                    rate=original.rate,
                    base_amount=original.base_amount,
                    amount=-original.amount,
                    currency=original.currency,
                    status=status,
                    approved_at=now if settled else None,
                    approved_by=actor if settled and getattr(actor, "is_authenticated", False) else None,
                    note=(reason or f"Deal {deal.get_status_display().lower()}")[:255],
                )
        except IntegrityError:
            return Commission.objects.get(reverses=original)
        before_status = original.status
        if not settled:
            original.status = Commission.Status.CANCELLED
            original.save(update_fields=["status"])
        record_audit(
            actor=actor,
            action="commissions.reversed",
            target=original,
            before={"status": before_status},
            after={
                "status": original.status,
                "reversal_id": reversal.pk,
                "reversal_amount": str(reversal.amount),
                "clawback": settled,
                "reason": reversal.note,
            },
            request=request,
        )
    return reversal


def close_deal(*, deal: Deal, status: str, actor=None, reason: str = "", request=None) -> Commission | None:
    """Marks a won deal refunded or cancelled and reverses its commission."""
    if status not in (Deal.Status.REFUNDED, Deal.Status.CANCELLED):
        raise ValueError("A deal can only be closed as refunded or cancelled.")
    with transaction.atomic():
        deal = Deal.objects.select_for_update().get(pk=deal.pk)
        if deal.status == Deal.Status.WON:
            before = deal.status
            deal.status = status
            deal.save(update_fields=["status"])
            record_audit(
                actor=actor,
                action=f"deals.{status}",
                target=deal,
                before={"status": before},
                after={"status": status, "reason": reason},
                request=request,
            )
        reversal = reverse_commission_for_deal(deal=deal, actor=actor, reason=reason, request=request)
        if deal.agent_id:
            refresh_agent_tier(agent=deal.agent, actor=actor, reason=f"deal {status}")
    return reversal


@dataclass
class ApprovalResult:
    approved: list[int] = field(default_factory=list)
    not_found: list[int] = field(default_factory=list)
    not_pending: list[dict] = field(default_factory=list)


def approve_commissions(*, ids: Iterable[int], actor, request=None) -> ApprovalResult:
    """Approves the listed pending commissions; others are reported, not touched."""
    wanted = sorted(set(ids))
    result = ApprovalResult()
    now = timezone.now()
    with transaction.atomic():
        rows = {c.pk: c for c in Commission.objects.select_for_update().filter(pk__in=wanted).order_by("pk")}
        for pk in wanted:
            row = rows.get(pk)
            if row is None:
                result.not_found.append(pk)
            elif row.kind != Commission.Kind.COMMISSION or row.status != Commission.Status.PENDING:
                result.not_pending.append({"id": pk, "status": row.status, "kind": row.kind})
            else:
                row.status = Commission.Status.APPROVED
                row.approved_at = now
                row.approved_by = actor
                row.save(update_fields=["status", "approved_at", "approved_by"])
                record_audit(
                    actor=actor,
                    action="commissions.approved",
                    target=row,
                    before={"status": Commission.Status.PENDING},
                    after={"status": Commission.Status.APPROVED, "amount": str(row.amount), "currency": row.currency},
                    request=request,
                )
                result.approved.append(pk)
    return result


# --- payouts --------------------------------------------------------------------------------


@dataclass
class PayoutRunReport:
    paid: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    retry_later: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    carried_forward: list[dict] = field(default_factory=list)


def _payout_summary(payout: Payout, **extra) -> dict:
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


def claim_payouts(*, actor=None, request=None, report: PayoutRunReport | None = None) -> list[int]:
    """Phase 1: in one transaction, lock every approved unclaimed row (skipping rows
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
            amount = round_money(sum((r.amount for r in group), Decimal("0")))
            entry = {
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
            Commission.objects.filter(pk__in=entry["commission_ids"]).update(payout=payout)
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


def settle_payout(*, payout_id: int, backend: TransferBackend, actor=None, request=None) -> tuple[str, dict | None]:
    """Phase 2: transfer one claimed payout. The payout row stays locked while Stripe
    is called, so a concurrent run skips it; if this worker dies mid-call, the row is
    still pending and the next run repeats the call with the same idempotency key
    (after first asking Stripe whether the transfer already exists)."""
    with transaction.atomic():
        payout = (
            Payout.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("agent")
            .filter(pk=payout_id, status=Payout.Status.PENDING)
            .first()
        )
        if payout is None:
            return "busy", None  # another run holds it, or it is already settled
        payout.attempts += 1
        try:
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
        except TransientPaymentError as exc:
            payout.last_error = str(exc)[:2000]
            payout.save(update_fields=["attempts", "last_error"])
            logger.warning("payout %s: transient error, will retry with the same key: %s", payout.pk, exc)
            return "retry_later", _payout_summary(payout, error=payout.last_error)
        except PaymentError as exc:
            # Refused for good: release the rows so the next run pays them under a new payout.
            commission_ids = list(payout.commissions.values_list("pk", flat=True))
            payout.status = Payout.Status.FAILED
            payout.last_error = str(exc)[:2000]
            payout.save(update_fields=["status", "attempts", "last_error"])
            Commission.objects.filter(payout=payout, status=Commission.Status.APPROVED).update(payout=None)
            record_audit(
                actor=actor,
                action="commissions.payout.failed",
                target=payout,
                after={"error": payout.last_error, "released_commission_ids": commission_ids},
                request=request,
            )
            logger.error("payout %s refused by the provider: %s", payout.pk, exc)
            return "failed", {**_payout_summary(payout, error=payout.last_error), "commission_ids": commission_ids}
        now = timezone.now()
        payout.status = Payout.Status.PAID
        payout.transfer_id = transfer.id
        payout.paid_at = now
        payout.last_error = ""
        payout.save(update_fields=["status", "transfer_id", "paid_at", "attempts", "last_error"])
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
    return "paid", summary


def run_payouts(*, actor=None, request=None, progress: Callable[[Iterable], Iterable] | None = None) -> PayoutRunReport:
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
        if outcome == "paid":
            report.paid.append(summary)
        elif outcome == "failed":
            report.failed.append(summary)
        elif outcome == "retry_later":
            report.retry_later.append(summary)
    return report
