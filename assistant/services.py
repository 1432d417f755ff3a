"""Writes of the assistant: editing the knowledge base (every edit versioned and
audited), seeding it, and answering questions.

``ask`` retrieves first and decides from the retrieval alone whether there is an
answer; only then may a composer (the model or the local one) write it, outside any
transaction; the turn and the anonymous question log are written afterwards in one
transaction."""

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from assistant import composers
from assistant.knowledge import ARTICLES, SeedArticle
from assistant.models import Article, ArticleVersion, Conversation, Outcome, QuestionLog, Turn
from assistant.policy import base_language, normalize_language, refusal_reason, scrub
from assistant.retrieval import Passage, Retrieval, retrieve
from assistant.selectors import conversation_for
from assistant.suggestions import suggest_experts
from foodxchange.errors import InvalidInput, NotFound
from foodxchange.services import record_audit

MAX_QUESTION_CHARS = 4000
EXCERPT_CHARS = 400
ARTICLE_FIELDS = ("title", "body", "reference", "jurisdiction", "tags")

DISCLAIMER = (
    "Guidance drawn from the FoodXchange knowledge base, with its sources. It is not legal advice and does not "
    "replace your HACCP team, a qualified expert or the competent authority. The assistant never produces "
    "monitoring records, logs, sign-offs or certificates: those must come from the people who made the checks."
)
NO_ANSWER = (
    "I found no supported answer to this question in the knowledge base, so I won't guess. "
    "One of the experts below can help."
)


# --- knowledge base ----------------------------------------------------------------------
def _clean_tags(tags: Any) -> list[str]:
    if tags in (None, ""):
        return []
    if isinstance(tags, str):
        tags = tags.split(",")
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidInput(details={"tags": ["A list of strings."]})
    return sorted({t.strip().lower() for t in tags if t.strip()})


def _validate_article(values: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not str(values.get("title") or "").strip():
        errors["title"] = ["Required."]
    elif len(values["title"]) > 200:
        errors["title"] = ["At most 200 characters."]
    if not str(values.get("body") or "").strip():
        errors["body"] = ["Required."]
    if len(str(values.get("reference") or "")) > 200:
        errors["reference"] = ["At most 200 characters."]
    return errors


def save_article(
    *,
    actor: Any,
    article: Article | None = None,
    title: str,
    body: str,
    language: str = "en",
    reference: str = "",
    jurisdiction: str = "",
    tags: Any = None,
    slug: str = "",
    translation_of: Article | None = None,
    is_published: bool = True,
    note: str = "",
    request: Any = None,
) -> Article:
    """Creates an article, or edits one: an edit that changes the text raises the
    version and keeps the new state as an ``ArticleVersion`` (the old ones stay)."""
    values = {"title": title, "body": body, "reference": reference, "jurisdiction": jurisdiction}
    errors = _validate_article(values)
    code = normalize_language(language or "")
    if code is None:
        errors["language"] = [f"Unknown language code {language!r}."]
    if translation_of is not None and translation_of.translation_of_id is not None:
        errors["translation_of"] = ["Link a translation to the original article, not to another translation."]
    if translation_of is not None and code is not None and translation_of.language == code:
        errors["translation_of"] = ["A translation is in another language than its original."]
    if errors:
        raise InvalidInput(details=errors)
    clean_tags = _clean_tags(tags)
    with transaction.atomic():
        if article is None:
            article = Article(slug=slug or (translation_of.slug if translation_of else slugify(title))[:120])
            before = None
            changed = True
        else:
            article = Article.objects.select_for_update().get(pk=article.pk)
            before = {f: getattr(article, f) for f in (*ARTICLE_FIELDS, "language", "is_published")}
            changed = any(
                before[f] != v
                for f, v in (
                    ("title", title),
                    ("body", body),
                    ("reference", reference),
                    ("jurisdiction", jurisdiction),
                    ("tags", clean_tags),
                )
            )
        duplicate = Article.objects.filter(slug=article.slug, language=code).exclude(pk=article.pk)
        if duplicate.exists():
            raise InvalidInput(details={"slug": [f"An article {article.slug!r} in {code!r} exists already."]})
        if translation_of is not None:
            sibling = Article.objects.filter(translation_of=translation_of, language=code).exclude(pk=article.pk)
            if sibling.exists():
                raise InvalidInput(details={"translation_of": [f"That article has a {code!r} translation already."]})
        article.title, article.body, article.reference = title.strip(), body.strip(), reference.strip()
        article.jurisdiction, article.tags, article.language = jurisdiction.strip(), clean_tags, str(code)
        article.translation_of, article.is_published = translation_of, is_published
        article.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        article.updated_at = timezone.now()
        if before is not None and changed:
            article.version += 1
        article.save()
        if changed:
            ArticleVersion.objects.create(
                article=article,
                version=article.version,
                title=article.title,
                body=article.body,
                reference=article.reference,
                jurisdiction=article.jurisdiction,
                tags=article.tags,
                note=note[:200],
                edited_by=article.updated_by,
            )
        after = {f: getattr(article, f) for f in (*ARTICLE_FIELDS, "language", "is_published")}
        record_audit(
            actor=actor,
            action="assistant.article_created" if before is None else "assistant.article_edited",
            target=article,
            before=before,
            after={**after, "version": article.version},
            request=request,
        )
    return article


def seed_knowledge_base(*, articles: list[SeedArticle] | None = None) -> int:
    """Creates the seeded articles that do not exist yet (by slug and language);
    articles staff edited are left alone. Returns how many were created."""
    created = 0
    originals: dict[str, Article] = {}
    for item in articles if articles is not None else ARTICLES:
        language = item.get("language", "en")
        existing = Article.objects.filter(slug=item["slug"], language=language).first()
        if existing is not None:
            if "translation_of" not in item:
                originals[item["slug"]] = existing
            continue
        original = None
        if "translation_of" in item:
            original = (
                originals.get(item["translation_of"])
                or Article.objects.filter(slug=item["translation_of"], translation_of=None).first()
            )
        article = save_article(
            actor=None,
            title=item["title"],
            body=item["body"],
            language=language,
            reference=item.get("reference", ""),
            jurisdiction=item.get("jurisdiction", ""),
            tags=item.get("tags", []),
            slug=item["slug"],
            translation_of=original,
            note="seeded",
        )
        if original is None:
            originals[item["slug"]] = article
        created += 1
    return created


# --- questions -----------------------------------------------------------------------
@dataclass
class AskResult:
    answer: str
    language: str
    outcome: str
    sources: list[dict[str, Any]]
    suggested_experts: list[dict[str, Any]]
    conversation: Conversation
    turn: Turn
    composer: str
    disclaimer: str = DISCLAIMER
    refusal_reason: str | None = None
    notes: list[str] = field(default_factory=list)


def validate_question(*, question: Any, language: Any) -> tuple[str, str | None]:
    errors: dict[str, list[str]] = {}
    text = question.strip() if isinstance(question, str) else ""
    if not text:
        errors["question"] = ["Ask a question."]
    elif len(text) >= MAX_QUESTION_CHARS:
        errors["question"] = [f"Keep the question under {MAX_QUESTION_CHARS} characters."]
    code = None
    if language not in (None, ""):
        code = normalize_language(language) if isinstance(language, str) else None
        if code is None:
            errors["language"] = [f"Unknown language code {language!r}: use an ISO 639-1 code such as 'en' or 'pt-BR'."]
    if errors:
        raise InvalidInput(details=errors)
    return text, code


def _excerpt(text: str) -> str:
    if len(text) <= EXCERPT_CHARS:
        return text
    return text[: EXCERPT_CHARS - 1].rsplit(" ", 1)[0] + "…"


def _source(passage: Passage) -> dict[str, Any]:
    article = passage.article
    return {
        "id": article.pk,
        "title": article.title,
        "excerpt": _excerpt(passage.text),
        "reference": article.reference,
        "language": article.language,
        "version": article.version,
        "url": f"/api/v1/assistant/articles/{article.pk}",
    }


def _retrieve_for(question: str, language: str, earlier: list[str]) -> Retrieval:
    """Passages in the asked language first, then in any language (English is the
    knowledge base's main language). A follow-up that finds nothing alone is retried
    with the previous question as context."""
    wanted = base_language(language)
    attempts = [question] + ([f"{earlier[-1]} {question}"] if earlier else [])
    for text in attempts:
        if wanted != "en":
            found = retrieve(text, languages=[wanted])
            if found.supported:
                return found
        found = retrieve(text)
        if found.supported:
            return found
    return found


def ask(*, user: Any, question: Any, language: Any = None, conversation_id: Any = None) -> AskResult:
    text, code = validate_question(question=question, language=language)
    conversation = None
    if conversation_id not in (None, ""):
        try:
            conversation_uuid = uuid.UUID(str(conversation_id))
        except ValueError:
            raise InvalidInput(details={"conversation": ["Not a conversation id."]}) from None
        conversation = conversation_for(user=user, conversation_id=conversation_uuid)
        if conversation is None:
            raise NotFound("No such conversation.", code="conversation_not_found")
    language_code = code or (conversation.language if conversation else "en")
    earlier = [t.question for t in conversation.turns.all()] if conversation else []
    history = [(scrub(t.question), t.answer) for t in conversation.turns.all()] if conversation else []

    reason = refusal_reason(text)
    passages: list[Passage] = []
    if reason is not None:
        outcome, answer, used_language, composer = Outcome.REFUSED, reason, language_code, "policy"
    else:
        # Contact details never reach retrieval or the model.
        subject = scrub(text, mark=False)
        found = _retrieve_for(subject, language_code, [scrub(q, mark=False) for q in earlier])
        passages = found.passages
        composed = None
        if passages:
            # Outside any transaction: the model call may take seconds.
            composed = composers.compose(
                question=scrub(text), passages=passages, language=language_code, history=history
            )
        if composed is None or not composed.supported:
            outcome, answer, used_language = Outcome.UNSUPPORTED, NO_ANSWER, language_code
            composer = composed.composer if composed else "local"
            passages = []
        else:
            outcome, answer, used_language, composer = (
                Outcome.ANSWERED,
                composed.answer,
                composed.language,
                composed.composer,
            )
            passages = [passages[n - 1] for n in composed.cited]
    sources = [_source(p) for p in passages]
    experts = suggest_experts(text) if outcome != Outcome.ANSWERED else suggest_experts(text, limit=2)

    with transaction.atomic():
        now = timezone.now()
        if conversation is None:
            conversation = Conversation.objects.create(
                user=user, language=language_code, created_at=now, updated_at=now
            )
        else:
            Conversation.objects.filter(pk=conversation.pk).update(updated_at=now, language=language_code)
        turn = Turn.objects.create(
            conversation=conversation,
            question=text,
            answer=answer,
            language=used_language,
            outcome=outcome,
            sources=sources,
            suggested_experts=experts,
            composer=composer,
            created_at=now,
        )
        QuestionLog.objects.create(
            question=scrub(text)[:MAX_QUESTION_CHARS],
            language=language_code,
            outcome=outcome,
            article_ids=[s["id"] for s in sources],
            composer=composer,
            created_at=now,
        )
    return AskResult(
        answer=answer,
        language=used_language,
        outcome=outcome,
        sources=sources,
        suggested_experts=experts,
        conversation=conversation,
        turn=turn,
        composer=composer,
        refusal_reason=reason,
    )


def set_published(*, actor: Any, article: Article, published: bool, request: Any = None) -> Article:
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        if article.is_published != published:
            article.is_published = published
            article.updated_at = timezone.now()
            article.save(update_fields=["is_published", "updated_at"])
            record_audit(
                actor=actor,
                action="assistant.article_published" if published else "assistant.article_unpublished",
                target=article,
                before={"is_published": not published},
                after={"is_published": published},
                request=request,
            )
    return article
