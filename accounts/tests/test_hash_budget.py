"""The password-hashing budget: a login storm waits for (or is refused) a hashing slot
instead of taking every core; a refused attempt writes nothing and locks nobody out."""

import threading

import pytest

from accounts import hashing
from accounts.models import LoginThrottle, User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from foodxchange.errors import TooManyAttempts

LOGIN = "/api/v1/auth/login"
REGISTER = "/api/v1/auth/register"

pytestmark = pytest.mark.django_db


@pytest.fixture
def budget_of_one(settings):
    settings.PASSWORD_HASH_CONCURRENCY = 1
    settings.PASSWORD_HASH_WAIT_SECONDS = 0.05


@pytest.fixture
def slot_taken(budget_of_one):
    """Another request is hashing right now (holds the process's only slot)."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with hashing.hash_slot():
            held.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(5)
    yield
    release.set()
    thread.join(5)


def test_login_is_refused_with_429_while_the_budget_is_used_and_counts_no_failure(api_client, slot_taken):
    user = UserFactory()
    response = api_client.post(LOGIN, {"email": user.email, "password": "wrong password entirely"})
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "auth_busy"
    assert response["Retry-After"] == "1"
    assert not LoginThrottle.objects.filter(email=user.email.lower()).exists()


def test_registration_waits_for_the_budget_too_and_creates_nothing(api_client, slot_taken):
    payload = {
        "email": "storm@acme-foods.com",
        "password": "Smoked-Salmon-2026!",
        "first_name": "S",
        "last_name": "T",
        "role": "client",
    }
    response = api_client.post(REGISTER, payload)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "auth_busy"
    assert not User.objects.filter(email="storm@acme-foods.com").exists()


def test_login_works_again_once_the_slot_is_free(api_client, budget_of_one):
    user = UserFactory()
    with hashing.hash_slot():
        pass
    response = api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200, response.content


def test_the_budget_admits_as_many_hashes_as_configured(settings):
    settings.PASSWORD_HASH_CONCURRENCY = 2
    settings.PASSWORD_HASH_WAIT_SECONDS = 0.01
    with hashing.hash_slot(), hashing.hash_slot(), pytest.raises(TooManyAttempts), hashing.hash_slot():
        pass
    with hashing.hash_slot():  # released on exit, even after a refusal
        pass


def test_a_waiting_login_gets_the_slot_when_it_frees_in_time(settings):
    settings.PASSWORD_HASH_CONCURRENCY = 1
    settings.PASSWORD_HASH_WAIT_SECONDS = 5
    order = []
    first_in = threading.Event()

    def first() -> None:
        with hashing.hash_slot():
            first_in.set()
            order.append("first")
            threading.Event().wait(0.2)

    thread = threading.Thread(target=first)
    thread.start()
    assert first_in.wait(5)
    with hashing.hash_slot():
        order.append("second")
    thread.join(5)
    assert order == ["first", "second"]
