"""Counting what a request costs outside Python: Redis round trips and commands (the
SQL side is Django's ``CaptureQueriesContext``). Used by tests that pin a hot path's
round trips and by ``bench/profile_search.py``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock


@dataclass
class RedisTraffic:
    round_trips: int = 0
    commands: list[str] = field(default_factory=list)


@contextmanager
def count_redis() -> Iterator[RedisTraffic]:
    """Counts, in this process, every write to a Redis socket (one per round trip: a
    pipeline or a script is one) and the name of every command sent."""
    from redis import client, connection

    traffic = RedisTraffic()
    send = connection.AbstractConnection.send_packed_command
    execute = client.Redis.execute_command
    execute_pipeline = client.Pipeline.execute

    def counted_send(self: Any, command: Any, check_health: bool = True) -> Any:
        traffic.round_trips += 1
        return send(self, command, check_health=check_health)

    def counted_execute(self: Any, *args: Any, **options: Any) -> Any:
        traffic.commands.append(str(args[0]).upper())
        return execute(self, *args, **options)

    def counted_pipeline(self: Any, raise_on_error: bool = True) -> Any:
        traffic.commands += [str(args[0]).upper() for args, _ in self.command_stack]
        return execute_pipeline(self, raise_on_error)

    with (
        mock.patch.object(connection.AbstractConnection, "send_packed_command", counted_send),
        mock.patch.object(client.Redis, "execute_command", counted_execute),
        mock.patch.object(client.Pipeline, "execute", counted_pipeline),
    ):
        yield traffic
