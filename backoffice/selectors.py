"""The staff KPI page: marketplace-wide figures, each read through its domain's selectors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts import selectors as account_selectors
from backups import selectors as backup_selectors
from commissions import selectors as commission_selectors
from experts import selectors as expert_selectors
from foodxchange.money import round_money
from intelligence import charts
from intelligence import selectors as intelligence_selectors
from leads import selectors as lead_selectors
from leads.models import Lead
from realtime import selectors as realtime_selectors


def staff_kpis(*, user: Any) -> dict[str, Any]:
    """``user`` is the staff member looking (every figure is marketplace-wide)."""
    now = timezone.now()
    week_ago = now - timedelta(days=7)
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)

    analytics = lead_selectors.leads_analytics(user)  # the same figures agents and admins get from the API
    closed = analytics["by_status"][Lead.Status.WON] + analytics["by_status"][Lead.Status.LOST]
    leads = {
        "by_status": {status.label: analytics["by_status"][status.value] for status in Lead.Status},
        "new_this_week": lead_selectors.new_leads_count(since=week_ago),
        "win_rate": analytics["win_rate"] if closed else None,
        "pipeline_value": {
            row["currency"]: round_money(row["amount"], row["currency"]) for row in analytics["pipeline_value"]
        },
        "won_this_month": commission_selectors.won_deal_value(since=month_start),
    }
    last_backup, last_verified = backup_selectors.latest_backups()
    return {
        "generated_at": now,
        "users": account_selectors.user_counts(joined_since=week_ago),
        "experts": expert_selectors.expert_counts(),
        "leads": leads,
        "commissions": commission_selectors.commission_totals_by_status(),
        "backups": {
            "last": last_backup,
            "last_verified": last_verified,
            "hours_since_verified": (
                round((now - last_verified.created_at).total_seconds() / 3600, 1) if last_verified else None
            ),
        },
        "notifications_unread": realtime_selectors.unread_notification_count(),
    }


def marketplace_charts(*, weeks: int = 12) -> dict[str, str]:
    """The analytics as server-rendered SVG (escaped text; safe to embed): demand per
    week over the last ``weeks`` weeks, rate percentiles, and the top supply gaps over
    the same window. Reports come from the intelligence cache."""
    end = intelligence_selectors.parse_params({}).end
    window = intelligence_selectors.Params(start=end - timedelta(weeks=weeks), end=end, bucket="week")
    return {
        "demand": charts.demand_chart_svg(
            intelligence_selectors.demand(window), title=f"Demand per week (last {weeks} weeks)"
        ),
        "pricing": charts.pricing_chart_svg(intelligence_selectors.pricing(window)),
        "gaps": charts.gaps_chart_svg(intelligence_selectors.gaps(window)),
    }
