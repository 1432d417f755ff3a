import uuid
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from foodxchange.geo import validate_country, validate_languages
from foodxchange.models import MoneyField
from foodxchange.money import is_currency


def validate_currency(value: str) -> None:
    if not is_currency(value):
        raise ValidationError(f"{value!r} is not an ISO 4217 currency in active use (e.g. USD, EUR, JPY, KWD).")


class Specialization(models.Model):
    """A food-industry field of expertise (seeded taxonomy, editable in admin)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


VISIBLE = models.Q(is_active=True, verification_status="verified")


class ExpertProfile(models.Model):
    """The public face of an expert user. Search columns (``display_name``,
    ``search_document``, ``search_vector``) are derived data, kept up to date by
    ``experts.services`` whenever the profile or its related rows change."""

    class Verification(models.TextChoices):
        UNVERIFIED = "unverified", "Unverified"
        PENDING = "pending", "Pending review"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_profile")
    headline = models.CharField(max_length=200, blank=True)
    bio = models.TextField(blank=True, max_length=5000)
    specializations = models.ManyToManyField(Specialization, related_name="experts", blank=True)
    languages = models.JSONField(default=list, blank=True, validators=[validate_languages])
    country = models.CharField(max_length=2, blank=True, db_index=True, validators=[validate_country])
    city = models.CharField(max_length=100, blank=True)
    # Rounded to the minor unit of ``currency`` when stored (JPY 0 decimals, KWD 3).
    hourly_rate = MoneyField(max_digits=14, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(max_length=3, default="USD", validators=[validate_currency])
    years_experience = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(80)])
    rating_avg = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("5"))],
    )
    rating_count = models.PositiveIntegerField(default=0)
    verification_status = models.CharField(
        max_length=12, choices=Verification.choices, default=Verification.UNVERIFIED, db_index=True
    )
    capacity = models.PositiveSmallIntegerField(
        default=5, validators=[MaxValueValidator(100)], help_text="Engagements the expert can run at once"
    )
    is_active = models.BooleanField(default=True)
    photo = models.ImageField(upload_to="experts/photos/", blank=True, max_length=255)

    # Derived search columns.
    display_name = models.CharField(max_length=301, blank=True, editable=False)
    search_document = models.TextField(
        blank=True, editable=False, help_text="Lower-cased searchable text (SQLite search; empty on PostgreSQL)"
    )
    search_vector = SearchVectorField(null=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        # Partial indexes over the searchable experts, one per sort order: a search
        # reads them in order and stops after a page (or the search window).
        indexes = [
            models.Index(
                fields=["-rating_avg", "-rating_count", "id"], condition=VISIBLE, name="expert_visible_rating_idx"
            ),
            models.Index(fields=["hourly_rate", "id"], condition=VISIBLE, name="expert_visible_price_idx"),
            models.Index(
                fields=["-years_experience", "-rating_avg", "id"], condition=VISIBLE, name="expert_visible_exp_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating_avg__gte=0, rating_avg__lte=5), name="expert_rating_between_0_and_5"
            ),
            models.CheckConstraint(condition=models.Q(hourly_rate__gte=0), name="expert_rate_not_negative"),
        ]

    def __str__(self) -> str:
        return self.display_name or f"Expert #{self.pk}"

    @property
    def timezone(self) -> str:
        return self.user.timezone

    @property
    def is_searchable(self) -> bool:
        return self.is_active and self.verification_status == self.Verification.VERIFIED


class Certification(models.Model):
    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="certifications")
    name = models.CharField(max_length=200)
    issuer = models.CharField(max_length=200)
    number = models.CharField(max_length=100, blank=True)
    issued_at = models.DateField(null=True, blank=True)
    expires_at = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=True)
                | models.Q(issued_at__isnull=True)
                | models.Q(expires_at__gte=models.F("issued_at")),
                name="certification_expires_after_issue",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.issuer})"

    def is_expired(self, today: date | None = None) -> bool:
        return self.expires_at is not None and self.expires_at < (today or timezone.localdate())


class ExpertService(models.Model):
    class PricingType(models.TextChoices):
        HOURLY = "hourly", "Hourly"
        FIXED = "fixed", "Fixed price"

    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="services")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    specialization = models.ForeignKey(Specialization, on_delete=models.PROTECT, related_name="services")
    pricing_type = models.CharField(max_length=10, choices=PricingType.choices, default=PricingType.HOURLY)
    price = MoneyField(max_digits=14, validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(max_length=3, default="USD", validators=[validate_currency])
    duration_minutes = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(15), MaxValueValidator(60 * 24 * 30)]
    )
    is_active = models.BooleanField(default=True, db_index=True)
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["price"], name="service_price_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(price__gte=0), name="service_price_not_negative")]

    def __str__(self) -> str:
        return self.title


class AvailabilityRule(models.Model):
    """A weekly window in the expert's own time zone (weekday 0 = Monday)."""

    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="availability_rules")
    weekday = models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)])
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="availability_rule_end_after_start"
            ),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="availability_rule_weekday_0_6"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"

    def get_weekday_display(self) -> str:
        return ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][self.weekday]


class AvailabilityException(models.Model):
    """A dated change to the weekly rules, in the expert's zone: unavailable for the
    whole day (no times) or a window, or an extra available window."""

    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="availability_exceptions")
    date = models.DateField()
    start = models.TimeField(null=True, blank=True)
    end = models.TimeField(null=True, blank=True)
    available = models.BooleanField(default=False, help_text="True adds a window; False blocks it")
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date", "start"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(start__isnull=True, end__isnull=True, available=False))
                | models.Q(start__isnull=False, end__isnull=False, end__gt=models.F("start")),
                name="availability_exception_window_valid",
            )
        ]

    def __str__(self) -> str:
        what = "available" if self.available else "blocked"
        if self.start is None:
            return f"{self.date} {what} all day"
        return f"{self.date} {self.start:%H:%M}-{self.end:%H:%M} {what}"


def document_upload_path(instance: "ExpertDocument", filename: str) -> str:
    return f"experts/documents/{instance.expert_id}/{instance.doc_type}/{uuid.uuid4().hex}-{filename}"


class ExpertDocument(models.Model):
    """An uploaded proof (certificate, licence, ID…). Uploading the same doc_type
    again adds a new version; older versions are kept."""

    class DocType(models.TextChoices):
        CERTIFICATE = "certificate", "Certificate"
        LICENSE = "license", "Professional licence"
        IDENTITY = "identity", "Identity document"
        DIPLOMA = "diploma", "Diploma"
        INSURANCE = "insurance", "Liability insurance"
        REFERENCE = "reference", "Reference letter"
        OTHER = "other", "Other"

    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="documents")
    doc_type = models.CharField(max_length=20, choices=DocType.choices)
    title = models.CharField(max_length=200)
    version = models.PositiveIntegerField()
    file = models.FileField(upload_to=document_upload_path, max_length=255)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    expires_at = models.DateField(null=True, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["doc_type", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["expert", "doc_type", "version"], name="document_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_doc_type_display()} v{self.version}: {self.title}"


class VerificationRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="verification_requests")
    documents = models.ManyToManyField(ExpertDocument, related_name="verification_requests")
    note = models.TextField(blank=True, max_length=2000, help_text="The expert's message to the reviewer")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewer_note = models.TextField(blank=True, max_length=2000)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one open request per expert, even under concurrent submits.
            models.UniqueConstraint(
                fields=["expert"], condition=models.Q(status="pending"), name="one_pending_verification_per_expert"
            )
        ]

    def __str__(self) -> str:
        return f"Verification #{self.pk} of {self.expert} ({self.status})"


class ProfileView(models.Model):
    """One view of a public profile (owners viewing themselves are not counted)."""

    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="+")
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["expert", "created_at"], name="profileview_expert_time_idx")]

    def __str__(self) -> str:
        return f"view of expert #{self.expert_id} at {self.created_at:%Y-%m-%d %H:%M}"


# Typed credentials live in their own module; imported here so Django registers them.
from experts.credential_models import CredentialReminder, CredentialType, ExpertCredential  # noqa: E402, F401


class ExpertPayoutAccount(models.Model):
    """Where an expert's consultation earnings go: a connected Stripe account."""

    expert = models.OneToOneField(ExpertProfile, on_delete=models.CASCADE, related_name="payout_account")
    stripe_account_id = models.CharField(max_length=255, help_text="acct_… of the connected account")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["expert_id"]

    def __str__(self) -> str:
        return f"{self.expert}: {self.stripe_account_id}"

    @property
    def is_connected(self) -> bool:
        return self.is_active and self.stripe_account_id.startswith("acct_")
