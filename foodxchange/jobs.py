"""Registry of the periodic jobs an operator can run at once with ``run_due_jobs``.

Each app registers, in its ``AppConfig.ready()``, the jobs beat runs for it that are
safe to run at any moment: every job must be idempotent (it acts only on what is due
and claims each item once), so running the command twice does nothing twice.
``foodxchange`` imports no domain app: the registry is filled from outside."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DueJob = Callable[[], Any]


@dataclass(frozen=True)
class RegisteredJob:
    name: str
    run: DueJob
    description: str = ""


_jobs: dict[str, RegisteredJob] = {}


def register_due_job(name: str, run: DueJob, *, description: str = "") -> DueJob:
    """Registers ``run`` (no arguments; returns a summary) under ``name``; registering
    the same name again replaces it (``ready()`` may run more than once in tests)."""
    _jobs[name] = RegisteredJob(name=name, run=run, description=description)
    return run


def unregister_due_job(name: str) -> None:
    _jobs.pop(name, None)


def due_jobs() -> list[RegisteredJob]:
    return [_jobs[name] for name in sorted(_jobs)]
