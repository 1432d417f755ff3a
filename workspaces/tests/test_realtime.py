"""``workspace.message`` pushes through the real ASGI application (JWT middleware,
routing, the notifications consumer), on the in-memory layer and on channels-redis."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.db import transaction
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.tests.factories import UserFactory
from workspaces import services
from workspaces.tests import files

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("realtime_backend")]


@database_sync_to_async
def make_workspace():
    client, expert = UserFactory(role="client"), UserFactory(role="expert")
    workspace = services.open_workspace(
        kind="consultation", subject_id=77, title="Label review", client=client, expert=expert
    )
    return workspace, client, expert


@database_sync_to_async
def post_through_api(workspace, user, body, uploads=()):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    data = {"body": body, "files": list(uploads)} if uploads else {"body": body}
    response = api.post(f"/api/v1/workspaces/{workspace.pk}/messages", data, format="multipart" if uploads else "json")
    assert response.status_code == 201, response.content
    return response.json()


async def hello(ws, user):
    socket = await ws("/ws/notifications/", user=user)
    assert (await socket.receive_json_from())["type"] == "hello"
    return socket


async def test_the_other_member_receives_the_message_the_sender_does_not(ws):
    workspace, client, expert = await make_workspace()
    expert_socket, client_socket = await hello(ws, expert), await hello(ws, client)
    sent = await post_through_api(
        workspace, client, "New label draft attached", [files.upload("label.png", files.image())]
    )
    pushed = await expert_socket.receive_json_from(timeout=3)
    assert pushed["type"] == "notification"
    notification = pushed["notification"]
    assert notification["kind"] == "workspace.message"
    message = notification["payload"]["workspace_message"]
    assert message["id"] == sent["id"] and message["workspace"] == workspace.pk
    assert message["body"] == "New label draft attached"
    assert message["attachments"][0]["name"] == "label.png"
    assert await client_socket.receive_nothing(timeout=0.3)


async def test_a_flagged_message_is_pushed_with_its_flag(ws):
    workspace, client, expert = await make_workspace()
    client_socket = await hello(ws, client)
    await post_through_api(workspace, expert, "call me: +1 415 555 0123")
    pushed = await client_socket.receive_json_from(timeout=3)
    assert pushed["notification"]["payload"]["workspace_message"]["contact_warning"] is True


async def test_a_rolled_back_message_is_never_pushed(ws):
    workspace, client, expert = await make_workspace()
    expert_socket = await hello(ws, expert)

    @database_sync_to_async
    def post_and_roll_back():
        with pytest.raises(RuntimeError), transaction.atomic():
            services.post_message(workspace=workspace, sender=client, body="never")
            raise RuntimeError("rolled back")

    await post_and_roll_back()
    assert await expert_socket.receive_nothing(timeout=0.5)


async def test_messages_arrive_in_order(ws):
    workspace, client, expert = await make_workspace()
    expert_socket = await hello(ws, expert)
    sent = [(await post_through_api(workspace, client, f"step {i}"))["id"] for i in range(5)]
    received = []
    for _ in sent:
        pushed = await asyncio.wait_for(expert_socket.receive_json_from(timeout=3), 5)
        received.append(pushed["notification"]["payload"]["workspace_message"]["id"])
    assert received == sent
