import pytest

from commissions.payments import RecordingBackend


@pytest.fixture(autouse=True)
def _fresh_transfer_recorder():
    RecordingBackend.reset()
    yield
    RecordingBackend.reset()
