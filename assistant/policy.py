"""What the assistant will not do, and what it never keeps.

It drafts guidance; it never writes records that must come from a real observation or a
real person's decision (monitoring records, logs, sign-offs, certificates). A record an
AI made up is a falsified record, whatever the intent."""

import re

import pycountry

# A request to produce a record: an action verb aimed at a record-like object.
_PRODUCE = (
    r"(?:write|generate|create|produce|fill(?:\s+(?:in|out))?|complete|make|draft|prepare|fake|forge|"
    r"back-?date|sign(?:\s+off)?|issue|log|record|fabricate|invent|populate|redige|rédige|genera|erstelle|"
    r"fülle|remplis|crea|rellena|escribe|écris)"
)
_RECORD = (
    r"(?:monitoring|temperature|cooling|cleaning|sanitation|ccp|haccp|verification|calibration|"
    r"pest|receiving|traceability|corrective[- ]action|audit|inspection|training|batch|production|"
    r"fridge|freezer|hygiene)?\s*(?:records?|logs?|log\s?sheets?|readings|entries|sign-?offs?|"
    r"certificates?|certifications?|audit reports?|checklists? (?:for|of) (?:today|yesterday|last)|"
    r"registros?|registres?|protokolle?|zertifikate?|certificats?)"
)
_REQUEST = re.compile(
    rf"\b{_PRODUCE}\b(?:\s+\w+){{0,6}}?\s+{_RECORD}\b|\bsign[- ]off\b(?:\s+\w+){{0,4}}\s+(?:the|my|our|this)\b"
    r"|\b(?:certify|attest)\s+(?:that|my|our|this)\b",
    re.IGNORECASE,
)
# Asking what a record should contain, or for a blank template, is guidance, not a record.
_GUIDANCE = re.compile(
    r"\b(?:what|which|how)\b[^.?!]*\b(?:contain|include|show|keep|kept|look like|required|need|should)\b"
    r"|\b(?:template|blank|example format)\b",
    re.IGNORECASE,
)

REFUSAL = (
    "I can't produce monitoring records, logs, sign-offs or certificates. Those documents are evidence that a "
    "real check was made or a real decision was taken by a responsible person; a record written by an assistant "
    "instead of observed and signed by that person would be a falsified record. I can explain what such a "
    "record must contain, how monitoring should be organised, or suggest an expert who can help you set it up."
)


def refusal_reason(question: str) -> str | None:
    """The reason to refuse ``question``, or ``None`` when it may be answered."""
    if _REQUEST.search(question) and not _GUIDANCE.search(question):
        return REFUSAL
    return None


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\w)\+?\d[\d\s().-]{6,}\d")
_URL = re.compile(r"https?://\S+", re.IGNORECASE)


def scrub(text: str, *, mark: bool = True) -> str:
    """``text`` without e-mail addresses, URLs and phone-like digit runs: what the
    intelligence log keeps of a question, and what retrieval and the model see.
    ``mark`` leaves a placeholder where something was removed."""
    text = _EMAIL.sub("[email]" if mark else " ", text)
    text = _URL.sub("[url]" if mark else " ", text)
    return _PHONE.sub("[number]" if mark else " ", text)


_LANGUAGE = re.compile(r"^([a-z]{2})(?:[-_]([a-z]{2}|\d{3}))?$", re.IGNORECASE)


def normalize_language(code: str) -> str | None:
    """``"pt-BR"`` → ``"pt-br"``; ``None`` for anything that is not an ISO 639-1 code
    with an optional region."""
    match = _LANGUAGE.match(code.strip())
    if not match or pycountry.languages.get(alpha_2=match.group(1).lower()) is None:
        return None
    return code.strip().lower().replace("_", "-")


def base_language(code: str) -> str:
    return code.split("-", 1)[0]


def language_name(code: str) -> str:
    language = pycountry.languages.get(alpha_2=base_language(code))
    return language.name if language is not None else code
