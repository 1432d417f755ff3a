"""Invalidation of the hot-read caches: one round trip for several namespaces, one
renewal at commit per transaction, and none lost to a rolled-back savepoint."""

import pytest
from django.core.cache import cache
from django.db import transaction

from foodxchange import hotcache
from foodxchange.hotcache import HotCache, invalidate_many

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def renewals(monkeypatch):
    """The token writes (each one cache round trip), as lists of token keys."""
    calls: list[list[str]] = []
    real = hotcache._renew

    def counting(token_keys):
        keys = sorted(token_keys)
        calls.append(keys)
        real(keys)

    monkeypatch.setattr(hotcache, "_renew", counting)
    return calls


def test_several_namespaces_are_renewed_in_one_round_trip(renewals):
    boxes = [HotCache(f"box-{n}") for n in range(3)]
    for box in boxes:
        assert box.get("k", lambda: "old") == "old"
    invalidate_many(boxes)
    assert renewals == [sorted(b._token_key for b in boxes)]
    assert [box.get("k", lambda: "new") for box in boxes] == ["new"] * 3


def test_a_transaction_renews_every_namespace_it_invalidated_once_at_commit(
    renewals, django_capture_on_commit_callbacks
):
    first, second = HotCache("first"), HotCache("second")
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        first.invalidate()
        second.invalidate()
        first.invalidate()
        # Another connection reads the data before the commit under the new token...
        assert first.get("k", lambda: "before commit") == "before commit"
    assert len(callbacks) == 1
    assert renewals[-1] == sorted([first._token_key, second._token_key])
    # ...and the renewal at commit makes the next read compute afresh.
    assert first.get("k", lambda: "after commit") == "after commit"


def test_a_rolled_back_savepoint_does_not_take_later_renewals_with_it(django_capture_on_commit_callbacks):
    inner, outer = HotCache("inner"), HotCache("outer")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        try:
            with transaction.atomic():
                inner.invalidate()  # registers a renewal inside the savepoint
                raise Boom
        except Boom:
            pass
        outer.invalidate()  # after the rollback: needs a renewal of its own
        assert outer.get("k", lambda: "before commit") == "before commit"
    assert outer.get("k", lambda: "after commit") == "after commit"


def test_renewals_inside_a_released_savepoint_are_kept(renewals, django_capture_on_commit_callbacks):
    box = HotCache("released")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        with transaction.atomic():
            box.invalidate()
        assert box.get("k", lambda: "before commit") == "before commit"
    assert box.get("k", lambda: "after commit") == "after commit"


def test_outside_a_transaction_the_renewal_is_immediate_and_single(renewals):
    box = HotCache("autocommit")
    box.invalidate()
    assert renewals == [[box._token_key]]
