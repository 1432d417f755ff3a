"""Tests that must hold on both cache backends the project runs on: the local-memory
cache (one process, the embedded default) and Redis (shared by every process)."""

from collections.abc import Iterator

import pytest
from django.core.cache import cache

# For ``@pytest.fixture(params=CACHE_BACKENDS)``: the Redis case carries the ``redis`` mark.
CACHE_BACKENDS = ["locmem", pytest.param("redis", marks=pytest.mark.redis)]


def use_cache_backend(name: str, settings, key_prefix: str) -> Iterator[str]:
    """Switches the default cache to ``name`` (skips without ``REDIS_URL``), empty before
    and after the test; yields ``name``."""
    if name == "locmem":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    else:
        if not settings.REDIS_URL:
            pytest.skip("needs service: Redis (set REDIS_URL)")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": settings.REDIS_URL,
                "KEY_PREFIX": key_prefix,
            }
        }
    cache.clear()
    yield name
    cache.clear()
