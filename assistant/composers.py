"""Turning retrieved passages into an answer.

Two composers share one contract: they receive the question and the numbered passages
and may only say what those passages say, citing them as ``[n]``. ``local`` quotes the
passages; ``openai`` lets the configured model write the answer in the asked language
from the same passages. A model failure (timeout, HTTP error, an answer without valid
citations) falls back to the local composer: the caller always gets a cited answer."""

import logging
import re
from dataclasses import dataclass, field

from django.conf import settings

from assistant.policy import base_language, language_name
from assistant.retrieval import Passage

logger = logging.getLogger(__name__)

NO_ANSWER_MARKER = "NO_SUPPORTED_ANSWER"
_CITATION = re.compile(r"\[(\d{1,2})\]")


@dataclass
class Composition:
    answer: str
    language: str
    composer: str
    supported: bool = True
    cited: list[int] = field(default_factory=list)  # 1-based passage numbers


_INTRO = {
    "en": "Here is what the knowledge base says:",
    "es": "Esto es lo que dice la base de conocimientos:",
    "fr": "Voici ce que dit la base de connaissances :",
    "de": "Das sagt die Wissensdatenbank:",
}


def compose_local(*, question: str, passages: list[Passage], language: str) -> Composition:
    """Quotes the passages in order, each with its citation. The answer's language is
    the articles'; when that is not the asked language, a note says so."""
    used = passages[0].article.language
    lines = [_INTRO.get(base_language(used), _INTRO["en"])]
    for number, passage in enumerate(passages, start=1):
        lines.append(f"{passage.text} [{number}]")
    if base_language(used) != base_language(language):
        lines.append(
            f"Note: no article answering this is available in {language_name(language)}; "
            f"the answer is given in {language_name(used)}."
        )
    return Composition(
        answer="\n\n".join(lines), language=used, composer="local", cited=list(range(1, len(passages) + 1))
    )


def _system_prompt(language: str) -> str:
    return (
        "You are the FoodXchange food-safety assistant. Answer ONLY from the numbered passages you are given. "
        "Every sentence that states a fact must end with the citation of the passage it comes from, like [1] or "
        "[2]. Do not add facts, numbers or rules that are not in the passages. If the passages do not answer the "
        f"question, reply exactly {NO_ANSWER_MARKER}. Never write monitoring records, logs, sign-offs or "
        "certificates. Write the answer in the language with this ISO 639-1 code: "
        f"{language} ({language_name(language)})."
    )


def _user_prompt(question: str, passages: list[Passage]) -> str:
    numbered = "\n\n".join(
        f"[{n}] {p.article.title} — {p.article.reference or 'FoodXchange knowledge base'}\n{p.text}"
        for n, p in enumerate(passages, start=1)
    )
    return f"Passages:\n\n{numbered}\n\nQuestion: {question}"


def compose_openai(
    *, question: str, passages: list[Passage], language: str, history: list[tuple[str, str]] | None = None
) -> Composition | None:
    """The model's answer, or ``None`` when it failed or cited nothing it was given
    (the caller falls back to the local answer). Never called without passages."""
    if not passages:
        raise ValueError("The model is only ever asked with retrieved passages.")
    import openai

    client = openai.OpenAI(
        api_key=settings.OPENAI_API_KEY,
        base_url=settings.OPENAI_BASE_URL or None,
        timeout=settings.OPENAI_TIMEOUT_SECONDS,
        max_retries=settings.OPENAI_MAX_RETRIES,
    )
    messages: list[dict[str, str]] = [{"role": "system", "content": _system_prompt(language)}]
    for asked, answered in (history or [])[-2:]:
        messages += [{"role": "user", "content": asked}, {"role": "assistant", "content": answered}]
    messages.append({"role": "user", "content": _user_prompt(question, passages)})
    try:
        response = client.chat.completions.create(
            model=settings.OPENAI_MODEL,
            messages=messages,  # type: ignore[arg-type]
            temperature=0,
        )
        text = (response.choices[0].message.content or "").strip()
    except (openai.OpenAIError, IndexError, AttributeError, TypeError, ValueError) as exc:
        logger.warning("assistant: model call failed, answering locally", extra={"error": type(exc).__name__})
        return None
    finally:
        client.close()
    if text == NO_ANSWER_MARKER or (NO_ANSWER_MARKER in text and not _CITATION.search(text)):
        return Composition(answer="", language=language, composer="openai", supported=False)
    cited = sorted({int(n) for n in _CITATION.findall(text) if 1 <= int(n) <= len(passages)})
    if not cited or any(int(n) > len(passages) or int(n) < 1 for n in _CITATION.findall(text)):
        logger.warning("assistant: model answer without valid citations, answering locally")
        return None
    return Composition(answer=text, language=language, composer="openai", cited=cited)


def composer_name() -> str:
    return settings.ASSISTANT_COMPOSER


def compose(
    *, question: str, passages: list[Passage], language: str, history: list[tuple[str, str]] | None = None
) -> Composition:
    if composer_name() == "openai":
        composed = compose_openai(question=question, passages=passages, language=language, history=history)
        if composed is not None:
            return composed
    return compose_local(question=question, passages=passages, language=language)
