"""Helpers of the backup commands: a tqdm bar over named steps, sizes, lookups."""

import contextlib
from collections.abc import Callable, Iterator, Sequence

from tqdm import tqdm


@contextlib.contextmanager
def step_bar(steps: Sequence[str], *, stream, description: str) -> Iterator[Callable[[str], None]]:
    bar = tqdm(total=len(steps), desc=description, unit="step", file=stream, leave=True)
    done: list[str] = []

    def advance(step: str) -> None:
        # A step is reported when it starts: complete the previous one.
        if done:
            bar.update(1)
        done.append(step)
        bar.set_postfix_str(step)

    try:
        yield advance
        if done:
            bar.update(1)
    finally:
        bar.close()


def human_size(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    return f"{value:.1f} TiB"


def backup_by_id(backup_id: str):
    import uuid

    from django.core.management.base import CommandError

    from backups.models import Backup

    try:
        return Backup.objects.get(pk=uuid.UUID(backup_id.strip()))
    except (ValueError, Backup.DoesNotExist):
        raise CommandError(f"No backup with id {backup_id!r}.")
