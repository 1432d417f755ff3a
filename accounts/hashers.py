"""Argon2 on low-priority threads, so hashing yields the CPU to every other request.

An Argon2 check is about a quarter of a CPU second on purpose, and argon2-cffi computes
it outside the GIL on ``parallelism`` (8) native threads: left alone, one login takes
both cores of a small server for that long and every search, booking and health check
behind it waits. Here each hash runs on one of this process's hashing threads, whose
scheduling priority is lowered once (``PASSWORD_HASH_NICE``, Linux: per thread,
inherited by the threads Argon2 starts). With idle CPU a login costs what it always
did; on a busy server the kernel runs the other requests first. The hashes are plain
Argon2 (same algorithm name, same parameters), so stored passwords are unaffected.

How many hashes may run at once, and how long a request waits for one, is the budget in
``accounts/hashing.py``; this module decides only where and at what priority they run.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher

logger = logging.getLogger(__name__)

T = TypeVar("T")

_lock = threading.Lock()
_pool: tuple[tuple[int, int], ThreadPoolExecutor] | None = None


def _lower_priority(nice: int) -> None:
    # Only Linux gives threads a nice value of their own (PRIO_PROCESS with a thread id
    # sets that thread's alone); elsewhere that id would name a process, or none.
    if nice <= 0 or not sys.platform.startswith("linux"):
        return
    try:
        current = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), max(current, min(nice, 19)))
    except OSError:
        logger.warning("could not lower the priority of the password-hashing thread", exc_info=True)


def _executor() -> ThreadPoolExecutor:
    global _pool
    shape = (max(1, int(settings.PASSWORD_HASH_CONCURRENCY)), int(settings.PASSWORD_HASH_NICE))
    with _lock:
        # Rebuilt when the settings change (tests override them); the old pool's idle
        # threads end once its queued work is done.
        if _pool is None or _pool[0] != shape:
            if _pool is not None:
                _pool[1].shutdown(wait=False)
            executor = ThreadPoolExecutor(
                max_workers=shape[0],
                thread_name_prefix="password-hash",
                initializer=_lower_priority,
                initargs=(shape[1],),
            )
            _pool = (shape, executor)
        return _pool[1]


def _forget_pool_after_fork() -> None:
    # Threads do not survive fork(): a forked worker (gunicorn, Celery prefork) starts its own.
    global _lock, _pool
    _lock = threading.Lock()
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def run_hash(function: Callable[..., T], *args: Any) -> T:
    """Runs ``function(*args)`` on a low-priority hashing thread and waits for it."""
    return _executor().submit(function, *args).result()


class LowPriorityArgon2PasswordHasher(Argon2PasswordHasher):
    """Django's Argon2 hasher, computed on the low-priority hashing threads."""

    def encode(self, password: str, salt: str) -> str:
        return run_hash(super().encode, password, salt)

    def verify(self, password: str, encoded: str) -> bool:
        return run_hash(super().verify, password, encoded)
