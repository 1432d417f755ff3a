"""Tier writes: the tier table's defaults and each agent's current tier."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from commissions import selectors
from commissions.models import DEFAULT_TIERS, AgentTier, CommissionTier
from foodxchange.money import base_currency, round_money
from foodxchange.services import record_audit
from realtime.services import notify

logger = logging.getLogger(__name__)


def _money(value: Any) -> str:
    return str(round_money(value, base_currency()))


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


def refresh_agent_tier(
    *, agent: User, as_of: datetime | None = None, actor: User | None = None, reason: str = "recompute"
) -> AgentTier:
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


def _notify_tier_change(*, agent: User, row: AgentTier, old: CommissionTier, standing: selectors.TierStanding) -> None:
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


def recompute_all_tiers(*, progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None) -> dict[str, int]:
    """Nightly: every agent's tier from the trailing window as of now. Only agents hold
    tiers: staff and other roles never earn, whatever deals name them."""
    agents = User.objects.filter(role=User.Role.AGENT).order_by("pk")
    counts = {"agents": 0, "changed": 0}
    iterator = progress(agents) if progress else agents
    for agent in iterator:
        before = AgentTier.objects.filter(agent=agent).values_list("version", flat=True).first()
        row = refresh_agent_tier(agent=agent, reason="nightly")
        counts["agents"] += 1
        counts["changed"] += int(before is not None and row.version != before)
    return counts


def save_tier(
    *, tier: CommissionTier, actor: User | None, request: Any = None, changes: dict[str, Any] | None = None
) -> CommissionTier:
    """Creates or edits a tier (staff console), validated and audit-logged. The rates of
    commissions already booked never change: each row keeps the rate it was booked at."""
    from django.core.exceptions import ValidationError as DjangoValidationError

    from foodxchange.errors import InvalidInput

    with transaction.atomic():
        before = None
        if tier.pk is not None:
            old = CommissionTier.objects.select_for_update().get(pk=tier.pk)
            before = {"name": old.name, "rate": str(old.rate), "min_volume": str(old.min_volume)}
        for name, value in (changes or {}).items():
            setattr(tier, name, value)
        try:
            tier.full_clean()
        except DjangoValidationError as exc:
            raise InvalidInput("Invalid tier.", details=exc.message_dict)
        tier.save()
        record_audit(
            actor=actor,
            action="commissions.tier.edited" if before else "commissions.tier.created",
            target=tier,
            before=before,
            after={"name": tier.name, "rate": str(tier.rate), "min_volume": str(tier.min_volume)},
            request=request,
        )
    return tier


def delete_tier(*, tier: CommissionTier, actor: User | None, request: Any = None) -> None:
    """Deletes a tier no agent holds (staff console), audit-logged. The last tier stays:
    without one no conversion can be booked. Booked commissions keep the tier name."""
    from foodxchange.errors import Conflict

    with transaction.atomic():
        tier = CommissionTier.objects.select_for_update().get(pk=tier.pk)
        if CommissionTier.objects.count() <= 1:
            raise Conflict("The last commission tier cannot be deleted.")
        if tier.agents.exists():
            raise Conflict(f"Agents hold the {tier.name} tier: recompute their tiers first.")
        before = {"name": tier.name, "rate": str(tier.rate), "min_volume": str(tier.min_volume)}
        target_pk = tier.pk
        tier.delete()
        tier.pk = target_pk  # the audit row names what was deleted
        record_audit(actor=actor, action="commissions.tier.deleted", target=tier, before=before, request=request)
