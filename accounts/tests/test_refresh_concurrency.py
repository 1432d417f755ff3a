import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.services import issue_tokens
from accounts.tests.factories import UserFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_of_one_token_cannot_both_succeed():
    user = UserFactory()
    refresh = issue_tokens(user)["refresh"]
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def worker():
        try:
            barrier.wait()
            statuses.append(APIClient().post("/api/v1/auth/refresh", {"refresh": refresh}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 401, 401, 401]
