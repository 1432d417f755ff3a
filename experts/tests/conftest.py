import pytest

from experts.services import get_or_create_profile


@pytest.fixture
def expert_profile(expert_user):
    return get_or_create_profile(user=expert_user)


@pytest.fixture
def support_user(staff_for):
    """Staff holding the support area only (reads experts, decides verification)."""
    return staff_for("support")
