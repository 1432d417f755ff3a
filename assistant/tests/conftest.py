import pytest
from django.contrib.auth.models import Group

from accounts.tests.factories import UserFactory
from assistant.tests.fake_openai import FakeOpenAI


@pytest.fixture
def support_user(db):
    user = UserFactory(role="admin", is_staff=True)
    user.groups.add(Group.objects.get(name="support"))
    return user


@pytest.fixture
def fake_openai(settings):
    with FakeOpenAI() as fake:
        settings.ASSISTANT_COMPOSER = "openai"
        settings.OPENAI_API_KEY = "sk-test"
        settings.OPENAI_BASE_URL = fake.base_url
        settings.OPENAI_MODEL = "test-model"
        settings.OPENAI_TIMEOUT_SECONDS = 1.0
        settings.OPENAI_MAX_RETRIES = 0
        yield fake
