"""Fixtures shared by every app's tests, and the service markers:
``@pytest.mark.postgres`` / ``@pytest.mark.redis`` / ``@pytest.mark.browser`` skip
without the service (a browser: Playwright and chromium at ``CHROMIUM_PATH``) locally;
with REQUIRE_SERVICES=1 (set by .ci/run) such a skip fails the run."""

import os

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory

SERVICE_SKIP_PREFIX = "needs service:"
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _browser_missing() -> str:
    """Why no browser test can run here ('' when one can)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright (pip install -r requirements/dev.txt)"
    if not os.access(CHROMIUM_PATH, os.X_OK):
        return f"chromium at {CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)"
    return ""


def pytest_collection_modifyitems(config, items):
    have_postgres = settings.IS_POSTGRES
    have_redis = bool(settings.REDIS_URL)
    for item in items:
        if "postgres" in item.keywords and not have_postgres:
            item.add_marker(pytest.mark.skip(reason=f"{SERVICE_SKIP_PREFIX} PostgreSQL (set DATABASE_URL)"))
        if "redis" in item.keywords and not have_redis:
            item.add_marker(pytest.mark.skip(reason=f"{SERVICE_SKIP_PREFIX} Redis (set REDIS_URL)"))
        if "browser" in item.keywords and (missing := _browser_missing()):
            item.add_marker(pytest.mark.skip(reason=f"{SERVICE_SKIP_PREFIX} {missing}"))
        if "sqlite" in item.keywords and have_postgres:
            item.add_marker(pytest.mark.skip(reason="SQLite path: run without DATABASE_URL"))


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("REQUIRE_SERVICES") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    missing = [r for r in skipped if SERVICE_SKIP_PREFIX in str(getattr(r, "longrepr", ""))]
    if missing:
        reporter.write_line(
            f"FAILED: REQUIRE_SERVICES=1 but {len(missing)} test(s) were skipped for a missing service", red=True
        )
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _isolated_environment(settings, tmp_path):
    """Fresh cache (throttles, lockouts, maintenance) and a private media folder."""
    from django.core.cache import cache

    cache.clear()
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for():
    """``client_for(user)`` → an APIClient sending that user's real JWT access token."""
    from rest_framework_simplejwt.tokens import RefreshToken

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
        return client

    return make


@pytest.fixture
def client_user(db):
    return UserFactory(role="client")


@pytest.fixture
def expert_user(db):
    return UserFactory(role="expert")


@pytest.fixture
def agent_user(db):
    return UserFactory(role="agent")


def make_staff(*areas: str):
    """A staff account holding exactly ``areas`` (support, finance, operations)."""
    from django.contrib.auth.models import Group, Permission

    user = UserFactory(role="admin", is_staff=True)
    for area in areas:
        # Transactional tests flush the groups the data migration made; permissions
        # come back through post_migrate, groups do not.
        group, _ = Group.objects.get_or_create(name=area)
        group.permissions.add(Permission.objects.get(content_type__app_label="foodxchange", codename=area))
        user.groups.add(group)
    return type(user).objects.get(pk=user.pk)  # fresh permission cache


@pytest.fixture
def admin_user(db):
    """A staff account holding every staff area (support, finance and operations)."""
    return make_staff("support", "finance", "operations")


@pytest.fixture
def staff_for(db):
    """``staff_for("finance")`` → a staff account holding only those areas (none: bare staff)."""
    return make_staff


@pytest.fixture
def bare_staff_user(db):
    """Staff with no area: every admin endpoint answers 403."""
    return make_staff()
