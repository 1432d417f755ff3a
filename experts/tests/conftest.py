import pytest

from experts.services import get_or_create_profile


@pytest.fixture
def expert_profile(expert_user):
    return get_or_create_profile(user=expert_user)


@pytest.fixture
def support_user(db):
    """Staff holding the support area (reads experts, decides verification)."""
    from django.contrib.auth.models import Group

    from accounts.tests.factories import UserFactory

    user = UserFactory(role="admin", is_staff=True)
    user.groups.add(Group.objects.get(name="support"))
    return type(user).objects.get(pk=user.pk)
