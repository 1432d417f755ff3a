import factory
from django.contrib.auth.hashers import make_password

from accounts.models import User

DEFAULT_PASSWORD = "Correct-Horse-Battery-42"
_HASH_CACHE: dict[str, str] = {}


def _hashed_default() -> str:
    # Argon2 is deliberately slow: hash the shared test password once per run.
    if DEFAULT_PASSWORD not in _HASH_CACHE:
        _HASH_CACHE[DEFAULT_PASSWORD] = make_password(DEFAULT_PASSWORD)
    return _HASH_CACHE[DEFAULT_PASSWORD]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = User.Role.CLIENT
    timezone = "UTC"
    password = factory.LazyFunction(_hashed_default)
