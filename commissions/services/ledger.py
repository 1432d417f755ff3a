"""Ledger writes: deals booked from converted leads, their commissions, reversals and
approvals.

Idempotent by constraint: one commission per deal, one reversal per ledger row. Money
is rounded to its currency's minor unit by ``foodxchange.money`` when it is stored;
conversions to the base currency use the FX rate valid at the deal's close, frozen on
the deal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from commissions import selectors
from commissions.models import Commission, Deal
from commissions.services.tiers import ensure_tier_table, refresh_agent_tier
from foodxchange.errors import Conflict, InvalidInput
from foodxchange.money import base_currency, percent_of, round_money, to_base
from foodxchange.services import record_audit
from leads.hooks import Converted
from leads.models import Lead
from realtime.services import notify

EARNINGS = (Commission.Kind.COMMISSION, Commission.Kind.CORRECTION)


# --- deals -----------------------------------------------------------------------------------


def book_deal(*, lead: Lead, agent: User | None, value: Decimal, currency: str, actor: User | None = None) -> Deal:
    """Records the deal a lead closed for, its value rounded to the currency's minor unit
    and its base-currency value frozen at the FX rate valid now. One deal per lead: a
    second booking is a Conflict."""
    currency = currency.upper()
    now = timezone.now()
    conversion = to_base(Decimal(value), currency, at=now)
    try:
        with transaction.atomic():
            return Deal.objects.create(
                lead=lead,
                agent=agent,
                value=round_money(value, currency),
                currency=currency,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
                base_value=conversion.amount if conversion else None,
                base_currency=conversion.currency if conversion else base_currency(),
                fx_rate=conversion.rate if conversion else None,
                fx_rate_valid_from=conversion.rate_valid_from if conversion else None,
            )
    except IntegrityError:
        raise Conflict("This lead was already converted.")


def book_converted_lead(
    *,
    lead: Lead,
    agent: User,
    value: Decimal,
    currency: str,
    actor: User | None = None,
    request: Any = None,
) -> Converted:
    """The converter ``leads`` calls (registered in ``CommissionsConfig.ready``): the
    deal and the agent's pending commission, inside the conversion's transaction."""
    if not selectors.can_earn(agent):
        raise InvalidInput(
            "Only an agent earns commissions: assign the lead to an agent before converting it.",
            field="assigned_to",
        )
    deal = book_deal(lead=lead, agent=agent, value=value, currency=currency, actor=actor)
    return Converted(deal=deal, commission=record_commission_for_deal(deal=deal))


# --- commissions -------------------------------------------------------------------------------


def record_commission_for_deal(*, deal: Deal) -> Commission | None:
    """Creates the pending commission for a converted deal, at the rate of the tier the
    agent held when it closed (trailing volume before this deal). Idempotent: a second
    call returns the existing row and writes nothing. Deals without an agent (or whose
    "agent" is staff), or not won, earn nothing (None)."""
    if deal.agent_id is None or deal.status != Deal.Status.WON:
        return None
    existing = Commission.objects.filter(deal=deal, kind=Commission.Kind.COMMISSION).first()
    if existing is not None:
        return existing
    agent = deal.agent
    if agent is None or not selectors.can_earn(agent):
        return None
    ensure_tier_table()
    standing = selectors.tier_standing(agent=agent, as_of=deal.closed_at, exclude_deal_id=deal.pk)
    currency = deal.currency.upper()
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
                    base_amount=round_money(deal.value, currency),
                    amount=percent_of(deal.value, standing.tier.rate, currency),
                    currency=currency,
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


def _reverse(original: Commission, *, actor: User | None, note: str, now: Any) -> Commission:
    """The negative row undoing ``original`` (locked by the caller). Never paid: both
    rows become cancelled. Paid, or in a payout under way: an approved clawback."""
    settled = original.status == Commission.Status.PAID or original.payout_id is not None
    status = Commission.Status.APPROVED if settled else Commission.Status.CANCELLED
    reversal = Commission.objects.create(
        agent=original.agent,
        deal=original.deal,
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
        note=note[:255],
    )
    if not settled:
        original.status = Commission.Status.CANCELLED
        original.save(update_fields=["status"])
    return reversal


def reverse_commission_for_deal(
    *, deal: Deal, actor: User | None = None, reason: str = "", request: Any = None
) -> Commission | None:
    """Adds the negative row that undoes a deal's live earning (its commission, or the
    corrected row that replaced it). Idempotent (one reversal per row, enforced by a
    unique constraint): a second call returns the reversal already made."""
    with transaction.atomic():
        earnings = list(
            Commission.objects.select_for_update(of=("self",))
            .filter(deal=deal, kind__in=EARNINGS)
            .select_related("agent", "deal")
            .order_by("pk")
        )
        if not earnings:
            return None
        reversed_ids = set(Commission.objects.filter(reverses__in=earnings).values_list("reverses_id", flat=True))
        live = [row for row in earnings if row.pk not in reversed_ids]
        if not live:
            return Commission.objects.filter(reverses__in=earnings).order_by("-pk").first()
        original = live[-1]
        before_status = original.status
        try:
            with transaction.atomic():
                reversal = _reverse(
                    original,
                    actor=actor,
                    note=reason or f"Deal {deal.get_status_display().lower()}",
                    now=timezone.now(),
                )
        except IntegrityError:
            return Commission.objects.get(reverses=original)
        record_audit(
            actor=actor,
            action="commissions.reversed",
            target=original,
            before={"status": before_status},
            after={
                "status": original.status,
                "reversal_id": reversal.pk,
                "reversal_amount": str(reversal.amount),
                "clawback": reversal.status == Commission.Status.APPROVED,
                "reason": reversal.note,
            },
            request=request,
        )
    return reversal


def close_deal(
    *, deal: Deal, status: str, actor: User | None = None, reason: str = "", request: Any = None
) -> Commission | None:
    """Marks a won deal refunded or cancelled and reverses its commission."""
    if status not in (Deal.Status.REFUNDED, Deal.Status.CANCELLED):
        raise InvalidInput("A deal can only be closed as refunded or cancelled.", field="status")
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
        if deal.agent is not None and selectors.can_earn(deal.agent):
            refresh_agent_tier(agent=deal.agent, actor=actor, reason=f"deal {status}")
    return reversal


@dataclass
class ApprovalResult:
    approved: list[int] = field(default_factory=list)
    not_found: list[int] = field(default_factory=list)
    not_pending: list[dict[str, Any]] = field(default_factory=list)


def approve_commissions(*, ids: Iterable[int], actor: User | None, request: Any = None) -> ApprovalResult:
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
            elif row.kind not in EARNINGS or row.status != Commission.Status.PENDING:
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
