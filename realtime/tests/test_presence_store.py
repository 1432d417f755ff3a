"""The presence registry on both stores: counting, expiry, chosen status, atomicity."""

import threading
import time

import pytest

from realtime.presence import effective_status, get_store

pytestmark = pytest.mark.usefixtures("realtime_backend")


def test_connections_count_once_per_user_and_last_removal_empties():
    store = get_store()
    now = time.time()
    assert store.touch(1, "tab-a", now).live_before == 0
    result = store.touch(1, "tab-b", now)
    assert (result.live_before, result.live_after) == (1, 2)
    heartbeat = store.touch(1, "tab-a", now + 1)
    assert (heartbeat.live_before, heartbeat.live_after) == (2, 2)
    assert store.active_user_ids(now) == [1]
    assert store.remove(1, "tab-a", now) == 1
    assert store.remove(1, "tab-b", now) == 0
    assert store.active_user_ids(now) == []
    assert store.snapshot([1], now) == {1: (0, None, None)}


def test_stale_connections_do_not_count_and_expire(settings):
    settings.PRESENCE_TIMEOUT_SECONDS = 60
    store = get_store()
    now = time.time()
    store.touch(1, "crashed", now - 120)
    store.touch(2, "alive", now)
    store.touch(2, "crashed", now - 120)
    assert store.snapshot([1, 2], now)[1][0] == 0
    assert store.snapshot([1, 2], now)[2][0] == 1
    assert store.active_user_ids(now) == [2]

    expired = {e.user_id: e for e in store.expire(now)}
    assert expired[1].expired_channels == ["crashed"]
    assert expired[1].live_after == 0
    # User 2 stays present whether or not this sweep already pruned its stale tab.
    assert expired.get(2) is None or expired[2].live_after == 1
    assert store.active_user_ids(now) == [2]
    assert store.expire(now) == []
    # A reconnect after expiry counts as coming online again.
    assert store.touch(1, "crashed", now).live_before == 0


def test_chosen_status_and_effective_status():
    store = get_store()
    now = time.time()
    store.set_status(5, "busy")
    assert store.snapshot([5], now)[5][:2] == (0, "busy")
    assert effective_status(0, "busy") == "offline"
    store.touch(5, "c", now)
    assert effective_status(*store.snapshot([5], now)[5][:2]) == "busy"
    store.set_status(5, "online")
    assert effective_status(*store.snapshot([5], now)[5][:2]) == "online"


def test_chosen_status_expires(settings):
    settings.PRESENCE_STATUS_TTL_SECONDS = 1
    store = get_store()
    store.set_status(6, "away")
    time.sleep(1.1)
    assert store.snapshot([6], time.time())[6][1] is None


def test_concurrent_connects_and_disconnects_never_lose_a_count():
    """Each touch sees a distinct number of earlier connections: no two threads read
    the same count (the read-modify-write is atomic)."""
    store = get_store()
    count = 24
    barrier = threading.Barrier(count)
    befores, remaining = [], []

    def connect(i):
        barrier.wait()
        befores.append(store.touch(9, f"tab-{i}", time.time()).live_before)

    def disconnect(i):
        barrier.wait()
        remaining.append(store.remove(9, f"tab-{i}", time.time()))

    for target in (connect, disconnect):
        threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(befores) == list(range(count))
    assert sorted(remaining) == list(range(count))
    assert store.active_user_ids(time.time()) == []
