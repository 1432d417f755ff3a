from unittest import mock

import pytest
from django.core.cache.backends.redis import RedisCache
from django.db import OperationalError
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from foodxchange.models import AuditLog, MaintenanceState

pytestmark = pytest.mark.django_db


def test_health_is_200_without_touching_dependencies(client):
    with mock.patch("foodxchange.selectors.check_database", side_effect=AssertionError("must not be called")):
        response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_is_200_when_dependencies_answer(client):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"
    assert response.json()["checks"]["cache"] == "ok"


def test_ready_reports_a_dead_database(client):
    broken = mock.MagicMock()
    broken.cursor.side_effect = OperationalError("connection refused")
    with mock.patch("foodxchange.selectors.connections") as connections:
        connections.__getitem__.return_value = broken
        response = client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "failed"
    assert body["checks"]["cache"] == "ok"
    assert body["error"]["message"] == "Not ready: database unavailable."
    assert "connection refused" in body["error"]["details"]["database"]


def test_ready_reports_a_dead_cache(client):
    # Nothing listens on port 1: this Redis cache is unreachable.
    dead_cache = RedisCache("redis://127.0.0.1:1/0", {})
    with mock.patch("foodxchange.selectors.cache", dead_cache):
        response = client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"] == "failed"
    assert body["error"]["message"] == "Not ready: cache unavailable."


def test_ready_checks_the_broker_when_one_is_configured(client):
    with (
        override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0"),
        mock.patch("foodxchange.selectors.check_broker", return_value="ConnectionError: refused"),
    ):
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "failed"


def test_metrics_are_prometheus_text(client):
    client.get("/health")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert b"django_http_requests_total_by_method_total" in response.content


def test_system_endpoints_are_admin_only(api_client, client_for):
    agent = UserFactory(role="agent")
    for path in ("/api/v1/system/status", "/api/v1/system/config", "/api/v1/system/logs"):
        assert api_client.get(path).status_code == 401
        assert client_for(agent).get(path).status_code == 403
    assert client_for(agent).post("/api/v1/system/maintenance", {"enabled": True}).status_code == 403
    assert not MaintenanceState.objects.exists()


def test_status_reports_versions_uptime_and_checks(client_for, admin_user):
    body = client_for(admin_user).get("/api/v1/system/status").json()
    assert body["versions"]["django"].startswith("5.2")
    assert body["uptime_seconds"] >= 0
    assert set(body["error_rate"]) == {"responses", "server_errors", "rate"}
    assert body["checks"]["database"] is None
    assert "last_backup" in body and "queue_depth" in body


@override_settings(
    STRIPE_SECRET_KEY="sk_live_very_secret",
    TWILIO_AUTH_TOKEN="twilio-secret",
    REDIS_URL="redis://:hunter2@redis.internal:6379/0",
)
def test_config_redacts_secrets(client_for, admin_user):
    response = client_for(admin_user).get("/api/v1/system/config")
    assert response.status_code == 200
    text = response.content.decode()
    for secret in ("sk_live_very_secret", "twilio-secret", "hunter2"):
        assert secret not in text
    body = response.json()
    assert body["STRIPE_SECRET_KEY"].startswith("****")
    assert body["REDIS_URL"] == "redis://:********@redis.internal:6379/0"
    assert body["LOGIN_LOCKOUT_ATTEMPTS"] >= 1
    assert body["SECRET_KEY"].startswith("****")


def test_maintenance_mode_blocks_non_staff_writes_only(api_client, client_for, admin_user):
    agent = UserFactory(role="agent", email="agent@foodx.com")
    admin = client_for(admin_user)

    bad = admin.post("/api/v1/system/maintenance", {"enabled": "maybe"})
    assert bad.status_code == 400
    assert not MaintenanceState.objects.exists()

    on = admin.post("/api/v1/system/maintenance", {"enabled": True, "message": "Upgrading the database"})
    assert on.status_code == 200
    assert on.json() == {"enabled": True, "message": "Upgrading the database"}

    blocked = client_for(agent).post("/api/v1/auth/logout", {"refresh": "x"})
    assert blocked.status_code == 503
    assert blocked.json()["error"] == {"code": "maintenance", "message": "Upgrading the database", "details": {}}
    assert api_client.post("/api/v1/auth/register", {}).status_code == 503
    # Reads still work, staff may still write, everyone may still log in.
    assert client_for(agent).get("/api/v1/auth/me").status_code == 200
    assert (
        api_client.post("/api/v1/auth/login", {"email": agent.email, "password": DEFAULT_PASSWORD}).status_code == 200
    )
    assert admin.post("/api/v1/auth/2fa/backup").status_code == 200

    entry = AuditLog.objects.get(action="system.maintenance")
    assert entry.actor == admin_user
    assert entry.before == {"enabled": False, "message": ""}
    assert entry.after == {"enabled": True, "message": "Upgrading the database"}

    assert admin.post("/api/v1/system/maintenance", {"enabled": False}).status_code == 200
    assert client_for(agent).post("/api/v1/auth/logout", {"refresh": "x"}).status_code == 400


def test_audit_log_lists_and_filters(client_for, admin_user):
    from foodxchange.services import record_audit

    other = UserFactory(email="someone@foodx.com")
    record_audit(actor=admin_user, action="lead.assigned", target=other, after={"agent": 1})
    record_audit(actor=other, action="account.login", target=other)
    client = client_for(admin_user)
    everything = client.get("/api/v1/system/logs").json()
    assert everything["count"] == 2
    by_actor = client.get(f"/api/v1/system/logs?actor={other.pk}").json()
    assert [row["action"] for row in by_actor["results"]] == ["account.login"]
    by_action = client.get("/api/v1/system/logs?action=lead.").json()
    assert by_action["count"] == 1
    assert by_action["results"][0]["after"] == {"agent": 1}
    by_target = client.get(f"/api/v1/system/logs?target_type=accounts.user&target_id={other.pk}").json()
    assert by_target["count"] == 2
    future = client.get("/api/v1/system/logs?since=2199-01-01T00:00:00Z").json()
    assert future["count"] == 0
    bad = client.get("/api/v1/system/logs?since=yesterday")
    assert bad.status_code == 400
    assert "since" in bad.json()["error"]["details"]


def test_audit_rows_are_append_only(admin_user):
    from foodxchange.services import record_audit

    row = record_audit(actor=admin_user, action="x.y")
    row.action = "changed"
    with pytest.raises(ValueError):
        row.save()
    with pytest.raises(ValueError):
        row.delete()


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/auth/login" in paths
    assert "/api/v1/system/maintenance" in paths
    assert "jwtAuth" in schema.json()["components"]["securitySchemes"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content


def test_request_id_is_returned_and_honoured(client):
    response = client.get("/health", HTTP_X_REQUEST_ID="abc123def456")
    assert response["X-Request-ID"] == "abc123def456"
    generated = client.get("/health")["X-Request-ID"]
    assert len(generated) == 32


def test_unhandled_exception_gets_the_envelope(admin_user):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(admin_user)
    with mock.patch("foodxchange.selectors.system_status", side_effect=RuntimeError("boom")):
        response = client.get("/api/v1/system/status")
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "server_error", "message": "An unexpected error occurred; it has been logged.", "details": {}}
    }


def test_cors_lets_the_spa_call_the_api(client, settings):
    origin = settings.CORS_ALLOWED_ORIGINS[0]
    preflight = client.options(
        "/api/v1/auth/login",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == origin
    assert "authorization" in preflight["Access-Control-Allow-Headers"]
    response = client.get("/health", HTTP_ORIGIN=origin)
    assert "X-Request-ID" in response["Access-Control-Expose-Headers"]
    stranger = client.get("/health", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in stranger


def test_audit_log_list_queries_do_not_grow_with_rows(client_for, admin_user, django_assert_max_num_queries):
    from foodxchange.services import record_audit

    for index in range(40):
        record_audit(actor=UserFactory(), action=f"x.y{index}", target=admin_user)
    client = client_for(admin_user)
    # auth user + permission check + count + page (+ savepoints)
    with django_assert_max_num_queries(6):
        body = client.get("/api/v1/system/logs?page_size=100").json()
    assert body["count"] == 40 and len(body["results"]) == 40
