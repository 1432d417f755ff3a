"""Finding the passages a question can be answered from.

Candidate articles come from the database (PostgreSQL: full-text search with
``ts_rank_cd`` over title, reference, tags and body; SQLite: any keyword occurring in
those columns). Each candidate is then cut into paragraphs, and every paragraph is
scored by the share of the question's keywords it covers (with its article's title
and tags as context), rarer keywords counting more. A question is supported only when
some paragraph covers enough of it: retrieval decides whether there is an answer at
all, before any text is composed."""

import math
import re
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, Q, QuerySet, TextField, Value
from django.db.models.functions import Cast

from assistant.models import Article

CANDIDATES = 12
MIN_COVERAGE = 0.5
MAX_KEYWORDS = 16
_WORD = re.compile(r"\w+", re.UNICODE)

# Words that carry no subject: question words, auxiliaries, fillers (en, es, fr, de).
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "done",
        "down",
        "during",
        "each",
        "else",
        "ever",
        "every",
        "few",
        "for",
        "from",
        "further",
        "get",
        "gets",
        "got",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "know",
        "let",
        "like",
        "make",
        "many",
        "me",
        "might",
        "more",
        "most",
        "much",
        "must",
        "my",
        "need",
        "needs",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "own",
        "please",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "tell",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "us",
        "use",
        "used",
        "very",
        "want",
        "was",
        "we",
        "well",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "explain",
        "give",
        "list",
        "show",
        "describe",
        "mean",
        "means",
        "anyone",
        "someone",
        "something",
        "thing",
        "things",
        "way",
        "ways",
        "kind",
        "question",
        "answer",
        "help",
        "really",
        "el",
        "la",
        "los",
        "las",
        "un",
        "una",
        "unos",
        "unas",
        "de",
        "del",
        "al",
        "y",
        "o",
        "que",
        "qué",
        "cual",
        "cuál",
        "cuales",
        "cuáles",
        "cómo",
        "como",
        "es",
        "son",
        "en",
        "por",
        "para",
        "con",
        "se",
        "su",
        "sus",
        "lo",
        "le",
        "les",
        "mi",
        "me",
        "te",
        "cuando",
        "donde",
        "dónde",
        "hay",
        "debe",
        "deben",
        "puedo",
        "pueden",
        "sobre",
        "entre",
        "le",
        "la",
        "les",
        "un",
        "une",
        "des",
        "du",
        "de",
        "et",
        "ou",
        "que",
        "quel",
        "quelle",
        "quels",
        "quelles",
        "comment",
        "est",
        "sont",
        "en",
        "pour",
        "avec",
        "se",
        "sa",
        "son",
        "ses",
        "ce",
        "cette",
        "ces",
        "il",
        "elle",
        "ils",
        "elles",
        "je",
        "nous",
        "vous",
        "dans",
        "sur",
        "qui",
        "quoi",
        "dois",
        "doit",
        "peut",
        "peuvent",
        "faut",
        "der",
        "die",
        "das",
        "den",
        "dem",
        "des",
        "ein",
        "eine",
        "einer",
        "eines",
        "und",
        "oder",
        "was",
        "wie",
        "ist",
        "sind",
        "im",
        "in",
        "mit",
        "für",
        "von",
        "zu",
        "auf",
        "bei",
        "ich",
        "wir",
        "sie",
        "es",
        "welche",
        "welcher",
        "welches",
        "wann",
        "wo",
        "muss",
        "müssen",
        "kann",
        "können",
        "gibt",
    ]
)


# Two-letter words that are subjects when written in capitals ("in the US").
JURISDICTIONS = frozenset({"US", "EU", "UK"})


def stem(word: str) -> str:
    """A deliberately light suffix strip, applied the same way to questions and text,
    so "allergens", "cooling" and "cooled" meet "allergen" and "cool"."""
    if word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("ing") and len(word) > 5:
        return word[:-3]
    if word.endswith("ed") and len(word) > 4:
        return word[:-2]
    if word.endswith("es") and len(word) > 4 and (word[-3] in "sxz" or word[-4:-2] in ("ch", "sh")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us")) and len(word) > 3:
        return word[:-1]
    return word


def keywords(text: str) -> list[str]:
    """Subject words of ``text``, in order, without repeats."""
    seen: dict[str, None] = {}
    for raw in _WORD.findall(text):
        token = raw.lower()
        if raw in JURISDICTIONS:
            seen.setdefault(token, None)
            continue
        if token in STOPWORDS or (len(token) < 3 and not token.isdigit()) or token.replace("_", "") == "":
            continue
        seen.setdefault(token, None)
    return list(seen)[:MAX_KEYWORDS]


def stems(text: str) -> set[str]:
    return {stem(t) for t in _WORD.findall(text.lower())}


@dataclass
class Passage:
    article: Article
    text: str
    score: float  # share of the question's keyword weight covered, 0..1
    in_passage: int  # keywords found in the paragraph itself
    in_title: int = 0  # keywords found in the article's title
    position: int = 0


@dataclass
class Retrieval:
    keywords: list[str]
    passages: list[Passage] = field(default_factory=list)

    @property
    def supported(self) -> bool:
        return bool(self.passages)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _tags_text() -> Cast:
    return Cast("tags", output_field=TextField())


def candidate_articles(words: list[str], *, languages: list[str] | None = None, limit: int = CANDIDATES) -> QuerySet:
    qs = Article.objects.filter(is_published=True)
    if languages:
        qs = qs.filter(language__in=languages)
    if not words:
        return qs.none()
    if is_postgres():
        vector = (
            SearchVector("title", weight="A", config="english")
            + SearchVector("reference", weight="A", config="english")
            + SearchVector(_tags_text(), weight="B", config="english")
            + SearchVector("body", weight="C", config="english")
        )
        # Words are \w+ tokens, so quoting keeps the raw query well-formed; any word may
        # match (ranking and the coverage check below sort out the rest).
        raw = " | ".join(f"'{w}':*" if len(w) > 3 else f"'{w}'" for w in words)
        query = SearchQuery(raw, search_type="raw", config="english")
        return (
            qs.annotate(document=vector)
            .filter(document=query)
            .annotate(rank=SearchRank(F("document"), query, cover_density=True, normalization=Value(32)))
            .order_by("-rank", "id")[:limit]
        )
    match = Q()
    for word in words:
        match |= Q(title__icontains=word) | Q(body__icontains=word) | Q(reference__icontains=word)
        match |= Q(tags__icontains=word)
    return qs.filter(match).order_by("id")[: limit * 4]


def _paragraphs(body: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]


def retrieve(
    question: str,
    *,
    languages: list[str] | None = None,
    limit: int = 5,
    min_coverage: float = MIN_COVERAGE,
) -> Retrieval:
    words = keywords(question)
    result = Retrieval(keywords=words)
    if not words:
        return result
    articles = list(candidate_articles(words, languages=languages))
    if not articles:
        return result
    wanted = {stem(w) for w in words}
    # Rarer keywords weigh more (document frequency over the candidates).
    article_stems = {a.pk: stems(f"{a.title} {a.reference} {' '.join(a.tags)} {a.body}") for a in articles}
    # A keyword no candidate contains stays neutral: it neither helps nor dominates.
    frequency = {s: sum(s in st for st in article_stems.values()) for s in wanted}
    weight = {s: 1.0 + math.log((1 + len(articles)) / (1 + frequency[s])) if frequency[s] else 1.0 for s in wanted}
    total = sum(weight.values())
    scored: list[Passage] = []
    for article in articles:
        context = stems(f"{article.title} {' '.join(article.tags)} {article.jurisdiction}")
        for position, text in enumerate(_paragraphs(article.body)):
            own = stems(text) & wanted
            # A paragraph must contain a keyword itself, except an article's lead
            # paragraph when the title names the subject.
            if not own and not (position == 0 and context & wanted):
                continue
            covered = own | (context & wanted)
            score = sum(weight[s] for s in covered) / total
            scored.append(
                Passage(
                    article=article,
                    text=text,
                    score=score,
                    in_passage=len(own),
                    in_title=len(stems(article.title) & wanted),
                    position=position,
                )
            )
    scored.sort(key=lambda p: (-p.score, -p.in_title, -p.in_passage, p.article.pk, p.position))
    best = [p for p in scored if p.score >= min_coverage]
    if not best:
        return result
    # The best passages, close to the top score, at most four per article; an
    # article's passages are then read in their own order.
    top = best[0].score
    chosen: list[Passage] = []
    per_article: dict[int, int] = {}
    for passage in best:
        if passage.score < top * 0.75 or len(chosen) >= limit:
            break
        if per_article.get(passage.article.pk, 0) >= 4:
            continue
        per_article[passage.article.pk] = per_article.get(passage.article.pk, 0) + 1
        chosen.append(passage)
    first_seen = {pk: i for i, pk in enumerate(dict.fromkeys(p.article.pk for p in chosen))}
    result.passages = sorted(chosen, key=lambda p: (first_seen[p.article.pk], p.position))
    return result


def rank_articles(words: list[str], *, languages: list[str] | None = None, limit: int = 50) -> list[Article]:
    """Articles for a keyword search: the database's candidates, reordered by how many
    of the keywords each article contains (then how many its title contains)."""
    wanted = {stem(w) for w in words}
    articles = list(candidate_articles(words, languages=languages, limit=limit))
    order = {a.pk: i for i, a in enumerate(articles)}

    def key(article: Article) -> tuple[int, int, int]:
        text = stems(f"{article.title} {article.reference} {' '.join(article.tags)} {article.body}")
        return (-len(text & wanted), -len(stems(article.title) & wanted), order[article.pk])

    return sorted(articles, key=key)[:limit]
