"""Helpers for tests that need real concurrency (PostgreSQL, transactional tests)."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def run_in_threads(target: Callable[[], Any], count: int, *, timeout: float = 60) -> tuple[list, list[Exception]]:
    """Runs ``target`` in ``count`` threads released together by a barrier; returns
    ``(results, errors)``. Each thread closes its own database connection."""
    barrier = threading.Barrier(count)
    results: list = []
    errors: list[Exception] = []

    def wrapped() -> None:
        try:
            barrier.wait()
            results.append(target())
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrapped) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results, errors
