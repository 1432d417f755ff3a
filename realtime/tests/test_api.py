"""HTTP endpoints: inbox, read, read-all, preferences, presence, experts, status."""

import time

import pytest
from django.apps import apps

from accounts.tests.factories import UserFactory
from foodxchange.models import AuditLog
from realtime import selectors, services
from realtime.models import Notification, NotificationPreference
from realtime.presence import get_store

pytestmark = pytest.mark.django_db


def make_notifications(user, count, **extra):
    return [
        Notification.objects.create(user=user, kind="lead.assigned", payload={"n": i}, **extra) for i in range(count)
    ]


# --- inbox -------------------------------------------------------------------------------


def test_list_is_paginated_newest_first_and_own_only(client_for, agent_user):
    mine = make_notifications(agent_user, 3)
    make_notifications(UserFactory(role="agent"), 2)
    Notification.objects.create(user=agent_user, kind="tier.changed", in_app=False)
    response = client_for(agent_user).get("/api/v1/notifications?page_size=2")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [n["id"] for n in body["results"]] == [mine[2].pk, mine[1].pk]
    assert body["next"] is not None
    first = body["results"][0]
    assert set(first) == {"id", "kind", "title", "payload", "read", "read_at", "created_at"}
    assert first["title"] == "A lead was assigned to you"


def test_list_unread_filter(client_for, agent_user):
    read, unread = make_notifications(agent_user, 2)
    services.mark_read(notification=read)
    client = client_for(agent_user)
    assert [n["id"] for n in client.get("/api/v1/notifications?unread=true").json()["results"]] == [unread.pk]
    assert [n["id"] for n in client.get("/api/v1/notifications?unread=false").json()["results"]] == [read.pk]


def test_list_rejects_a_bad_unread_value(client_for, agent_user):
    response = client_for(agent_user).get("/api/v1/notifications?unread=maybe")
    assert response.status_code == 400
    assert "unread" in response.json()["error"]["details"]


def test_list_needs_authentication(api_client):
    assert api_client.get("/api/v1/notifications").status_code == 401


def test_mark_read_once(client_for, agent_user):
    (notification,) = make_notifications(agent_user, 1)
    client = client_for(agent_user)
    response = client.post(f"/api/v1/notifications/{notification.pk}/read")
    assert response.status_code == 200
    assert response.json()["read"] is True
    first_read_at = response.json()["read_at"]
    again = client.post(f"/api/v1/notifications/{notification.pk}/read")
    assert again.json()["read_at"] == first_read_at


def test_mark_read_of_someone_elses_notification_is_404(client_for, agent_user):
    (theirs,) = make_notifications(UserFactory(role="agent"), 1)
    response = client_for(agent_user).post(f"/api/v1/notifications/{theirs.pk}/read")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_unknown_and_anonymous(client_for, agent_user, api_client):
    assert client_for(agent_user).post("/api/v1/notifications/999999/read").status_code == 404
    (notification,) = make_notifications(agent_user, 1)
    assert api_client.post(f"/api/v1/notifications/{notification.pk}/read").status_code == 401


def test_read_all_marks_only_mine(client_for, agent_user):
    make_notifications(agent_user, 3)
    (theirs,) = make_notifications(UserFactory(role="agent"), 1)
    client = client_for(agent_user)
    response = client.post("/api/v1/notifications/read-all")
    assert response.status_code == 200
    assert response.json() == {"marked": 3}
    assert client.post("/api/v1/notifications/read-all").json() == {"marked": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_read_all_anonymous(api_client):
    assert api_client.post("/api/v1/notifications/read-all").status_code == 401


# --- preferences -------------------------------------------------------------------------


def test_preferences_default_then_update(client_for, agent_user):
    client = client_for(agent_user)
    body = client.get("/api/v1/notifications/preferences").json()
    by_kind = {p["kind"]: p for p in body["preferences"]}
    assert by_kind["lead.assigned"] == {
        "kind": "lead.assigned",
        "title": "A lead was assigned to you",
        "is_default": True,
        "in_app": True,
        "email": True,
        "whatsapp": False,
    }

    response = client.put(
        "/api/v1/notifications/preferences",
        {"preferences": [{"kind": "lead.assigned", "whatsapp": True}, {"kind": "commission.earned", "email": True}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    by_kind = {p["kind"]: p for p in response.json()["preferences"]}
    assert by_kind["lead.assigned"]["whatsapp"] is True
    assert by_kind["lead.assigned"]["email"] is True, "unspecified channels keep their value"
    assert by_kind["lead.assigned"]["is_default"] is False
    assert by_kind["commission.earned"]["email"] is True
    assert NotificationPreference.objects.filter(user=agent_user).count() == 2
    audit = AuditLog.objects.get(action="notifications.preferences.updated")
    assert audit.actor == agent_user
    assert audit.before["lead.assigned"]["whatsapp"] is False
    assert audit.after["lead.assigned"]["whatsapp"] is True

    # Saving the same values again changes nothing and logs nothing.
    client.put(
        "/api/v1/notifications/preferences",
        {"preferences": [{"kind": "lead.assigned", "whatsapp": True}]},
        format="json",
    )
    assert AuditLog.objects.filter(action="notifications.preferences.updated").count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"preferences": [{"kind": "no.such.kind", "email": True}]}, "preferences"),
        ({"preferences": [{"kind": "lead.assigned", "email": True}, {"kind": "lead.assigned"}]}, "preferences"),
        ({"preferences": [{"kind": "lead.assigned", "email": "often"}]}, "preferences"),
        ({"preferences": [{"kind": "lead.assigned"}]}, "preferences"),
        ({"preferences": []}, "preferences"),
        ({}, "preferences"),
    ],
)
def test_preferences_bad_input_writes_nothing(client_for, agent_user, body, field):
    response = client_for(agent_user).put("/api/v1/notifications/preferences", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert NotificationPreference.objects.count() == 0
    assert not AuditLog.objects.exists()


def test_preferences_accept_a_kind_the_user_received(client_for, agent_user):
    Notification.objects.create(user=agent_user, kind="rfq.matched")
    response = client_for(agent_user).put(
        "/api/v1/notifications/preferences", {"preferences": [{"kind": "rfq.matched", "email": True}]}, format="json"
    )
    assert response.status_code == 200
    assert NotificationPreference.objects.get(user=agent_user, kind="rfq.matched").email is True


def test_preferences_anonymous(api_client):
    assert api_client.get("/api/v1/notifications/preferences").status_code == 401
    assert api_client.put("/api/v1/notifications/preferences", {}, format="json").status_code == 401


# --- presence ----------------------------------------------------------------------------


@pytest.fixture
def presence(realtime_backend):
    """Runs the test on the in-memory store and on Redis."""
    return realtime_backend


def connect(user, channel="c1", at=None):
    get_store().touch(user.pk, channel, at or time.time())


def test_presence_post_by_expert(client_for, expert_user, presence):
    client = client_for(expert_user)
    response = client.post("/api/v1/realtime/presence", {"status": "busy"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"status": "offline", "chosen": "busy", "connected": False}
    connect(expert_user)
    response = client.post("/api/v1/realtime/presence", {"status": "busy"}, format="json")
    assert response.json() == {"status": "busy", "chosen": "busy", "connected": True}


def test_presence_post_bad_status_changes_nothing(client_for, expert_user, presence):
    connect(expert_user)
    response = client_for(expert_user).post("/api/v1/realtime/presence", {"status": "asleep"}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()["error"]["details"]
    assert selectors.presence_map([expert_user.pk]) == {expert_user.pk: "online"}


def test_presence_post_wrong_role_and_anonymous(client_for, client_user, api_client, presence):
    assert client_for(client_user).post("/api/v1/realtime/presence", {"status": "busy"}).status_code == 403
    assert api_client.post("/api/v1/realtime/presence", {"status": "busy"}).status_code == 401


# --- experts online ----------------------------------------------------------------------


def _profile(user, *specializations):
    ExpertProfile = apps.get_model("experts", "ExpertProfile")
    profile = ExpertProfile.objects.create(user=user)
    profile.specializations.set(specializations)
    return profile


def test_experts_online_filtered_by_specialization_slug_or_id(api_client, presence):
    Specialization = apps.get_model("experts", "Specialization")
    haccp, dairy = Specialization.objects.order_by("id")[:2]
    online = UserFactory(role="expert", first_name="Olga", last_name="Online")
    busy = UserFactory(role="expert")
    hidden = UserFactory(role="expert")
    offline = UserFactory(role="expert")
    stale = UserFactory(role="expert")
    agent = UserFactory(role="agent")
    _profile(online, haccp)
    _profile(busy, haccp, dairy)
    _profile(hidden, haccp)
    _profile(offline, haccp)
    _profile(stale, haccp)
    for user in (online, busy, hidden, agent):
        connect(user)
    connect(stale, at=time.time() - 3600)  # crashed long ago, never swept
    services.set_presence(user=busy, status="busy")
    services.set_presence(user=hidden, status="offline")

    body = api_client.get("/api/v1/realtime/experts").json()
    assert body["count"] == 2
    assert {(r["user_id"], r["status"]) for r in body["results"]} == {(online.pk, "online"), (busy.pk, "busy")}
    olga = next(r for r in body["results"] if r["user_id"] == online.pk)
    assert olga["name"] == "Olga Online"
    assert olga["expert_profile_id"] == online.expert_profile.pk
    assert olga["specializations"] == [{"id": haccp.pk, "slug": haccp.slug, "name": haccp.name}]

    by_slug = api_client.get(f"/api/v1/realtime/experts?specialization={dairy.slug}").json()
    assert [r["user_id"] for r in by_slug["results"]] == [busy.pk]
    by_id = api_client.get(f"/api/v1/realtime/experts?specialization={dairy.pk}").json()
    assert [r["user_id"] for r in by_id["results"]] == [busy.pk]
    by_status = api_client.get("/api/v1/realtime/experts?status=busy").json()
    assert [r["user_id"] for r in by_status["results"]] == [busy.pk]


def test_experts_online_bad_filters(api_client, presence):
    response = api_client.get("/api/v1/realtime/experts?specialization=not-a-thing")
    assert response.status_code == 400
    assert "specialization" in response.json()["error"]["details"]
    response = api_client.get("/api/v1/realtime/experts?status=sleeping")
    assert response.status_code == 400
    assert "status" in response.json()["error"]["details"]


# --- status ------------------------------------------------------------------------------


def test_status_reports_layer_and_connected_users(client_for, agent_user, expert_user, presence):
    connect(agent_user, "a")
    connect(agent_user, "b")
    connect(expert_user, "c", at=time.time() - 3600)
    body = client_for(agent_user).get("/api/v1/realtime/status").json()
    assert body["connected_users"] == 1
    assert body["channel_layer"]["ok"] is True
    expected_layer = "RedisPubSubChannelLayer" if presence == "redis" else "InMemoryChannelLayer"
    assert body["channel_layer"]["backend"].endswith(expected_layer)
    assert body["presence_store"] == presence


def test_status_needs_authentication(api_client):
    assert api_client.get("/api/v1/realtime/status").status_code == 401


def test_expert_profile_shows_live_presence(api_client, presence):
    """The experts app reads presence through presence_map(): a connected expert shows
    online, their chosen status next, offline once the connection is gone."""
    expert = UserFactory(role="expert")
    profile = _profile(expert)
    profile.verification_status = "verified"
    profile.save(update_fields=["verification_status"])
    url = f"/api/v1/experts/profile/{profile.pk}"
    assert api_client.get(url).json()["presence"] == "offline"
    connect(expert, "tab")
    assert api_client.get(url).json()["presence"] == "online"
    services.set_presence(user=expert, status="busy")
    assert api_client.get(url).json()["presence"] == "busy"
    services.presence_disconnected(user_id=expert.pk, is_expert=True, channel_name="tab")
    assert api_client.get(url).json()["presence"] == "offline"
