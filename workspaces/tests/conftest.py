import pytest

from accounts.tests.factories import UserFactory
from workspaces import services


@pytest.fixture
def pair(db):
    """A client and an expert with a workspace (unpaid)."""
    client, expert = UserFactory(role="client"), UserFactory(role="expert")
    workspace = services.open_workspace(
        kind="consultation", subject_id=101, title="HACCP plan review", client=client, expert=expert
    )
    return workspace, client, expert


# The realtime app's fixtures: the real ASGI application on the in-memory layer and on
# channels-redis.
from realtime.tests.conftest import realtime_backend, ws  # noqa: E402, F401
