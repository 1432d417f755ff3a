"""Words of the food domain: tokenising, light stemming, stop words and the synonym /
abbreviation map (``synonyms.json``, data rather than code) that turns a need's text
into concepts.

A concept is one thing a client asks for ("HACCP") with every way of writing it
("hazard analysis", "critical control point"…); an expert's text matches the concept
when any of its variants occurs there."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

SYNONYMS_FILE = Path(__file__).with_name("synonyms.json")
_TOKEN = re.compile(r"[^\W_]+")

# English function words plus the words every request contains ("we need an expert to
# help our company…"): they say nothing about which expert fits.
STOP_WORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having
    he her here hers him his how i if in into is it its itself just me more most my no nor not now of off on
    once only or other our ours out over own same she should so some such than that the their them then there
    these they this those through to too under until up upon very was we were what when where which while who
    whom why will with would you your yours us within without via per etc
    need needs needed looking look seeking seek want wants wanted require requires required requirement
    help helps helping expert experts consultant consultants consultancy consulting specialist specialists
    someone somebody person professional advisor adviser support service services company companies business
    businesses firm team our we new get got make making urgently urgent asap soon please like would experienced
    experience know knowledge knows good best great project projects work working job us based hire hiring
    plant site sites facility facilities factory product products food foods small medium large manufacturer
    """.split()  # noqa: SIM905
)


def stem(word: str) -> str:
    """A light English stemmer: enough to match plurals and verb forms of domain words
    ("audits"/"audit", "labelling"/"label") without the over-stemming of Porter's."""
    w = word.lower()
    if len(w) <= 3 or w.isdigit() or w.endswith(("is", "us", "ss")):
        return w
    for suffix, repl in (
        ("ies", "y"),
        ("sses", "ss"),
        ("elling", "el"),
        ("eling", "el"),
        ("ation", "ate"),
        ("ing", ""),
        ("ied", "y"),
        ("ed", ""),
        ("es", "e"),
        ("s", ""),
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)] + repl
            break
    return w


def tokens(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(text or "")]


def stems(text: str) -> list[str]:
    return [stem(t) for t in tokens(text)]


def content_stems(text: str) -> list[str]:
    """Stems of the words that carry meaning (stop words and one-letter tokens dropped)."""
    return [stem(t) for t in tokens(text) if t not in STOP_WORDS and len(t) > 1]


def phrase(text: str) -> tuple[str, ...]:
    return tuple(stems(text))


@dataclass(frozen=True)
class Group:
    """One concept of the synonym map."""

    key: str
    variants: tuple[tuple[str, ...], ...]  # stemmed phrases
    terms: tuple[str, ...]  # as written in the data (for retrieval and explanations)
    specializations: tuple[str, ...]


@dataclass
class Concept:
    """Something the need asks for: a synonym group, or a plain word of the need."""

    key: str
    label: str
    variants: tuple[tuple[str, ...], ...]
    specializations: tuple[str, ...] = ()
    from_map: bool = False
    terms: tuple[str, ...] = field(default_factory=tuple)
    hits: int = 1  # how many distinct terms of the group the need uses: its emphasis


@cache
def synonym_groups() -> tuple[Group, ...]:
    data = json.loads(SYNONYMS_FILE.read_text(encoding="utf-8"))
    groups = []
    for entry in data["groups"]:
        terms = tuple(entry["terms"])
        groups.append(
            Group(
                key=terms[0],
                variants=tuple(dict.fromkeys(phrase(t) for t in terms)),
                terms=terms,
                specializations=tuple(entry.get("specializations", ())),
            )
        )
    return tuple(groups)


def padded(stemmed: str) -> str:
    """Space-separated stems with a space at each end: a phrase of stems ``(a, b)``
    occurs in the list exactly when ``" a b "`` is a substring (stems hold no spaces),
    which Python checks without a loop per word."""
    words = stemmed.split()
    return f" {' '.join(words)} " if words else " "


def contains_phrase(haystack: list[str], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    if n == 0:
        return False
    if n == 1:
        return needle[0] in haystack
    first = needle[0]
    return any(haystack[i] == first and tuple(haystack[i : i + n]) == needle for i in range(len(haystack) - n + 1))


def concepts_of(text: str) -> list[Concept]:
    """The concepts of a need: every synonym group one of whose terms occurs in the
    text, then each remaining meaningful word as a concept of its own."""
    all_stems = stems(text)
    covered: set[int] = set()
    found: list[Concept] = []
    for group in synonym_groups():
        hits = 0
        mine: set[int] = set()
        for variant in sorted(group.variants, key=len, reverse=True):
            n = len(variant)
            found_here = False
            for i in range(len(all_stems) - n + 1):
                if tuple(all_stems[i : i + n]) == variant and not covered_by_longer(i, n, mine):
                    mine.update(range(i, i + n))
                    found_here = True
            hits += found_here
        covered |= mine
        if hits:
            found.append(
                Concept(
                    key=f"group:{group.key}",
                    label=group.key,
                    variants=group.variants,
                    specializations=group.specializations,
                    from_map=True,
                    terms=group.terms,
                    hits=hits,
                )
            )
    raw = tokens(text)
    seen: set[str] = set()
    for i, (word, stemmed) in enumerate(zip(raw, all_stems, strict=True)):
        if i in covered or word in STOP_WORDS or len(word) < 2 or word.isdigit() or stemmed in seen:
            continue
        seen.add(stemmed)
        found.append(Concept(key=f"word:{stemmed}", label=word, variants=((stemmed,),), terms=(word,)))
    return found


def covered_by_longer(start: int, length: int, covered: set[int]) -> bool:
    """Whether these words were all taken by a phrase of the same group already
    ("hazard analysis critical control point" is one hit, not three)."""
    return all(i in covered for i in range(start, start + length))


def specialization_emphasis(concepts: list[Concept]) -> dict[str, int]:
    """``{slug: weight}``: how strongly the need points at each specialization (the
    hits of the concepts that point there)."""
    weights: dict[str, int] = {}
    for concept in concepts:
        for slug in concept.specializations:
            weights[slug] = weights.get(slug, 0) + concept.hits
    return weights


def inferred_specializations(concepts: list[Concept]) -> list[str]:
    emphasis = specialization_emphasis(concepts)
    return sorted(emphasis, key=lambda s: -emphasis[s])
