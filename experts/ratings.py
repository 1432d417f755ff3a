"""An expert's rating columns, written only from reviews (the consultations app computes
them and stores them here; nothing else sets them)."""

from decimal import ROUND_HALF_UP, Decimal

from experts.models import ExpertProfile
from experts.selectors import experts_changed


def store_rating(*, expert_id: int, total: int, count: int) -> None:
    """Stores the average of ``count`` ratings summing to ``total`` (0 when none)."""
    avg = (Decimal(total) / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if count else Decimal("0.00")
    ExpertProfile.objects.filter(pk=expert_id).update(rating_avg=avg, rating_count=count)
    experts_changed([expert_id])  # update() sends no signal: cached pages show ratings
