import pytest
from rest_framework.test import APIClient

from accounts.services import issue_tokens
from accounts.tests.factories import UserFactory
from foodxchange.tests.concurrency import run_in_threads


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_of_one_token_cannot_both_succeed():
    user = UserFactory()
    refresh = issue_tokens(user)["refresh"]
    statuses, errors = run_in_threads(
        lambda: APIClient().post("/api/v1/auth/refresh", {"refresh": refresh}).status_code, 4
    )
    assert errors == []
    assert sorted(statuses) == [200, 401, 401, 401]
