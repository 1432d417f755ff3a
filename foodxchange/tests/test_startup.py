"""A server process imports its routes and freezes its start-up objects once."""

import gc
import os
import subprocess
import sys

import pytest

from foodxchange.startup import prepare_server_process


@pytest.fixture
def unfrozen():
    yield
    gc.unfreeze()


def test_start_up_objects_are_frozen_out_of_the_collectors_passes(settings, unfrozen):
    settings.GC_FREEZE_AT_STARTUP = True
    frozen = prepare_server_process()
    assert frozen == gc.get_freeze_count() > 10_000
    # What is allocated from now on is still collected: a cycle made after the freeze goes.
    cycle: list = []
    cycle.append(cycle)
    tracked_before = len(gc.get_objects())
    del cycle
    gc.collect()
    assert len(gc.get_objects()) < tracked_before


def test_switched_off_it_only_imports_the_routes(settings, unfrozen):
    settings.GC_FREEZE_AT_STARTUP = False
    assert prepare_server_process() == 0
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("entry_point", ["foodxchange.asgi", "foodxchange.wsgi"])
def test_the_server_entry_points_prepare_their_process(entry_point):
    """Loading the application (as gunicorn or uvicorn does in each worker) imports the
    views and freezes the start-up objects."""
    code = (
        f"import gc, sys; import {entry_point}; "
        "assert 'experts.views' in sys.modules and 'consultations.views' in sys.modules; "
        "print(gc.get_freeze_count())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "GC_FREEZE_AT_STARTUP": "true"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.strip().splitlines()[-1]) > 10_000
