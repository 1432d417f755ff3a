"""The SQLite path of retrieval (keyword match instead of PostgreSQL full text)."""

import pytest

from assistant.retrieval import retrieve
from assistant.selectors import article_list

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.mark.parametrize(
    ("question", "slug"),
    [
        ("What are the seven principles of HACCP?", "haccp-seven-principles"),
        ("How fast must I cool cooked food?", "cooling-and-reheating"),
        ("Which allergens must be declared in the US?", None),
        ("FSMA 204 traceability lot code", "fsma-204-traceability"),
        ("How do I control Listeria in a ready-to-eat plant?", "listeria-control"),
    ],
)
def test_supported_questions(question, slug):
    found = retrieve(question)
    assert found.supported
    if slug:
        assert found.passages[0].article.slug == slug


@pytest.mark.parametrize("question", ["What is the best chocolate cake recipe?", "weather tomorrow in Paris", "the"])
def test_unsupported_questions(question):
    assert not retrieve(question).supported


def test_article_search_sqlite():
    slugs = [a.slug for a in article_list(q="sesame allergen")]
    assert slugs[0] in {"us-major-allergens", "eu-fourteen-allergens", "allergens-other-jurisdictions"}


def test_translation_is_found_in_its_language():
    found = retrieve("¿Cuáles son los principios del APPCC?", languages=["es"])
    assert found.supported and found.passages[0].article.language == "es"


def test_ask_end_to_end_on_sqlite(client_for, client_user):
    data = (
        client_for(client_user)
        .post("/api/v1/assistant/ask", {"question": "What does a PCQI do?"}, format="json")
        .json()
    )
    assert data["outcome"] == "answered" and data["sources"]
