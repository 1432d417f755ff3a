"""Reads for the system endpoints: readiness probes, status and effective config."""

import platform
import re
import time
import uuid
from typing import Any

import django
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.views.debug import SafeExceptionReporterFilter
from prometheus_client import REGISTRY

from foodxchange.hooks import status_sections

PROCESS_STARTED_AT = time.time()

_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)([^@\s]+)(@)")


def check_database() -> str | None:
    """None when the database answers, else the reason."""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        return f"{type(exc).__name__}: {exc}".strip()[:300]
    return None


def check_cache() -> str | None:
    probe = uuid.uuid4().hex
    try:
        cache.set("ready:probe", probe, 10)
        if cache.get("ready:probe") != probe:
            return "cache did not return the value just written"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()[:300]
    return None


def broker_configured() -> bool:
    return not settings.CELERY_BROKER_URL.startswith("memory://")


def check_broker() -> str | None:
    if not broker_configured():
        return None
    from foodxchange.celery import app as celery_app

    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()[:300]
    return None


def readiness() -> dict[str, str | None]:
    checks = {"database": check_database(), "cache": check_cache()}
    if broker_configured():
        checks["broker"] = check_broker()
    return checks


def queue_depth() -> int | None:
    """Messages waiting in the default Celery queue (Redis broker only)."""
    if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        return None
    import redis

    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2)
        return int(client.llen("celery"))
    except redis.RedisError:
        return None


def error_rate() -> dict[str, Any]:
    """Share of responses with a 5xx status since this process started."""
    total = errors = 0.0
    for metric in REGISTRY.collect():
        if metric.name != "django_http_responses_total_by_status":
            continue
        for sample in metric.samples:
            if not sample.name.endswith("_total"):
                continue
            total += sample.value
            if str(sample.labels.get("status", "")).startswith("5"):
                errors += sample.value
    return {"responses": int(total), "server_errors": int(errors), "rate": (errors / total) if total else 0.0}


def system_status() -> dict[str, Any]:
    return {
        "versions": {
            "app": settings.APP_VERSION,
            "python": platform.python_version(),
            "django": django.get_version(),
        },
        "uptime_seconds": int(time.time() - PROCESS_STARTED_AT),
        "database_engine": connections["default"].vendor,
        "queue_depth": queue_depth(),
        # Sections registered by the apps above the core (foodxchange.hooks).
        "last_backup": None,
        **{name: provider() for name, provider in status_sections().items()},
        "error_rate": error_rate(),
        "checks": readiness(),
    }


CONFIG_KEYS = (
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "PUBLIC_BASE_URL",
    "FRONTEND_URL",
    "APP_VERSION",
    "DATABASES",
    "CACHES",
    "CHANNEL_LAYERS",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "SIMPLE_JWT",
    "LOGIN_LOCKOUT_ATTEMPTS",
    "LOGIN_LOCKOUT_MINUTES",
    "PASSWORD_RESET_TIMEOUT",
    "REST_FRAMEWORK",
    "STORAGES",
    "MEDIA_ROOT",
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "DEFAULT_FROM_EMAIL",
    "PAYMENTS_BACKEND",
    "WHATSAPP_BACKEND",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "BACKUP_ENCRYPTION_KEY",
    "BACKUP_STORAGE_LOCATION",
    "SECRET_KEY",
    "LOG_LEVEL",
    "TIME_ZONE",
)


def _redact_urls(value: Any) -> Any:
    if isinstance(value, str):
        return _URL_PASSWORD.sub(r"\1********\3", value)
    if isinstance(value, dict):
        return {k: _redact_urls(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_urls(v) for v in value]
    return value


def effective_config() -> dict[str, Any]:
    """Settings an operator asks about, with secrets (by name, and passwords inside
    URLs) replaced by stars. Uses Django's own debug-page cleanser."""
    reporter = SafeExceptionReporterFilter()
    reporter.hidden_settings = re.compile(
        "SECRET|PASS|SIGNING|_KEY$|^KEY$|AUTH_TOKEN|ACCOUNT_SID|SIGNATURE", flags=re.IGNORECASE
    )
    config = {}
    for key in CONFIG_KEYS:
        if hasattr(settings, key):
            value = reporter.cleanse_setting(key, getattr(settings, key))
            config[key] = _redact_urls(value)
    result: dict[str, Any] = _jsonable(config)
    return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
