"""Explainable lead scoring: five rules, each worth a fixed share of 100 points, each
reporting why it gave what it gave. Pure functions over a lead and a few counts, so
the nightly recompute can feed them in bulk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from foodxchange.money import FxTable, base_currency, to_base
from leads.models import Lead

COMPLETENESS_FIELDS = {
    "contact_name": 4,
    "email": 5,
    "phone": 5,
    "country": 2,
    "specialization_id": 5,
    "estimated_value": 2,
    "notes": 2,
}
# (minimum estimated value in the base currency, points). Other currencies are converted
# with the marketplace FX table (FxRate rows in force); without a rate the value is
# compared as it is, and the reason says so.
BUDGET_BANDS = [(Decimal("50000"), 25), (Decimal("10000"), 18), (Decimal("2000"), 10), (Decimal("0.01"), 5)]
# (minimum verified experts in the lead's specialization, points)
SUPPLY_BANDS = [(10, 20), (3, 14), (1, 8)]
STATUS_ENGAGEMENT = {"new": 0, "contacted": 5, "qualified": 10, "proposal": 14, "won": 20, "lost": 0}
# (maximum days since the last activity, points)
RECENCY_BANDS = [(7, 10), (30, 6), (90, 3)]

MAX_POINTS = {"completeness": 25, "budget": 25, "fit": 20, "engagement": 20, "recency": 10}


@dataclass(frozen=True)
class ScoreInputs:
    verified_experts: int  # verified, active experts in the lead's specialization
    inbound_messages: int  # WhatsApp messages received from the lead
    notes: int
    # The FX table to compare budgets with (read once per batch); None reads the current one.
    fx_table: FxTable | None = None


def _completeness(lead: Lead) -> tuple[int, str]:
    present = [name for name in COMPLETENESS_FIELDS if getattr(lead, name) not in (None, "")]
    missing = [name.removesuffix("_id") for name in COMPLETENESS_FIELDS if name not in present]
    points = sum(COMPLETENESS_FIELDS[name] for name in present)
    return points, ("all details present" if not missing else f"missing: {', '.join(missing)}")


def _budget(lead: Lead, fx_table: FxTable | None = None) -> tuple[int, str]:
    if lead.estimated_value is None:
        return 0, "no estimated value"
    described = f"estimated value {lead.estimated_value} {lead.currency}"
    conversion = to_base(lead.estimated_value, lead.currency, table=fx_table)
    value = conversion.amount if conversion is not None else lead.estimated_value
    if conversion is None:
        described += f" (no exchange rate to {base_currency()}; compared as is)"
    elif lead.currency.upper() != base_currency():
        described += f" ≈ {value} {base_currency()}"
    for minimum, points in BUDGET_BANDS:
        if value >= minimum:
            return points, f"{described} (band ≥ {minimum} {base_currency()})"
    return 0, described


def _fit(lead: Lead, verified_experts: int) -> tuple[int, str]:
    if lead.specialization_id is None:
        return 0, "no specialization needed yet"
    for minimum, points in SUPPLY_BANDS:
        if verified_experts >= minimum:
            return points, f"{verified_experts} verified expert(s) in the specialization"
    return 0, "no verified expert in the specialization yet"


def _engagement(lead: Lead, inputs: ScoreInputs) -> tuple[int, str]:
    points = STATUS_ENGAGEMENT.get(lead.status, 0)
    reasons = [f"status {lead.status}"]
    if inputs.inbound_messages:
        points += min(inputs.inbound_messages, 3) * 2
        reasons.append(f"{inputs.inbound_messages} message(s) from the lead")
    if inputs.notes:
        points += min(inputs.notes, 2)
        reasons.append(f"{inputs.notes} note(s)")
    if lead.whatsapp_opted_out_at:
        points -= 4
        reasons.append("opted out of WhatsApp")
    return max(0, min(points, MAX_POINTS["engagement"])), "; ".join(reasons)


def _recency(lead: Lead, now: datetime) -> tuple[int, str]:
    last = max(filter(None, [lead.created_at, lead.last_contacted_at, lead.last_inbound_at]), default=now)
    days = max(0, (now - last).days)
    for max_days, points in RECENCY_BANDS:
        if days <= max_days:
            return points, f"last activity {days} day(s) ago"
    return 0, f"last activity {days} day(s) ago"


def score_lead(lead: Lead, inputs: ScoreInputs, *, now: datetime) -> tuple[int, dict]:
    """Returns ``(score 0..100, breakdown)``; the breakdown lists every rule with its
    points, its maximum and the reason."""
    results = {
        "completeness": _completeness(lead),
        "budget": _budget(lead, inputs.fx_table),
        "fit": _fit(lead, inputs.verified_experts),
        "engagement": _engagement(lead, inputs),
        "recency": _recency(lead, now),
    }
    rules = [
        {"rule": name, "points": points, "max_points": MAX_POINTS[name], "reason": reason}
        for name, (points, reason) in results.items()
    ]
    total = max(0, min(100, sum(int(str(rule["points"])) for rule in rules)))
    return total, {"total": total, "rules": rules, "computed_at": now.isoformat()}
