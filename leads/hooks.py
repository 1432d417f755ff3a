"""Extension points for apps that build on leads.

``leads`` books no money itself: converting a lead hands the deal to the converter an
app registers in its ``AppConfig.ready()`` (``commissions`` records the deal and the
agent's commission). Without one, conversion is refused as unavailable.

- converter: ``fn(*, lead, agent, value, currency, actor, request) -> Converted``,
  called inside the conversion's transaction with the lead row locked; it raises
  ``foodxchange.errors.Conflict`` when the lead already has a deal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Converted:
    """What a converter booked: the deal and the commission (None when nothing is earned).
    Both are read by attribute (``id``, ``value``, ``currency``, ``status``…)."""

    deal: Any
    commission: Any | None


Converter = Callable[..., Converted]

_converters: list[Converter] = []


def register_converter(converter: Converter) -> Converter:
    if converter not in _converters:
        _converters.append(converter)
    return converter


def unregister_converter(converter: Converter) -> None:
    if converter in _converters:
        _converters.remove(converter)


def converter() -> Converter | None:
    """The registered converter (the last one registered wins)."""
    return _converters[-1] if _converters else None
