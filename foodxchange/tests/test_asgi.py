import pytest
from channels.testing import WebsocketCommunicator

from foodxchange.asgi import application


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("headers", [[(b"origin", b"http://evil.example")], []], ids=["foreign-origin", "no-origin"])
async def test_websocket_handshake_from_an_origin_not_allowed_is_refused(headers):
    communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected is False
    await communicator.disconnect()
