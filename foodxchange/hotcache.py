"""Read-through caches for hot reads (FX table, tier table, taxonomy, facets, public
profiles, search pages), invalidated on write so no read is stale after a write.

Each namespace keeps a *version token* in the cache; entries live under
``hot:<namespace>:<token>:<key>``. A write calls ``invalidate()``, which replaces the
token once the write's transaction commits, so every later read misses and recomputes.
The order (read the token, then the database; write, commit, then a new token) means a
reader racing a writer can only store old data under an old token, which nobody
reads again. The token is random rather than a counter: an evicted token never brings
back entries of an older one. Works on Redis (shared by every process) and on the
local-memory cache (one process, as in a first run without services).

Lookups are counted per namespace (``foodxchange_hot_cache_requests_total`` at
``/metrics``), so a benchmark or an operator can read the hit rate."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.core.cache import cache, caches
from django.db import transaction
from prometheus_client import Counter

T = TypeVar("T")

LOOKUPS = Counter(
    "foodxchange_hot_cache_requests",
    "Hot-read cache lookups by namespace and result (hit or miss).",
    ["namespace", "result"],
)
_MISSING = object()
_SAFE_KEY = re.compile(r"[A-Za-z0-9:._-]*")
DEFAULT_TIMEOUT = 300


class HotCache:
    """A namespace of cached reads sharing one invalidation (see the module doc)."""

    def __init__(self, namespace: str, *, timeout: int = DEFAULT_TIMEOUT):
        self.namespace = namespace
        self.timeout = timeout
        self._token_key = f"hot:{namespace}:token"

    def token(self) -> str:
        scoped = _scoped_tokens.get()
        if scoped is not None and self.namespace in scoped:
            return scoped[self.namespace]
        return self._read_token(cache.get(self._token_key))

    def _read_token(self, token: Any) -> str:
        if token is None:
            fresh = secrets.token_hex(8)
            # Two processes may start a namespace at once: the first token wins.
            token = fresh if cache.add(self._token_key, fresh, timeout=None) else cache.get(self._token_key, fresh)
        return str(token)

    def key(self, key: str, token: str | None = None) -> str:
        if len(key) > 150 or not _SAFE_KEY.fullmatch(key):
            # Keys made of user input (query words): hashed, so any backend accepts them.
            key = hashlib.sha256(key.encode()).hexdigest()
        return f"hot:{self.namespace}:{token or self.token()}:{key}"

    def get(self, key: str, compute: Callable[[], T], *, timeout: int | None = None) -> T:
        """The cached value of ``key``, or ``compute()`` stored for later reads."""
        full_key = self.key(key)
        prefetched = _scoped_values.get()
        value = prefetched.pop(full_key, _MISSING) if prefetched is not None else _MISSING
        if value is _MISSING:
            value = cache.get(full_key, _MISSING)
        if value is not _MISSING:
            LOOKUPS.labels(self.namespace, "hit").inc()
            return value  # type: ignore[return-value]
        LOOKUPS.labels(self.namespace, "miss").inc()
        value = compute()
        cache.set(full_key, value, self.timeout if timeout is None else timeout)
        return value

    def is_prefetched(self, key: str) -> bool:
        """Whether ``key`` was found by this ``read_scope``'s ``prefetch`` and waits for
        its ``get`` (a read that would cost no round trip)."""
        prefetched = _scoped_values.get()
        return prefetched is not None and self.key(key) in prefetched

    def invalidate(self) -> None:
        """Every entry of the namespace is stale from now on. Inside a transaction the
        token is renewed at once (the writer reads its own write) and again when it
        commits (what other connections cached meanwhile is from before the commit)."""
        invalidate_many([self])


def invalidate_many(caches: Iterable[HotCache]) -> None:
    """``invalidate()`` of several namespaces in one round trip now, and (inside a
    transaction) one more at commit for every namespace the transaction invalidated."""
    token_keys = {c._token_key for c in caches}
    if not token_keys:
        return
    _renew(token_keys)
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        _renewal_at_commit(connection).token_keys |= token_keys


def _renew(token_keys: Iterable[str]) -> None:
    cache.set_many({key: secrets.token_hex(8) for key in token_keys}, timeout=None)


class _RenewalAtCommit:
    """The one on-commit callback of a transaction that renews every token it invalidated."""

    def __init__(self) -> None:
        self.token_keys: set[str] = set()

    def __call__(self) -> None:
        _renew(self.token_keys)


def _renewal_at_commit(connection: Any) -> _RenewalAtCommit:
    # Kept in Django's own on-commit list, so it goes with a rolled-back savepoint (its
    # writes went too) and a later write registers a new one; one found there belongs
    # to this transaction at this savepoint level or an enclosing one.
    for _savepoint_ids, callback, _robust in connection.run_on_commit:
        if isinstance(callback, _RenewalAtCommit):
            return callback
    callback = _RenewalAtCommit()
    transaction.on_commit(callback, using=connection.alias)
    return callback


_scoped_tokens: ContextVar[dict[str, str] | None] = ContextVar("hot_cache_tokens", default=None)
_scoped_values: ContextVar[dict[str, Any] | None] = ContextVar("hot_cache_values", default=None)


@contextmanager
def read_scope(*caches: HotCache) -> Iterator[None]:
    """For a read-only request: the tokens of ``caches`` are read once, in one round
    trip, and used for every lookup inside the block. Everything read then is as of
    the block's start, as if the request had run at that instant."""
    found = cache.get_many([c._token_key for c in caches])
    tokens = {c.namespace: found[c._token_key] for c in caches if c._token_key in found}
    for c in caches:
        tokens[c.namespace] = c._read_token(tokens.get(c.namespace))
    with _scope(tokens):
        yield


@contextmanager
def _scope(tokens: dict[str, str]) -> Iterator[None]:
    """Lookups inside the block use ``tokens`` and this scope's prefetched entries."""
    reset = _scoped_tokens.set(tokens)
    reset_values = _scoped_values.set({})
    try:
        yield
    finally:
        _scoped_tokens.reset(reset)
        _scoped_values.reset(reset_values)


def prefetch(entries: list[tuple[HotCache, str]]) -> None:
    """Inside ``read_scope``: reads these ``(cache, key)`` entries in one round trip; the
    ``get`` calls that follow take them from there (each once)."""
    values = _scoped_values.get()
    if values is None or not entries:
        return
    values.update(cache.get_many([c.key(k) for c, k in entries]))


def lookup_counts() -> dict[str, dict[str, int]]:
    """``{namespace: {"hit": n, "miss": m}}`` counted by this process."""
    counts: dict[str, dict[str, int]] = {}
    for metric in LOOKUPS.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total"):
                labels: dict[str, Any] = sample.labels
                counts.setdefault(labels["namespace"], {"hit": 0, "miss": 0})[labels["result"]] = int(sample.value)
    return counts


# --- One round trip for a request's tokens and its known reads -------------------------


class _LazyTokens(dict):
    """The tokens of a ``lazy_read_scope``: read (all at once, as ``read_scope`` does) at
    the first lookup, unless ``prefetch_with_tokens`` reads them first together with
    the request's known entries."""

    def __init__(self, caches: tuple[HotCache, ...]):
        super().__init__()
        self.caches = caches
        self.loaded = False

    def load(self, found: dict[str, Any] | None = None) -> None:
        if self.loaded:
            return
        self.loaded = True
        if found is None:
            found = cache.get_many([c._token_key for c in self.caches])
        for c in self.caches:
            self[c.namespace] = c._read_token(found.get(c._token_key))

    def __contains__(self, namespace: object) -> bool:
        self.load()
        return super().__contains__(namespace)


@contextmanager
def lazy_read_scope(*caches: HotCache) -> Iterator[None]:
    """``read_scope`` whose tokens are read when first needed: by
    ``prefetch_with_tokens``, in the same round trip as the entries it prefetches, or
    else at the first lookup."""
    with _scope(_LazyTokens(caches)):
        yield


# KEYS: the token keys. ARGV: full keys of the entries, each token written as its
# placeholder (keys not declared: one Redis server, not a cluster). A token is stored
# pickled by Django's serializer (a str) or raw (an int): the script takes the hex or
# digit run out of it, builds each key and reads them all. Returns {raw tokens, keys
# read, values}; the caller checks every key it is given.
_TOKENS_AND_ENTRIES = """
local raw = redis.call('MGET', unpack(KEYS))
local tokens = {}
for i = 1, #KEYS do
  local value = raw[i]
  local token = false
  if value then
    token = string.match(value, '^(%d+)$') or string.match(value, '(%x+)\\148%.$') or false
  end
  tokens[i] = token
end
local keys, wanted = {}, {}
for i = 1, #ARGV do
  local key = ARGV[i]
  for j = 1, #KEYS do
    if tokens[j] then
      key = string.gsub(key, 'HOTCACHETOKEN' .. string.format('%03d', j), tokens[j])
    end
  end
  keys[i] = key
  if not string.find(key, 'HOTCACHETOKEN', 1, true) then
    table.insert(wanted, key)
  end
end
local values = {}
if #wanted > 0 then
  local found = redis.call('MGET', unpack(wanted))
  local index = 1
  for i = 1, #keys do
    if not string.find(keys[i], 'HOTCACHETOKEN', 1, true) then
      values[i] = found[index]
      index = index + 1
    else
      values[i] = false
    end
  end
else
  for i = 1, #keys do values[i] = false end
end
return {raw, keys, values}
"""

EntryKey = str | Callable[[], str]


def prefetch_with_tokens(entries: list[tuple[HotCache, EntryKey]]) -> None:
    """``prefetch`` for a ``lazy_read_scope`` whose tokens are not read yet: the tokens
    and these entries in one round trip on Redis (a short script builds the entries'
    keys from the tokens), so a request that knows its reads in advance pays one round
    trip for all of them. A key may be a function (called with the scope's tokens in
    effect: a key that embeds another namespace's token). Every key the script built
    is checked against the one computed here; anything unexpected (another key
    function, another serializer) is ignored and read the usual way. Elsewhere (tokens
    already read, not Redis, no lazy scope): the tokens as usual, then ``prefetch``."""
    tokens = _scoped_tokens.get()
    if not isinstance(tokens, _LazyTokens) or tokens.loaded or not _redis_script_reads():
        if isinstance(tokens, _LazyTokens):
            tokens.load()
        prefetch([(c, k if isinstance(k, str) else k()) for c, k in entries])
        return
    scoped = tokens.caches
    placeholders = {c.namespace: f"HOTCACHETOKEN{i:03d}" for i, c in enumerate(scoped, start=1)}
    templates = _entry_keys(entries, placeholders)
    backend: Any = caches["default"]
    client = backend._cache.get_client(write=False)
    raw_tokens, built, raw_values = client.register_script(_TOKENS_AND_ENTRIES)(
        keys=[cache.make_key(c._token_key) for c in scoped],
        args=[cache.make_key(t) for t in templates],
    )
    serializer = backend._cache._serializer
    tokens.load({c._token_key: serializer.loads(r) for c, r in zip(scoped, raw_tokens, strict=True) if r is not None})
    values = _scoped_values.get()
    if values is None:
        return
    for key, built_key, raw in zip(_entry_keys(entries, dict(tokens)), built, raw_values, strict=True):
        if raw is not None and built_key == cache.make_key(key).encode():
            values[key] = serializer.loads(raw)


def _entry_keys(entries: list[tuple[HotCache, EntryKey]], tokens: dict[str, str]) -> list[str]:
    """The full keys of ``entries`` with ``tokens`` in effect."""
    reset = _scoped_tokens.set(tokens)
    try:
        return [c.key(k if isinstance(k, str) else k()) for c, k in entries]
    finally:
        _scoped_tokens.reset(reset)


def _redis_script_reads() -> bool:
    from django.core.cache.backends.redis import RedisCache

    return isinstance(caches["default"], RedisCache)
