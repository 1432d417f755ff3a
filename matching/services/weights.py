"""Staff edit the re-rank weights: validated, stored, audited."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from django.db import transaction

from foodxchange.errors import InvalidInput
from foodxchange.services import record_audit
from matching.models import CRITERIA, MatchingWeights
from matching.selectors import WEIGHTS_CACHE, stored_weights


def validate_weights(weights: Any) -> dict[str, float]:
    if not isinstance(weights, dict) or not weights:
        raise InvalidInput("Give the weights as an object of criterion: number.", field="weights")
    errors: dict[str, list[str]] = {}
    clean: dict[str, float] = {}
    for key, value in weights.items():
        if key not in CRITERIA:
            errors[str(key)] = [f"Unknown criterion; expected one of {', '.join(CRITERIA)}."]
            continue
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
            errors[key] = ["Must be a number."]
            continue
        try:
            number = float(value)
        except ValueError:
            errors[key] = ["Must be a number."]
            continue
        if not math.isfinite(number) or number < 0 or number > 1000:
            errors[key] = ["Must be a number between 0 and 1000."]
            continue
        clean[key] = number
    if errors:
        raise InvalidInput("Invalid weights.", details={"weights": [errors]})
    return clean


def set_weights(*, actor: Any, weights: Any, request: Any = None) -> dict[str, float]:
    """Replaces the given criteria's weights (others keep theirs); at least one
    criterion must keep a positive weight. Audited; applies to the next request."""
    clean = validate_weights(weights)
    with transaction.atomic():
        row, _ = MatchingWeights.objects.select_for_update().get_or_create(pk=1)
        before = stored_weights()
        after = {**before, **clean}
        if sum(after.values()) <= 0:
            raise InvalidInput("At least one criterion needs a positive weight.", field="weights")
        row.weights = after
        row.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        row.save()
        record_audit(
            actor=actor, action="matching.weights.updated", target=row, before=before, after=after, request=request
        )
        WEIGHTS_CACHE.invalidate()
    return after
