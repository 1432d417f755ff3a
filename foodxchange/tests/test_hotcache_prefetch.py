"""``prefetch_with_tokens``: a request's cache tokens and known reads in one Redis round
trip, with the same values (and the same freshness) as reading them the usual way."""

import pytest
from django.core.cache import cache

from foodxchange.diagnostics import count_redis
from foodxchange.hotcache import HotCache, lazy_read_scope, prefetch_with_tokens
from foodxchange.tests.cache_backends import CACHE_BACKENDS, use_cache_backend

OUTER, INNER = HotCache("test-outer"), HotCache("test-inner")


@pytest.fixture(params=CACHE_BACKENDS)
def backend(request, settings):
    yield from use_cache_backend(request.param, settings, "hotcache-prefetch-test")


@pytest.fixture
def on_redis(settings):
    yield from use_cache_backend("redis", settings, "hotcache-prefetch-test")


def nested_key() -> str:
    """A key of OUTER that embeds INNER's token (as search keys embed the FX token)."""
    return f"nested:{INNER.token()}"


def read(values: dict[str, int]) -> tuple[int, int, int]:
    """One request: prefetch, then the three reads (``values`` computes a miss)."""
    with lazy_read_scope(OUTER, INNER):
        prefetch_with_tokens([(OUTER, "plain"), (INNER, "words with spaces"), (OUTER, nested_key)])
        return (
            OUTER.get("plain", lambda: values["plain"]),
            INNER.get("words with spaces", lambda: values["words"]),
            OUTER.get(nested_key(), lambda: values["nested"]),
        )


def test_reads_are_served_from_one_round_trip_and_stay_fresh(backend):
    assert read({"plain": 1, "words": 2, "nested": 3}) == (1, 2, 3)  # computed, stored
    with count_redis() as redis:
        assert read({"plain": 9, "words": 9, "nested": 9}) == (1, 2, 3)  # all cached
    if backend == "redis":
        assert redis.round_trips == 1 and redis.commands == ["EVALSHA"]
    INNER.invalidate()
    # INNER's entries and OUTER's entry embedding INNER's token are stale; OUTER's own is not.
    assert read({"plain": 9, "words": 5, "nested": 6}) == (1, 5, 6)
    OUTER.invalidate()
    assert read({"plain": 7, "words": 8, "nested": 8}) == (7, 5, 8)


def test_a_namespace_without_a_token_starts_one(backend):
    fresh = HotCache("test-fresh")
    with lazy_read_scope(fresh, INNER):
        prefetch_with_tokens([(fresh, "k")])
        assert fresh.get("k", lambda: 1) == 1
        token = fresh.token()
    with lazy_read_scope(fresh, INNER):
        prefetch_with_tokens([(fresh, "k")])
        assert fresh.token() == token
        assert fresh.get("k", lambda: 2) == 1


@pytest.mark.redis
@pytest.mark.parametrize("stored", [123456789, "not-hex-zz", "a" * 48])
def test_tokens_of_another_form_give_the_same_answers(on_redis, stored):
    """An integer token (stored raw) is read by the script; text it cannot take out of
    its pickle gives the same answers by the usual reads: the script's keys are checked
    against the ones computed in Python, not trusted."""
    cache.set(OUTER._token_key, stored, timeout=None)
    assert read({"plain": 1, "words": 2, "nested": 3}) == (1, 2, 3)
    with count_redis() as redis:
        assert read({"plain": 9, "words": 9, "nested": 9}) == (1, 2, 3)
    assert redis.round_trips == (1 if isinstance(stored, int) else 3)
    assert OUTER.token() == str(stored)


def test_outside_a_lazy_scope_it_is_a_plain_prefetch(backend):
    OUTER.get("plain", lambda: 1)
    prefetch_with_tokens([(OUTER, "plain")])  # no scope: nothing to fill, no error
    assert OUTER.get("plain", lambda: 2) == 1
