"""The consultation state machine, as data.

Each transition names the statuses it may start from, the status it ends in (``None``:
unchanged, e.g. a reschedule), who may trigger it and the realtime event it sends.
``consultations.services`` has one function per transition and applies them through
one helper, so every change is checked against this table, audited and notified."""

from dataclasses import dataclass

from consultations.models import Consultation

S = Consultation.Status


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str | None
    actors: frozenset[str]  # client, expert, staff, system
    event: str  # realtime notification kind


def _t(name: str, sources: set[str], target: str | None, actors: set[str], event: str) -> Transition:
    return Transition(name, frozenset(sources), target, frozenset(actors), event)


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        _t("pay", {S.PENDING_PAYMENT}, S.REQUESTED, {"system"}, "consultation.requested"),
        # A payment arriving after its hold lapsed revives the booking if the slot is still free.
        _t("pay_late", {S.EXPIRED}, S.REQUESTED, {"system"}, "consultation.requested"),
        _t("expire_hold", {S.PENDING_PAYMENT}, S.EXPIRED, {"system"}, "consultation.expired"),
        _t("confirm", {S.REQUESTED}, S.CONFIRMED, {"expert"}, "consultation.confirmed"),
        _t("decline", {S.REQUESTED}, S.DECLINED, {"expert"}, "consultation.declined"),
        _t("expire_request", {S.REQUESTED}, S.EXPIRED, {"system"}, "consultation.expired"),
        _t("reschedule", {S.REQUESTED, S.CONFIRMED}, None, {"client", "expert"}, "consultation.rescheduled"),
        _t(
            "cancel",
            {S.PENDING_PAYMENT, S.REQUESTED, S.CONFIRMED},
            S.CANCELLED,
            {"client", "expert", "staff"},
            "consultation.cancelled",
        ),
        _t("complete", {S.CONFIRMED}, S.COMPLETED, {"expert"}, "consultation.completed"),
        _t("dispute", {S.COMPLETED}, S.DISPUTED, {"client"}, "consultation.disputed"),
        _t("release", {S.COMPLETED}, S.RELEASED, {"system"}, "consultation.released"),
        _t("resolve_release", {S.DISPUTED}, S.RELEASED, {"staff"}, "consultation.released"),
        _t("resolve_refund", {S.DISPUTED}, S.REFUNDED, {"staff"}, "consultation.refunded"),
        _t("resolve_partial_refund", {S.DISPUTED}, S.PARTIALLY_REFUNDED, {"staff"}, "consultation.refunded"),
    )
}

# Statuses from which nothing more happens.
FINAL_STATUSES = frozenset({S.RELEASED, S.DECLINED, S.CANCELLED, S.REFUNDED, S.PARTIALLY_REFUNDED})


def allowed_from(status: str) -> list[str]:
    """Transitions possible from ``status`` (for the admin and the docs)."""
    return [t.name for t in TRANSITIONS.values() if status in t.sources]
