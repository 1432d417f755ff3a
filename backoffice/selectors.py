"""The numbers on the staff KPI page (/admin/kpi/): one read per domain. The back-office
sits above every domain app and reads them all; nothing imports it."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from backups.models import Backup
from commissions.models import Commission, Deal
from experts.models import ExpertProfile, VerificationRequest
from foodxchange.money import round_money
from leads.models import Lead
from leads.selectors import leads_analytics
from realtime.models import Notification


def _money_by_currency(queryset: QuerySet[Any], field: str) -> dict[str, Decimal]:
    rows = queryset.values("currency").annotate(total=Sum(field)).order_by("currency")
    return {row["currency"]: round_money(row["total"] or 0, row["currency"]) for row in rows}


def staff_kpis(*, user: Any) -> dict[str, Any]:
    """``user`` is the staff member looking (every figure is marketplace-wide)."""
    now = timezone.now()
    week_ago = now - timedelta(days=7)
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)

    users = User.objects.aggregate(
        total=Count("id"),
        new_this_week=Count("id", filter=Q(date_joined__gte=week_ago)),
        clients=Count("id", filter=Q(role=User.Role.CLIENT)),
        experts=Count("id", filter=Q(role=User.Role.EXPERT)),
        agents=Count("id", filter=Q(role=User.Role.AGENT)),
    )
    experts = ExpertProfile.objects.aggregate(
        total=Count("id"),
        verified=Count("id", filter=Q(verification_status=ExpertProfile.Verification.VERIFIED, is_active=True)),
    )
    experts["verification_queue"] = VerificationRequest.objects.filter(
        status=VerificationRequest.Status.PENDING
    ).count()

    analytics = leads_analytics(user)  # the same figures agents and admins get from the API
    closed = analytics["by_status"][Lead.Status.WON] + analytics["by_status"][Lead.Status.LOST]
    leads = {
        "by_status": {status.label: analytics["by_status"][status.value] for status in Lead.Status},
        "new_this_week": Lead.objects.alive().filter(created_at__gte=week_ago).count(),
        "win_rate": analytics["win_rate"] if closed else None,
        "pipeline_value": {
            row["currency"]: round_money(row["amount"], row["currency"]) for row in analytics["pipeline_value"]
        },
        "won_this_month": _money_by_currency(
            Deal.objects.filter(closed_at__gte=month_start, status=Deal.Status.WON), "value"
        ),
    }
    commissions = {
        status.label: _money_by_currency(Commission.objects.filter(status=status.value), "amount")
        for status in (Commission.Status.PENDING, Commission.Status.APPROVED, Commission.Status.PAID)
    }
    last_backup = Backup.objects.exclude(kind=Backup.Kind.SAFETY).order_by("-created_at").first()
    last_verified = Backup.objects.filter(status=Backup.Status.VERIFIED).order_by("-created_at").first()
    return {
        "generated_at": now,
        "users": users,
        "experts": experts,
        "leads": leads,
        "commissions": commissions,
        "backups": {
            "last": last_backup,
            "last_verified": last_verified,
            "hours_since_verified": (
                round((now - last_verified.created_at).total_seconds() / 3600, 1) if last_verified else None
            ),
        },
        "notifications_unread": Notification.objects.filter(read_at__isnull=True).count(),
    }
