"""Demo accounts for local runs (`manage.py seed_demo`)."""

from accounts.models import User

DEMO_PASSWORD = "FoodXchange-demo-2026"
DEMO_USERS = [
    ("admin@demo.foodxchange.local", "Ada", "Admin", User.Role.ADMIN),
    ("client@demo.foodxchange.local", "Carla", "Client", User.Role.CLIENT),
    ("expert@demo.foodxchange.local", "Eli", "Expert", User.Role.EXPERT),
    ("agent@demo.foodxchange.local", "Ana", "Agent", User.Role.AGENT),
]


def ensure_demo_users() -> list[User]:
    """Creates (or leaves as they are) one demo account per role. Idempotent."""
    users = []
    for email, first, last, role in DEMO_USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email,
                password=DEMO_PASSWORD,
                first_name=first,
                last_name=last,
                role=role,
                is_superuser=role == User.Role.ADMIN,
            )
        users.append(user)
    return users
