import pytest

from experts.services import get_or_create_profile


@pytest.fixture
def expert_profile(expert_user):
    return get_or_create_profile(user=expert_user)
