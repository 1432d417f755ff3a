"""What a server process does once, before its first request.

Django imports the views, serializers and URL patterns on the first request; a server
process of this project then holds about 190,000 objects that live as long as it does.
CPython's full garbage collection walks every tracked object and stops the process
while it does (about 0.15 s here at that size), so each one lands on whatever request is
running: the tail latency. ``prepare_server_process`` imports the routes up front, then
collects once and freezes what is left (``gc.freeze``): later collections skip those
start-up objects and cost what the requests allocate, not what the process imported.
"""

from __future__ import annotations

import gc
import logging

from django.conf import settings
from django.urls import get_resolver

logger = logging.getLogger(__name__)


def prepare_server_process() -> int:
    """Imports every route's code now and moves the start-up objects out of the
    collector's reach (``GC_FREEZE_AT_STARTUP``); returns how many objects it froze."""
    # The URL patterns import every view, serializer and model module they name.
    get_resolver().url_patterns  # noqa: B018
    if not settings.GC_FREEZE_AT_STARTUP:
        return 0
    gc.collect()  # what is already garbage must not be frozen with the rest
    gc.freeze()
    frozen = gc.get_freeze_count()
    logger.debug("froze %s start-up objects", frozen)
    return frozen
