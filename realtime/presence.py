"""The presence registry: which sockets each user has open, and when each last spoke.

A user is *present* while at least one of their connections sent a heartbeat within
``PRESENCE_TIMEOUT_SECONDS``. Several tabs are several connections of one user and count
once. A crashed client simply stops heart-beating: its entry is ignored by every read
once it is older than the timeout, and the beat sweep deletes it.

Two stores with the same semantics:

- ``RedisPresenceStore`` (``REDIS_URL`` set): one hash per user (connection → last seen),
  a sorted set of users by last activity, and a key per chosen status. Every
  read-modify-write is a Lua script, so two workers changing one user at once never
  lose a connection or announce a status twice.
- ``MemoryPresenceStore``: the same in process memory behind a lock; only correct with a
  single server process, like the in-memory channel layer it goes with.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from django.conf import settings

# Statuses a user can choose. ``online`` clears a previous choice.
CHOOSABLE_STATUSES = ("online", "away", "busy", "offline")
# ``offline`` while connected means "appear offline".
HIDDEN = "offline"


@dataclass(frozen=True)
class TouchResult:
    live_before: int  # live connections of the user before this one was (re)registered
    live_after: int


@dataclass(frozen=True)
class ExpiredUser:
    user_id: int
    expired_channels: list[str]
    live_after: int


class PresenceStore(Protocol):
    def touch(self, user_id: int, channel: str, now: float) -> TouchResult: ...

    def remove(self, user_id: int, channel: str, now: float) -> int: ...

    def set_status(self, user_id: int, status: str) -> None: ...

    def snapshot(self, user_ids: list[int], now: float) -> dict[int, tuple[int, str | None, float | None]]:
        """user id → (live connections, chosen status or None, last seen or None)."""
        ...

    def active_user_ids(self, now: float) -> list[int]: ...

    def expire(self, now: float) -> list[ExpiredUser]: ...

    def clear(self) -> None: ...


def _timeout() -> float:
    return float(settings.PRESENCE_TIMEOUT_SECONDS)


# --- Redis -------------------------------------------------------------------------------

# KEYS: conns hash, users zset. ARGV: channel, now, cutoff, user id, key ttl.
# Prunes stale connections, registers this one, returns {live before, live after}.
_TOUCH = """
local fields = redis.call('HGETALL', KEYS[1])
local cutoff = tonumber(ARGV[3])
local before = 0
for i = 1, #fields, 2 do
  if tonumber(fields[i + 1]) >= cutoff then
    before = before + 1
  else
    redis.call('HDEL', KEYS[1], fields[i])
  end
end
local existed = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
-- GT: a late or skewed touch never moves the user's last activity backwards.
redis.call('ZADD', KEYS[2], 'GT', ARGV[2], ARGV[4])
local after = before
if not existed then after = before + 1 end
return {before, after}
"""

# KEYS: conns hash, users zset. ARGV: channel, cutoff, user id. Returns live connections left.
_REMOVE = """
redis.call('HDEL', KEYS[1], ARGV[1])
local fields = redis.call('HGETALL', KEYS[1])
local cutoff = tonumber(ARGV[2])
local live = 0
for i = 1, #fields, 2 do
  if tonumber(fields[i + 1]) >= cutoff then
    live = live + 1
  else
    redis.call('HDEL', KEYS[1], fields[i])
  end
end
if live == 0 then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[3])
end
return live
"""

# KEYS: conns hash, users zset. ARGV: cutoff, user id.
# Returns {live left, expired channel names...}; forgets the user when nothing is live.
_EXPIRE = """
local fields = redis.call('HGETALL', KEYS[1])
local cutoff = tonumber(ARGV[1])
local live = 0
local expired = {}
for i = 1, #fields, 2 do
  if tonumber(fields[i + 1]) >= cutoff then
    live = live + 1
  else
    redis.call('HDEL', KEYS[1], fields[i])
    table.insert(expired, fields[i])
  end
end
if live == 0 then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[2])
end
local result = {live}
for _, name in ipairs(expired) do table.insert(result, name) end
return result
"""


class RedisPresenceStore:
    def __init__(self, url: str, prefix: str):
        import redis

        self.client = redis.Redis.from_url(url, decode_responses=True)
        self.prefix = prefix
        self._touch = self.client.register_script(_TOUCH)
        self._remove = self.client.register_script(_REMOVE)
        self._expire = self.client.register_script(_EXPIRE)

    def _conns(self, user_id: int) -> str:
        return f"{self.prefix}:conns:{user_id}"

    def _status(self, user_id: int) -> str:
        return f"{self.prefix}:status:{user_id}"

    @property
    def _users(self) -> str:
        return f"{self.prefix}:users"

    def touch(self, user_id: int, channel: str, now: float) -> TouchResult:
        # The hash outlives the timeout a little so a sweep can still report what expired.
        ttl = int(_timeout() * 3) + 1
        before, after = self._touch(
            keys=[self._conns(user_id), self._users], args=[channel, now, now - _timeout(), user_id, ttl]
        )
        return TouchResult(int(before), int(after))

    def remove(self, user_id: int, channel: str, now: float) -> int:
        return int(self._remove(keys=[self._conns(user_id), self._users], args=[channel, now - _timeout(), user_id]))

    def set_status(self, user_id: int, status: str) -> None:
        if status == "online":
            self.client.delete(self._status(user_id))
        else:
            self.client.set(self._status(user_id), status, ex=settings.PRESENCE_STATUS_TTL_SECONDS)

    def snapshot(self, user_ids: list[int], now: float) -> dict[int, tuple[int, str | None, float | None]]:
        if not user_ids:
            return {}
        pipe = self.client.pipeline(transaction=False)
        self.queue_snapshot(pipe, user_ids)
        return self.read_snapshot(pipe.execute(), user_ids, now)

    def queue_snapshot(self, pipe: Any, user_ids: list[int]) -> None:
        """Queues the reads of ``snapshot`` on ``pipe`` (a pipeline of ``self.client``), so
        a caller can send its own commands in the same round trip; ``read_snapshot``
        reads the first ``2 * len(user_ids)`` replies."""
        for user_id in user_ids:
            pipe.hvals(self._conns(user_id))
            pipe.get(self._status(user_id))

    def read_snapshot(
        self, replies: list[Any], user_ids: list[int], now: float
    ) -> dict[int, tuple[int, str | None, float | None]]:
        cutoff = now - _timeout()
        result = {}
        for index, user_id in enumerate(user_ids):
            seen = [float(v) for v in replies[2 * index]]
            live = [s for s in seen if s >= cutoff]
            result[user_id] = (len(live), replies[2 * index + 1], max(live) if live else None)
        return result

    def active_user_ids(self, now: float) -> list[int]:
        return [int(u) for u in self.client.zrangebyscore(self._users, now - _timeout(), "+inf")]  # type: ignore[arg-type]

    def expire(self, now: float) -> list[ExpiredUser]:
        cutoff = now - _timeout()
        expired = []
        for raw in self.client.zrangebyscore(self._users, "-inf", f"({cutoff}"):
            user_id = int(raw)  # type: ignore[arg-type]
            live, *channels = self._expire(keys=[self._conns(user_id), self._users], args=[cutoff, user_id])
            expired.append(ExpiredUser(user_id, list(channels), int(live)))
        return expired

    def clear(self) -> None:
        keys = list(self.client.scan_iter(f"{self.prefix}:*", count=500))
        if keys:
            self.client.delete(*keys)


# --- Process memory ----------------------------------------------------------------------


class MemoryPresenceStore:
    def __init__(self):
        self._lock = threading.Lock()
        self._conns: dict[int, dict[str, float]] = {}
        self._status: dict[int, tuple[str, float]] = {}

    def _prune(self, user_id: int, cutoff: float) -> list[str]:
        conns = self._conns.get(user_id, {})
        stale = [c for c, seen in conns.items() if seen < cutoff]
        for channel in stale:
            del conns[channel]
        return stale

    def touch(self, user_id: int, channel: str, now: float) -> TouchResult:
        with self._lock:
            self._prune(user_id, now - _timeout())
            conns = self._conns.setdefault(user_id, {})
            before = len(conns)
            conns[channel] = now
            return TouchResult(before, len(conns))

    def remove(self, user_id: int, channel: str, now: float) -> int:
        with self._lock:
            conns = self._conns.get(user_id, {})
            conns.pop(channel, None)
            self._prune(user_id, now - _timeout())
            if not conns:
                self._conns.pop(user_id, None)
            return len(conns)

    def set_status(self, user_id: int, status: str) -> None:
        with self._lock:
            if status == "online":
                self._status.pop(user_id, None)
            else:
                self._status[user_id] = (status, time.time() + settings.PRESENCE_STATUS_TTL_SECONDS)

    def _chosen(self, user_id: int) -> str | None:
        chosen = self._status.get(user_id)
        if chosen and chosen[1] > time.time():
            return chosen[0]
        return None

    def snapshot(self, user_ids: list[int], now: float) -> dict[int, tuple[int, str | None, float | None]]:
        cutoff = now - _timeout()
        with self._lock:
            result = {}
            for user_id in user_ids:
                live = [s for s in self._conns.get(user_id, {}).values() if s >= cutoff]
                result[user_id] = (len(live), self._chosen(user_id), max(live) if live else None)
            return result

    def active_user_ids(self, now: float) -> list[int]:
        cutoff = now - _timeout()
        with self._lock:
            return [u for u, conns in self._conns.items() if any(s >= cutoff for s in conns.values())]

    def expire(self, now: float) -> list[ExpiredUser]:
        cutoff = now - _timeout()
        expired = []
        with self._lock:
            for user_id in list(self._conns):
                stale = self._prune(user_id, cutoff)
                if not stale:
                    continue
                live = len(self._conns[user_id])
                if not live:
                    del self._conns[user_id]
                expired.append(ExpiredUser(user_id, stale, live))
        return expired

    def clear(self) -> None:
        with self._lock:
            self._conns.clear()
            self._status.clear()


@lru_cache(maxsize=8)
def _store_for(kind: str, url: str, prefix: str) -> PresenceStore:
    if kind == "redis":
        return RedisPresenceStore(url, prefix)
    if kind == "memory":
        return MemoryPresenceStore()
    raise ValueError(f"PRESENCE_STORE must be 'redis' or 'memory', not {kind!r}")


def get_store() -> PresenceStore:
    """The configured store (one instance per configuration, shared by threads)."""
    return _store_for(settings.PRESENCE_STORE, settings.REDIS_URL, settings.PRESENCE_KEY_PREFIX)


def effective_status(live: int, chosen: str | None) -> str:
    """What others see: offline without a live connection, else the chosen status."""
    if not live:
        return "offline"
    return chosen or "online"
