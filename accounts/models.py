from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

from foodxchange.geo import validate_timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.update(is_staff=True, is_superuser=True, role=User.Role.ADMIN)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person using the marketplace; logs in with an email address."""

    class Role(models.TextChoices):
        CLIENT = "client", "Client (food business)"
        EXPERT = "expert", "Expert"
        AGENT = "agent", "Sales agent"
        ADMIN = "admin", "Admin (staff)"

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CLIENT, db_index=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    phone = PhoneNumberField(blank=True, help_text="E.164, e.g. +14155550123")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs):
        # Admin role and staff flag mean the same thing; keep them in step.
        if self.role == self.Role.ADMIN:
            self.is_staff = True
        self.email = self.email.lower()
        super().save(*args, **kwargs)

    @property
    def is_admin(self) -> bool:
        return self.is_staff or self.role == self.Role.ADMIN

    @property
    def full_name(self) -> str:
        return self.get_full_name() or self.email


class LoginThrottle(models.Model):
    """Failed password attempts per email address (known or not, so a 429 never
    reveals whether an account exists). Locks that address, not an IP."""

    email = models.EmailField(unique=True)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    # Who added the row, for the per-address cap on new rows.
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["ip_address", "created_at"], name="loginthrottle_ip_created")]

    def __str__(self) -> str:
        return f"{self.email}: {self.failures} failure(s)"

    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()
