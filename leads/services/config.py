"""Staff configuration of messaging: approved WhatsApp templates and nurture sequences.
Every change is validated and audit-logged here, whoever makes it (the admin, a
command), so "who changed the follow-up text?" always has an answer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from foodxchange.errors import Conflict, InvalidInput
from foodxchange.services import record_audit
from leads.models import MessageTemplate, NurtureSequence, NurtureStep, WhatsAppMessage

TEMPLATE_FIELDS = ("name", "language", "body", "variables", "content_sid", "is_active")
SEQUENCE_FIELDS = ("name", "is_active", "is_default", "statuses")
# Above any real position (a PositiveSmallIntegerField): where steps wait while renumbered.
PARKED_POSITION = 32_767


def _validated(instance: Any, what: str, *, exclude: Iterable[str] = (), rows_alone: bool = False) -> None:
    """``full_clean``; ``rows_alone`` skips the checks against other rows (steps are
    checked as a set, so two steps may swap positions)."""
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=not rows_alone, validate_constraints=not rows_alone)
    except DjangoValidationError as exc:
        raise InvalidInput(f"Invalid {what}.", details=exc.message_dict)


def _template_state(template: MessageTemplate) -> dict[str, Any]:
    return {name: getattr(template, name) for name in TEMPLATE_FIELDS}


def save_message_template(*, template: MessageTemplate, actor: User | None, request: Any = None) -> MessageTemplate:
    """Creates or changes a WhatsApp template: placeholders must be declared, the name
    unique. Messages already sent keep the text they were sent with (the log stores it)."""
    _validated(template, "template")
    with transaction.atomic():
        before = None
        if template.pk is not None:
            before = _template_state(MessageTemplate.objects.select_for_update().get(pk=template.pk))
        template.save()
        record_audit(
            actor=actor,
            action="leads.template.changed" if before else "leads.template.created",
            target=template,
            before=before,
            after=_template_state(template),
            request=request,
        )
    return template


def delete_message_template(*, template: MessageTemplate, actor: User | None, request: Any = None) -> None:
    """Deletes a template nothing refers to; one used by a nurture step or the message
    log is refused (deactivate it instead)."""
    with transaction.atomic():
        template = MessageTemplate.objects.select_for_update().get(pk=template.pk)
        sequences = sorted(
            NurtureStep.objects.filter(template=template).values_list("sequence__name", flat=True).distinct()
        )
        if sequences:
            raise Conflict(f"Template {template.name!r} is used by nurture sequence(s) {', '.join(sequences)}.")
        if WhatsAppMessage.objects.filter(template=template).exists():
            raise Conflict(f"Template {template.name!r} was used for sent messages: deactivate it instead.")
        before = _template_state(template)
        target_pk = template.pk
        template.delete()
        template.pk = target_pk  # the audit row names what was deleted
        record_audit(actor=actor, action="leads.template.deleted", target=template, before=before, request=request)


def _sequence_state(sequence: NurtureSequence, steps: Iterable[NurtureStep]) -> dict[str, Any]:
    return {
        **{name: getattr(sequence, name) for name in SEQUENCE_FIELDS},
        "steps": [
            {"position": s.position, "wait_days": s.wait_days, "template": s.template.name}
            for s in sorted(steps, key=lambda s: s.position)
        ],
    }


def save_nurture_sequence(
    *,
    sequence: NurtureSequence,
    steps: Iterable[NurtureStep] | None = None,
    removed: Iterable[NurtureStep] = (),
    actor: User | None,
    request: Any = None,
) -> NurtureSequence:
    """Creates or changes a nurture sequence and, when ``steps`` is given, its steps
    (``removed`` are deleted), all or nothing. Statuses must be pipeline statuses, step
    positions unique, step templates active, and one sequence at most is the default."""
    _validated(sequence, "nurture sequence")
    removed_ids = {step.pk for step in removed if step.pk is not None}
    with transaction.atomic():
        before = None
        if sequence.pk is not None:
            old = NurtureSequence.objects.select_for_update().get(pk=sequence.pk)
            before = _sequence_state(old, old.steps.select_related("template"))
        if sequence.is_default:
            other = NurtureSequence.objects.select_for_update().filter(is_default=True).exclude(pk=sequence.pk)
            if other.exists():
                raise InvalidInput(
                    f"{other.first()} is already the default sequence; make it not the default first.",
                    field="is_default",
                )
        sequence.save()
        if steps is not None:
            kept = [step for step in steps if step.pk not in removed_ids]
            _check_steps(kept)
            NurtureStep.objects.filter(sequence=sequence, pk__in=removed_ids).delete()
            try:
                with transaction.atomic():
                    # Park the positions first, so two steps may swap places.
                    moving = [step.pk for step in kept if step.pk is not None]
                    for offset, pk in enumerate(moving, start=1):
                        NurtureStep.objects.filter(pk=pk).update(position=PARKED_POSITION - offset)
                    for step in kept:
                        step.sequence = sequence
                        step.save()
            except IntegrityError:
                raise InvalidInput("Each step needs its own position.", field="steps")
        after = _sequence_state(sequence, sequence.steps.select_related("template"))
        record_audit(
            actor=actor,
            action="leads.nurture_sequence.changed" if before else "leads.nurture_sequence.created",
            target=sequence,
            before=before,
            after=after,
            request=request,
        )
    return sequence


def _check_steps(steps: list[NurtureStep]) -> None:
    positions = [step.position for step in steps]
    if len(positions) != len(set(positions)):
        raise InvalidInput("Each step needs its own position.", field="steps")
    for step in steps:
        _validated(step, "nurture step", exclude=["sequence"], rows_alone=True)
        if not step.template.is_active:
            raise InvalidInput(f"Template {step.template.name!r} is not active.", field="steps")


def delete_nurture_sequence(*, sequence: NurtureSequence, actor: User | None, request: Any = None) -> None:
    """Deletes a sequence and its steps; its leads fall back to the default sequence."""
    with transaction.atomic():
        sequence = NurtureSequence.objects.select_for_update().get(pk=sequence.pk)
        before = {
            **_sequence_state(sequence, sequence.steps.select_related("template")),
            "leads": sequence.leads.count(),
        }
        target_pk = sequence.pk
        sequence.delete()
        sequence.pk = target_pk
        record_audit(
            actor=actor, action="leads.nurture_sequence.deleted", target=sequence, before=before, request=request
        )
