"""The milestone state machine, as data.

Each transition names the statuses it may start from, the status it ends in, who may
trigger it and the realtime event it sends. ``engagements.services`` applies them
through one helper, so every change is checked against this table, audited, notified
and logged as a ``MilestoneEvent``."""

from dataclasses import dataclass

from engagements.models import Milestone

S = Milestone.Status


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    actors: frozenset[str]  # client, expert, staff, system
    event: str  # realtime notification kind


def _t(name: str, sources: set[str], target: str, actors: set[str], event: str) -> Transition:
    return Transition(name, frozenset(sources), target, frozenset(actors), event)


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        # The charge succeeded (at once, or later when the provider confirms it).
        _t("fund", {S.PENDING}, S.FUNDED, {"system"}, "engagement.milestone_funded"),
        _t("submit", {S.FUNDED}, S.SUBMITTED, {"expert"}, "engagement.milestone_submitted"),
        _t("request_changes", {S.SUBMITTED}, S.FUNDED, {"client"}, "engagement.changes_requested"),
        _t("approve", {S.SUBMITTED}, S.RELEASED, {"client"}, "engagement.milestone_released"),
        # The review window closed in silence: approved and released automatically.
        _t("auto_approve", {S.SUBMITTED}, S.RELEASED, {"system"}, "engagement.milestone_released"),
        _t("dispute", {S.SUBMITTED}, S.DISPUTED, {"client"}, "engagement.milestone_disputed"),
        _t("resolve_release", {S.DISPUTED}, S.RELEASED, {"staff"}, "engagement.milestone_released"),
        _t("resolve_refund", {S.DISPUTED}, S.REFUNDED, {"staff"}, "engagement.milestone_refunded"),
        _t(
            "resolve_partial_refund",
            {S.DISPUTED},
            S.PARTIALLY_REFUNDED,
            {"staff"},
            "engagement.milestone_refunded",
        ),
    )
}

# Statuses from which nothing more happens to a milestone.
FINAL_STATUSES = frozenset({S.RELEASED, S.REFUNDED, S.PARTIALLY_REFUNDED})
# Transitions that pay the expert (each writes the one transfer of the milestone).
RELEASING = frozenset({"approve", "auto_approve", "resolve_release", "resolve_partial_refund"})


def allowed_from(status: str) -> list[str]:
    """Transitions possible from ``status`` (for the admin and the docs)."""
    return [t.name for t in TRANSITIONS.values() if status in t.sources]
