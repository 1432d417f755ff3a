"""Property-based API run: schemathesis generates requests from ``/api/schema/`` for every
operation (the destructive ones excluded) and sends each as every role; no answer may be
a server error. Bounded and derandomized for CI (``SCHEMATHESIS_MAX_EXAMPLES``, default
2 per operation); raise it for a longer local hunt, e.g. SCHEMATHESIS_MAX_EXAMPLES=50."""

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "2"))

# Operations that would wipe or lock the test run itself (restore over the database,
# maintenance on for everyone, log the callers out) or move money for real.
DESTRUCTIVE_PATHS = (
    r"^/api/v1/backup/(restore|disaster-recovery|create|cleanup)",
    r"^/api/v1/system/maintenance$",
    r"^/api/v1/auth/(logout|reset-password|2fa/)",
    r"^/api/v1/commissions/payout$",
    r"^/api/v1/webhooks/",
)


@pytest.fixture
def api_schema():
    # Like Django's test client: the WSGI app must not close the test's connection
    # (and its transaction) at the end of each request.
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        loaded = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
        yield loaded.exclude(path_regex="|".join(DESTRUCTIVE_PATHS))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def role_tokens(db):
    """One JWT per role: anonymous, client, expert, agent, and a superuser."""
    users = [
        UserFactory(role="client"),
        UserFactory(role="expert"),
        UserFactory(role="agent"),
        UserFactory(role="admin", is_staff=True, is_superuser=True),
    ]
    return [None] + [str(RefreshToken.for_user(user).access_token) for user in users]


@pytest.mark.django_db
def test_no_server_errors(api_schema, role_tokens, settings):
    from schemathesis.checks import not_a_server_error

    # Configured like a real deployment: an unconfigured integration rightly answers 503.
    settings.RFQ_WEBHOOK_SECRET = "schemathesis-rfq-secret"

    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 30  # the schema really was read

    for operation in operations:

        @hypothesis_settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def exercise(case) -> None:
            for token in role_tokens:
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                response = case.call(headers=headers)
                try:
                    case.validate_response(response, checks=[not_a_server_error])
                except Exception as exc:  # collect every failing operation, then report
                    failures.append(f"{case.operation.label}: {type(exc).__name__}: {str(exc)[:600]}")
                    return

        exercise()
    assert failures == [], "\n\n".join(failures)
