"""Reads of the knowledge base and of conversations."""

from typing import Any

from django.db.models import Prefetch, QuerySet

from assistant.models import Article, Conversation, Turn
from assistant.retrieval import keywords, rank_articles


def published_articles() -> QuerySet[Article]:
    return Article.objects.filter(is_published=True).prefetch_related(
        Prefetch(
            "translations",
            queryset=Article.objects.filter(is_published=True).only("id", "language", "translation_of_id"),
        )
    )


def article_list(
    *, q: str = "", language: str = "", jurisdiction: str = "", tag: str = ""
) -> QuerySet[Article] | list[Article]:
    """Published articles, filtered; with ``q`` the best matches first (full text on
    PostgreSQL, keyword match on SQLite)."""
    qs = published_articles()
    if language:
        qs = qs.filter(language=language)
    if jurisdiction:
        qs = qs.filter(jurisdiction__iexact=jurisdiction)
    if tag:
        qs = qs.filter(tags__icontains=f'"{tag.lower()}')
    words = keywords(q)
    if q.strip():
        if not words:
            return qs.none()
        ids = [a.pk for a in rank_articles(words, languages=[language] if language else None)]
        order = {pk: i for i, pk in enumerate(ids)}
        matched = list(qs.filter(pk__in=ids))
        matched.sort(key=lambda a: order[a.pk])
        return matched
    return qs.order_by("title", "id")


def article_detail(article_id: int) -> Article | None:
    return published_articles().select_related("translation_of").filter(pk=article_id).first()


def conversation_for(*, user: Any, conversation_id: Any) -> Conversation | None:
    """The caller's own conversation, or ``None`` (others' conversations do not exist
    for them)."""
    if not user.is_authenticated:
        return None
    return (
        Conversation.objects.filter(pk=conversation_id, user=user)
        .prefetch_related(Prefetch("turns", queryset=Turn.objects.order_by("created_at", "id")))
        .first()
    )
