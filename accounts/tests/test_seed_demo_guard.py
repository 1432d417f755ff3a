from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _seed(*args: str) -> None:
    call_command(
        "seed_demo",
        "--no-progress",
        "--skip-apps",
        "--experts=0",
        "--clients=0",
        "--agents=0",
        *args,
        stdout=StringIO(),
        stderr=StringIO(),
    )


def test_seed_demo_refuses_with_debug_off_and_creates_nothing(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--i-know"):
        _seed()
    assert not User.objects.filter(email="admin@demo.foodxchange.local").exists()


def test_seed_demo_runs_with_debug_on(settings):
    settings.DEBUG = True
    _seed()
    assert User.objects.get(email="admin@demo.foodxchange.local").is_superuser


def test_seed_demo_runs_with_debug_off_when_told_so(settings):
    settings.DEBUG = False
    _seed("--i-know")
    assert User.objects.filter(email="admin@demo.foodxchange.local").exists()
