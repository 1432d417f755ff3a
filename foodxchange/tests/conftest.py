import pytest
from django.contrib.auth.models import Group

from accounts.tests.factories import UserFactory


@pytest.fixture
def admin_user(db):
    """In the core's tests an "admin" is a superuser (every staff area); the area rules
    themselves are tested with ``staff_user``."""
    return UserFactory(role="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_user(db):
    """``staff_user("support", ...)`` → a staff account (not a superuser) holding those
    areas through their groups; ``staff_user()`` holds none."""

    def make(*areas: str):
        user = UserFactory(role="admin", is_staff=True)
        for area in areas:
            user.groups.add(Group.objects.get(name=area))
        return type(user).objects.get(pk=user.pk)  # fresh permission cache

    return make
