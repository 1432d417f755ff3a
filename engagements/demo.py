"""Demo engagements for ``seed_demo``, made through the real services: an RFQ of the
demo client with two quotes still open, and an awarded RFQ whose engagement with the
demo expert has one released and one submitted milestone (so the ledger, the
workspace and the compliance entries are real). Idempotent: each demo RFQ is marked
in its ``context`` and seeded once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from engagements import services
from engagements.models import Engagement, MilestonePayment
from experts.models import ExpertProfile
from matching.models import Rfq, RfqInvitation
from matching.services.rfqs import create_rfq

AWARDED = "engagements-awarded"
OPEN = "engagements-open"


def _due(days: int) -> dt.date:
    return timezone.now().date() + dt.timedelta(days=days)


def _rfq(*, client: Any, marker: str, title: str, description: str, experts: list[ExpertProfile]) -> Rfq | None:
    if Rfq.objects.filter(client=client, context__demo=marker).exists():
        return None
    rfq = create_rfq(
        source=Rfq.Source.CLIENT, client=client, title=title, description=description, context={"demo": marker}
    ).rfq
    # The demo experts are invited whatever the matching engine picked.
    for expert in experts:
        RfqInvitation.objects.get_or_create(rfq=rfq, expert=expert)
    return rfq


def _quote(rfq: Rfq, expert: ExpertProfile, steps: list[tuple[str, str, int]], message: str):
    return services.create_quote(
        rfq_id=rfq.pk,
        actor=expert.user,
        message=message,
        currency=rfq.currency,
        milestones=[services.MilestoneInput(title=t, amount=Decimal(a), due_date=_due(d)) for t, a, d in steps],
    )


def _paid(engagement: Engagement, position: int) -> Any:
    """A milestone funded as if the card payment had succeeded (no provider call)."""
    milestone = engagement.milestones.get(position=position)
    intent = f"pi_demo_{milestone.reference.hex[:20]}"
    with transaction.atomic():
        MilestonePayment.objects.create(
            milestone=milestone,
            provider="demo",
            intent_id=intent,
            amount=milestone.amount,
            currency=milestone.currency,
            idempotency_key=f"milestone-{milestone.reference}-charge-1",
        )
    services.payment_succeeded(intent_id=intent, charge_id=f"ch_demo_{milestone.reference.hex[:20]}")
    return milestone


def seed(*, stdout, **options) -> None:
    User = get_user_model()
    client = User.objects.filter(email="client@demo.foodxchange.local").first()
    expert = ExpertProfile.objects.filter(user__email="expert@demo.foodxchange.local").select_related("user").first()
    others = list(
        ExpertProfile.objects.filter(verification_status="verified", is_active=True)
        .exclude(user__email="expert@demo.foodxchange.local")
        .select_related("user")
        .order_by("id")[:2]
    )
    if client is None or expert is None or len(others) < 2:
        stdout.write("engagements: demo client, demo expert or other experts missing, nothing to seed")
        return
    made = []
    awarded = _rfq(
        client=client,
        marker=AWARDED,
        title="HACCP plan for a ready-meals line",
        description="New cook-chill line: hazard analysis, CCPs and monitoring records before the BRCGS audit.",
        experts=[expert, others[0]],
    )
    if awarded is not None:
        chosen = _quote(
            awarded,
            expert,
            [("Hazard analysis and flow diagrams", "1200.00", 10), ("HACCP plan and CCP monitoring", "1800.00", 30)],
            "Two milestones: the analysis first, then the plan your team runs.",
        )
        _quote(awarded, others[0], [("Complete HACCP plan", "3400.00", 40)], "One delivery, on site twice.")
        engagement = services.accept_quote(quote_id=chosen.pk, actor=client)
        first = _paid(engagement, 1)
        services.submit(
            engagement_id=engagement.pk,
            milestone_id=first.pk,
            actor=expert.user,
            note="Hazard analysis and the flow diagrams of the line are in the workspace.",
        )
        services.approve(engagement_id=engagement.pk, milestone_id=first.pk, actor=client)
        second = _paid(engagement, 2)
        services.submit(
            engagement_id=engagement.pk,
            milestone_id=second.pk,
            actor=expert.user,
            note="The HACCP plan with CCP 1 (cooking) and CCP 2 (blast chilling) and their records.",
        )
        made.append(f"engagement #{engagement.pk} (one milestone released, one submitted)")
    open_rfq = _rfq(
        client=client,
        marker=OPEN,
        title="Allergen label review for a new granola range",
        description="Six SKUs for the EU and UK: allergen emphasis, precautionary labelling, ingredient lists.",
        experts=others,
    )
    if open_rfq is not None:
        _quote(open_rfq, others[0], [("Review of six labels", "650.00", 14)], "Marked-up labels within two weeks.")
        _quote(
            open_rfq,
            others[1],
            [("EU labels", "400.00", 10), ("UK labels", "300.00", 20)],
            "EU first, then the UK versions.",
        )
        made.append(f"RFQ #{open_rfq.pk} with two open quotes")
    stdout.write("engagements: " + ("; ".join(made) if made else "already seeded"))
