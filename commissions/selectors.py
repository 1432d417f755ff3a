"""Reads over tiers, the ledger and payouts. No writes here."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.models import User
from commissions.models import AgentPayoutAccount, Commission, CommissionTier, Deal, Payout, PayoutRun
from foodxchange.errors import ServiceUnavailable
from foodxchange.hotcache import HotCache
from foodxchange.money import base_currency, percent_of, round_money
from leads import selectors as lead_selectors

ZERO = Decimal("0.00")
PERIODS = ("month", "quarter", "year")
# A ledger row's amount in the base currency, at the rate frozen on its deal at close.
IN_BASE = ExpressionWrapper(
    F("amount") * F("deal__fx_rate"), output_field=DecimalField(max_digits=30, decimal_places=12)
)


class NoTierConfigured(ServiceUnavailable):
    """The tier table is empty: staff must add at least one tier (503 on the API)."""

    default_message = "No commission tiers are configured; staff must add one in the admin."
    default_code = "tiers_not_configured"


def can_earn(user: User | None) -> bool:
    """Only agents own deals and earn commissions; staff never do, whatever their role."""
    return bool(user is not None and user.role == User.Role.AGENT and not user.is_staff and not user.is_superuser)


def _base(amount: Decimal) -> Decimal:
    return round_money(amount, base_currency())


# --- tiers -------------------------------------------------------------------------------


# The tier table: read by every dashboard, calculation and booked commission.
TIERS_CACHE = HotCache("tiers")


def tiers() -> list[CommissionTier]:
    """The tier table, lowest threshold first (cached; any write to it invalidates the
    cache, see ``CommissionsConfig.ready``)."""
    return TIERS_CACHE.get("all", lambda: list(CommissionTier.objects.order_by("min_volume")))


def tier_for_volume(volume: Decimal, tier_list: list[CommissionTier] | None = None) -> CommissionTier:
    """The highest tier whose threshold ``volume`` reaches (the lowest tier when it
    reaches none, so an edited table never leaves an agent without a rate)."""
    tier_list = tier_list if tier_list is not None else tiers()
    if not tier_list:
        raise NoTierConfigured()
    reached = [t for t in tier_list if t.min_volume <= volume]
    return reached[-1] if reached else tier_list[0]


def next_tier(tier: CommissionTier, tier_list: list[CommissionTier] | None = None) -> CommissionTier | None:
    tier_list = tier_list if tier_list is not None else tiers()
    higher = [t for t in tier_list if t.min_volume > tier.min_volume]
    return higher[0] if higher else None


def agent_volume(*, agent: User, as_of: datetime | None = None, exclude_deal_id: int | None = None) -> Decimal:
    """Won deal value closed in the trailing window ending at ``as_of``, in the base
    currency at each deal's rate frozen at close (never revalued). Deals closed while
    the FX table had no rate for their currency are left out."""
    as_of = as_of or timezone.now()
    since = as_of - timedelta(days=settings.COMMISSION_TIER_WINDOW_DAYS)
    deals = Deal.objects.filter(
        agent=agent, status=Deal.Status.WON, closed_at__gt=since, closed_at__lte=as_of, base_value__isnull=False
    )
    if exclude_deal_id is not None:
        deals = deals.exclude(pk=exclude_deal_id)
    total = deals.aggregate(total=Sum("base_value"))["total"]
    return _base(total or ZERO)


@dataclass(frozen=True)
class TierStanding:
    tier: CommissionTier
    volume: Decimal
    next_tier: CommissionTier | None

    @property
    def remaining(self) -> Decimal | None:
        return None if self.next_tier is None else _base(max(self.next_tier.min_volume - self.volume, ZERO))

    @property
    def progress_percent(self) -> Decimal:
        """How far from this tier's threshold to the next one (100 at the top tier)."""
        if self.next_tier is None:
            return Decimal("100.00")
        span = self.next_tier.min_volume - self.tier.min_volume
        done = max(self.volume - self.tier.min_volume, ZERO)
        if span <= 0:
            return Decimal("100.00")
        return min(done / span * 100, Decimal("100")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def tier_standing(*, agent: User, as_of: datetime | None = None, exclude_deal_id: int | None = None) -> TierStanding:
    tier_list = tiers()
    volume = agent_volume(agent=agent, as_of=as_of, exclude_deal_id=exclude_deal_id)
    tier = tier_for_volume(volume, tier_list)
    return TierStanding(tier=tier, volume=volume, next_tier=next_tier(tier, tier_list))


def calculate(*, agent: User, deal_value: Decimal, currency: str) -> dict[str, Any]:
    """What converting a deal of ``deal_value`` right now would earn. Writes nothing."""
    standing = tier_standing(agent=agent)
    currency = currency.upper()
    return {
        "agent_id": agent.pk,
        "tier": standing.tier.name,
        "rate": standing.tier.rate,
        "deal_value": round_money(deal_value, currency),
        "commission": percent_of(deal_value, standing.tier.rate, currency),
        "currency": currency,
        "volume": standing.volume,
        "base_currency": base_currency(),
    }


# --- ledger ---------------------------------------------------------------------------------


def ledger_for(user: User) -> QuerySet[Commission]:
    """Rows the caller may see: an agent their own, staff everything."""
    qs = Commission.objects.select_related("agent", "deal", "deal__lead", "payout", "reverses")
    if user.is_admin:
        return qs
    return qs.filter(agent=user)


def totals_by_state(*, agent: User) -> list[dict[str, Any]]:
    """Per currency: pending, approved (awaiting payout) and paid sums, reversals
    included, plus the signed balance still owed."""
    rows = (
        Commission.objects.filter(agent=agent)
        .exclude(status=Commission.Status.CANCELLED)
        .values("currency", "status")
        .annotate(total=Sum("amount"))
    )
    by_currency: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"pending": ZERO, "approved": ZERO, "paid": ZERO})
    for row in rows:
        by_currency[row["currency"]][row["status"]] = round_money(row["total"], row["currency"])
    return [
        {"currency": currency, **sums, "unpaid": round_money(sums["pending"] + sums["approved"], currency)}
        for currency, sums in sorted(by_currency.items())
    ]


def dashboard(*, agent: User) -> dict[str, Any]:
    standing = tier_standing(agent=agent)
    return {
        "tier": standing.tier.name,
        "rate": standing.tier.rate,
        "volume": standing.volume,
        "base_currency": base_currency(),
        "window_days": settings.COMMISSION_TIER_WINDOW_DAYS,
        "next_tier": standing.next_tier.name if standing.next_tier else None,
        "next_tier_rate": standing.next_tier.rate if standing.next_tier else None,
        "next_tier_min_volume": standing.next_tier.min_volume if standing.next_tier else None,
        "remaining_to_next_tier": standing.remaining,
        "progress_percent": standing.progress_percent,
        "totals": totals_by_state(agent=agent),
        "has_payout_account": agent.pk in connected_accounts([agent.pk]),
    }


# --- leaderboard ------------------------------------------------------------------------------


def period_start(period: str, now: datetime | None = None) -> datetime:
    now = timezone.localtime(now or timezone.now(), UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if period == "quarter":
        start = start.replace(month=(now.month - 1) // 3 * 3 + 1)
    elif period == "year":
        start = start.replace(month=1)
    elif period != "month":
        raise ValueError(f"Unknown period {period!r}")
    return start


def _display_name(user: User) -> str:
    last = f" {user.last_name[:1]}." if user.last_name else ""
    return f"{user.first_name}{last}".strip() or f"Agent #{user.pk}"


def leaderboard(*, period: str, viewer: User, limit: int = 50, now: datetime | None = None) -> dict[str, Any]:
    """Agents ranked by net earnings (commissions minus clawbacks, not cancelled) in
    the current calendar period, in the base currency. Equal earnings share a rank and
    the next rank skips ("1, 1, 3"); within a tie, agents are listed by name."""
    now = now or timezone.now()
    start = period_start(period, now)
    rows = (
        Commission.objects.filter(created_at__gte=start, created_at__lte=now, deal__fx_rate__isnull=False)
        .exclude(status=Commission.Status.CANCELLED)
        .values("agent_id")
        .annotate(total=Sum(IN_BASE), deals=Count("id", filter=Q(kind=Commission.Kind.COMMISSION)))
        .order_by()
    )
    earnings: dict[int, Decimal] = {}
    deals: dict[int, int] = {}
    for row in rows:
        earnings[row["agent_id"]] = _base(row["total"])
        deals[row["agent_id"]] = row["deals"]
    users = {u.pk: u for u in User.objects.filter(pk__in=earnings.keys())}
    ordered = sorted(earnings, key=lambda pk: (-earnings[pk], _display_name(users[pk]).lower(), pk))
    entries: list[dict[str, Any]] = []
    rank, previous = 0, None
    for position, pk in enumerate(ordered, start=1):
        if earnings[pk] != previous:
            rank, previous = position, earnings[pk]
        entries.append(
            {
                "rank": rank,
                "agent_id": pk,
                "name": _display_name(users[pk]),
                "earnings": earnings[pk],
                "deals": deals[pk],
                "is_me": pk == viewer.pk,
            }
        )
    me = next((e for e in entries if e["is_me"]), None)
    return {
        "period": period,
        "start": start,
        "currency": base_currency(),
        "results": entries[:limit],
        "me": me,
    }


# --- analytics ---------------------------------------------------------------------------------


def analytics(*, agent: User | None = None, months: int = 12, now: datetime | None = None) -> dict[str, Any]:
    """Earnings by month (base currency), lead → deal conversion and the average
    commission, for one agent or (``agent=None``) everyone."""
    now = now or timezone.now()
    first = period_start("month", now)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    ledger = Commission.objects.exclude(status=Commission.Status.CANCELLED).filter(deal__fx_rate__isnull=False)
    deals = Deal.objects.all()
    if agent is not None:
        ledger = ledger.filter(agent=agent)
        deals = deals.filter(agent=agent)
    by_month: dict[str, Decimal] = {}
    cursor = first
    while cursor <= now:
        by_month[cursor.strftime("%Y-%m")] = ZERO
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    monthly = (
        ledger.filter(created_at__gte=first, created_at__lte=now)
        .annotate(month=TruncMonth("created_at", tzinfo=UTC))
        .values("month")
        .annotate(total=Sum(IN_BASE))
        .order_by()
    )
    for row in monthly:
        key = row["month"].strftime("%Y-%m")
        if key in by_month:
            by_month[key] += _base(row["total"])
    earned = ledger.filter(kind=Commission.Kind.COMMISSION).aggregate(total=Sum(IN_BASE), n=Count("id"))
    count, total = earned["n"] or 0, earned["total"] or ZERO
    lead_count = lead_selectors.lead_count(agent=agent)
    won = deals.filter(status=Deal.Status.WON).count()
    return {
        "currency": base_currency(),
        "earnings_by_month": [{"month": k, "earnings": _base(v)} for k, v in by_month.items()],
        "leads": lead_count,
        "deals_won": won,
        "deals_reversed": deals.exclude(status=Deal.Status.WON).count(),
        "conversion_rate": (Decimal(won) / lead_count * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if lead_count
        else ZERO,
        "commissions": count,
        "average_commission": _base(total / count) if count else ZERO,
        "total_earnings": _base(sum(by_month.values(), ZERO)),
    }


# --- payouts -------------------------------------------------------------------------------------


@dataclass
class PayoutPlan:
    """What a payout run would do right now."""

    payable: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    carried_forward: list[dict[str, Any]] = field(default_factory=list)
    pending_retries: list[int] = field(default_factory=list)


def group_payable(rows: list[Commission]) -> dict[tuple[int, str], list[Commission]]:
    groups: dict[tuple[int, str], list[Commission]] = defaultdict(list)
    for row in rows:
        groups[(row.agent_id, row.currency)].append(row)
    return groups


def payable_rows() -> QuerySet[Commission]:
    """Approved rows not yet claimed by a payout (commissions and clawbacks)."""
    return Commission.objects.filter(status=Commission.Status.APPROVED, payout__isnull=True).order_by(
        "agent_id", "currency", "id"
    )


def connected_accounts(agent_ids: Iterable[int]) -> dict[int, AgentPayoutAccount]:
    return {
        a.agent_id: a
        for a in AgentPayoutAccount.objects.filter(agent_id__in=agent_ids, is_active=True)
        if a.is_connected
    }


def plan_payouts() -> PayoutPlan:
    plan = PayoutPlan()
    groups = group_payable(list(payable_rows().select_related("agent")))
    accounts = connected_accounts({agent_id for agent_id, _ in groups})
    for (agent_id, currency), rows in groups.items():
        amount = round_money(sum((r.amount for r in rows), ZERO), currency)
        entry: dict[str, Any] = {
            "agent_id": agent_id,
            "agent": rows[0].agent.email,
            "currency": currency,
            "amount": amount,
            "commission_ids": [r.pk for r in rows],
        }
        if agent_id not in accounts:
            plan.skipped.append({**entry, "reason": "no connected payout account"})
        elif amount <= 0:
            plan.carried_forward.append({**entry, "reason": "clawbacks exceed earnings; carried forward"})
        else:
            plan.payable.append(entry)
    plan.pending_retries = list(Payout.objects.filter(status=Payout.Status.PENDING).values_list("pk", flat=True))
    return plan


def payout_run(job_id: Any) -> PayoutRun | None:
    return PayoutRun.objects.filter(pk=job_id).first()


# --- ledger check ----------------------------------------------------------------------------


@dataclass
class LedgerCheck:
    """What ``verify_commission_ledger`` found: rows looked at and each problem in words."""

    rows: int = 0
    deals: int = 0
    payouts: int = 0
    problems: list[str] = field(default_factory=list)


def check_ledger() -> LedgerCheck:
    """Reads the whole ledger and reports every row that breaks a rule: one commission
    per deal, reversals that mirror their row, corrections that re-issue a reversed row
    at its currency's minor unit, money stored at the minor unit, live commissions of
    refunded/cancelled deals, commissions earned by non-agents, and payouts whose rows
    do not add up to what was transferred."""
    from foodxchange.money import minor_unit, to_minor_units

    check = LedgerCheck()
    rows = {
        row.pk: row
        for row in Commission.objects.select_related("agent", "deal").order_by("pk").iterator(chunk_size=2000)
    }
    check.rows = len(rows)
    reversal_of: dict[int, Commission] = {}
    per_deal: dict[int, list[Commission]] = defaultdict(list)
    for row in rows.values():
        per_deal[row.deal_id].append(row)
        if row.kind == Commission.Kind.REVERSAL and row.reverses_id is not None:
            reversal_of[row.reverses_id] = row
    check.deals = len(per_deal)
    problems = check.problems
    for row in rows.values():
        label = f"row #{row.pk} ({row.kind}, deal #{row.deal_id})"
        # A reversal mirrors its row, cents and all; an earning row must be rounded or reversed.
        unrounded = row.amount != round_money(row.amount, row.currency)
        if unrounded and row.kind != Commission.Kind.REVERSAL and row.pk not in reversal_of:
            problems.append(
                f"{label}: {row.amount} {row.currency} has more than {minor_unit(row.currency)} decimal(s) "
                "and was never corrected"
            )
        if row.kind == Commission.Kind.REVERSAL:
            original = rows.get(row.reverses_id or 0)
            if original is None:
                problems.append(f"{label}: reverses a row that does not exist")
            elif (row.amount, row.currency, row.deal_id, row.agent_id) != (
                -original.amount,
                original.currency,
                original.deal_id,
                original.agent_id,
            ):
                problems.append(f"{label}: does not mirror row #{original.pk} ({original.amount} {original.currency})")
        if row.kind == Commission.Kind.CORRECTION:
            corrected = rows.get(row.corrects_id or 0)
            if corrected is None or corrected.pk not in reversal_of:
                problems.append(f"{label}: re-issues row #{row.corrects_id}, which was never reversed")
            elif row.amount != round_money(corrected.amount, corrected.currency):
                problems.append(f"{label}: {row.amount} is not row #{corrected.pk} rounded to its minor unit")
        # Rows booked before minor units were rounded to cents: either rounding is right.
        expected = {
            percent_of(row.base_amount, row.rate, row.currency),
            percent_of(row.base_amount, row.rate, "USD"),
        }
        if row.kind == Commission.Kind.COMMISSION and row.amount not in expected:
            problems.append(f"{label}: {row.amount} is not {row.rate} % of {row.base_amount}")
        if (
            row.kind != Commission.Kind.REVERSAL
            and row.status != Commission.Status.CANCELLED
            and not can_earn(row.agent)
        ):
            problems.append(f"{label}: earned by {row.agent.email}, who is not an agent (staff never earn)")
        if row.status == Commission.Status.PAID and row.payout_id is None:
            problems.append(f"{label}: paid without a payout")
    for deal_id, deal_rows in per_deal.items():
        commissions = [r for r in deal_rows if r.kind == Commission.Kind.COMMISSION]
        if len(commissions) > 1:
            problems.append(f"deal #{deal_id}: {len(commissions)} commissions (one per deal)")
        live = [r for r in deal_rows if r.kind != Commission.Kind.REVERSAL and r.pk not in reversal_of]
        if len(live) > 1:
            problems.append(f"deal #{deal_id}: {len(live)} live earning rows (at most one)")
        deal = deal_rows[0].deal
        if deal.status != Deal.Status.WON and live:
            problems.append(f"deal #{deal_id} is {deal.status} but row #{live[0].pk} was never reversed")
    paid_rows: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in rows.values():
        if row.payout_id is not None and row.status == Commission.Status.PAID:
            paid_rows[row.payout_id] += row.amount
    for payout in Payout.objects.filter(status=Payout.Status.PAID).order_by("pk"):
        check.payouts += 1
        total = paid_rows.get(payout.pk, ZERO)
        if to_minor_units(total, payout.currency) != to_minor_units(payout.amount, payout.currency):
            problems.append(
                f"payout #{payout.pk}: transferred {payout.amount} {payout.currency} "
                f"but its paid rows add up to {total}"
            )
    return check


def _money_by_currency(queryset: QuerySet[Any], field: str) -> dict[str, Decimal]:
    rows = queryset.values("currency").annotate(total=Sum(field)).order_by("currency")
    return {row["currency"]: round_money(row["total"] or 0, row["currency"]) for row in rows}


def won_deal_value(*, since: datetime) -> dict[str, Decimal]:
    """Value of the deals won since ``since``, per currency."""
    return _money_by_currency(Deal.objects.filter(closed_at__gte=since, status=Deal.Status.WON), "value")


def commission_totals_by_status() -> dict[str, dict[str, Decimal]]:
    """Pending, approved and paid commission totals, per currency, keyed by status label."""
    return {
        str(status.label): _money_by_currency(Commission.objects.filter(status=status.value), "amount")
        for status in (Commission.Status.PENDING, Commission.Status.APPROVED, Commission.Status.PAID)
    }
