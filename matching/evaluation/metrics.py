"""Ranking metrics and the BM25 baseline (Okapi BM25, k1 = 1.2, b = 0.75)."""

from __future__ import annotations

import math
from collections import Counter

from matching.engine.vocabulary import content_stems


def dcg(grades: list[int]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


def ndcg_at(ranked: list[str], relevant: dict[str, int], k: int = 10) -> float:
    ideal = dcg(sorted(relevant.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([relevant.get(key, 0) for key in ranked[:k]]) / ideal


def reciprocal_rank(ranked: list[str], relevant: dict[str, int], *, min_grade: int = 2) -> float:
    for i, key in enumerate(ranked, start=1):
        if relevant.get(key, 0) >= min_grade:
            return 1 / i
    return 0.0


class BM25:
    """Plain BM25 over documents tokenised like the engine's text (same stop words and
    stemming): what a keyword search engine would rank, with no synonyms or taxonomy."""

    def __init__(self, documents: dict[str, str], *, k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.docs = {key: Counter(content_stems(text)) for key, text in documents.items()}
        self.lengths = {key: sum(c.values()) for key, c in self.docs.items()}
        self.avg = (sum(self.lengths.values()) / len(self.docs)) if self.docs else 0.0
        df: Counter[str] = Counter()
        for counts in self.docs.values():
            df.update(counts.keys())
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}

    def score(self, query: str, key: str) -> float:
        counts, length = self.docs[key], self.lengths[key]
        total = 0.0
        for term in set(content_stems(query)):
            tf = counts.get(term, 0)
            if tf:
                norm = tf * (self.k1 + 1) / (tf + self.k1 * (1 - self.b + self.b * length / (self.avg or 1)))
                total += self.idf.get(term, 0.0) * norm
        return total

    def rank(self, query: str, *, limit: int = 10) -> list[str]:
        scored = [(self.score(query, key), key) for key in self.docs]
        return [key for s, key in sorted(scored, key=lambda x: (-x[0], x[1])) if s > 0][:limit]
