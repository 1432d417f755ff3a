"""The typo vocabulary grows with new words only, and its cache is invalidated only then."""

import pytest

from matching.indexing import VOCABULARY_CACHE, add_terms
from matching.models import SearchTerm

pytestmark = pytest.mark.django_db


def test_known_words_write_nothing_and_keep_the_cached_corrections(django_assert_num_queries):
    add_terms(["haccp", "allergen"])
    token = VOCABULARY_CACHE.token()
    with django_assert_num_queries(1):  # one statement, nothing written
        add_terms(["allergen", "haccp"])
    assert VOCABULARY_CACHE.token() == token


def test_a_new_word_is_stored_once_and_invalidates_the_corrections():
    add_terms(["haccp"])
    token = VOCABULARY_CACHE.token()
    add_terms(["haccp", "mikrobiologie", "mikrobiologie"])
    assert VOCABULARY_CACHE.token() != token
    assert sorted(SearchTerm.objects.filter(term__in=["haccp", "mikrobiologie"]).values_list("term", flat=True)) == [
        "haccp",
        "mikrobiologie",
    ]


def test_a_large_batch_is_looked_up_in_bounded_pieces():
    words = [f"word{chr(97 + n % 26)}{chr(97 + n // 26 % 26)}{chr(97 + n // 676)}" for n in range(2500)]
    add_terms(words)
    assert SearchTerm.objects.filter(term__in=words[:1000]).count() == 1000
    assert SearchTerm.objects.filter(term__startswith="word").count() == 2500
